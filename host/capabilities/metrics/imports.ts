/** `liquid-nano:plugin/metrics`: each sample a `metric` notification to the host. */
import type { ImportBuilder } from '../capability.js';
import { cut } from '../log/guest-log.js';
import type { GuestMetricSample } from './guest-metrics.js';

export const imports: ImportBuilder = (grants, bridge) => {
  const metric =
    (kind: GuestMetricSample['kind']) =>
    (name: string, value: number, labels: Array<[string, string]>): void => {
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
};
