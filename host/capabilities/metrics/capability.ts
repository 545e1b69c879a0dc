/**
 * `liquid-nano:plugin/metrics`: counters, gauges and histograms a guest reports; each sample is a
 * `metric` notification the host's metrics registry checks, bounds and labels
 * (`guest-metrics.ts`). Always available.
 */
import type { Capability } from '../capability.js';
import { cut } from '../log/guest-log.js';
import type { GuestMetricSample } from './guest-metrics.js';

export const metricsCapability: Capability = {
  name: 'metrics',
  interfaces: ['liquid-nano:plugin/metrics'],
  withoutGrant: 'available',
  grantFlag: null,
  grantManifest: null,
  imports(grants, bridge) {
    const metric = (kind: GuestMetricSample['kind']) => (name: string, value: number, labels: Array<[string, string]>): void => {
      bridge.hostCall('metrics');
      bridge.notify('metric', { kind, component: grants.plugin.component, name: cut(String(name), 128), value, labels: labels.slice(0, 16) });
    };
    return {
      'liquid-nano:plugin/metrics': {
        counterAdd: metric('counter'),
        gaugeSet: metric('gauge'),
        histogramObserve: metric('histogram'),
      },
    };
  },
  // Samples are for the metrics registry (it observes the version's notifications), not the log.
  notifications: { metric: () => {} },
};
