/**
 * `liquid-nano:plugin/metrics`: counters, gauges and histograms a guest reports; each sample is a
 * `metric` notification the host's metrics registry checks, bounds and labels
 * (`guest-metrics.ts`). Always available.
 */
import type { Capability } from '../capability.js';

export const metricsCapability: Capability = {
  name: 'metrics',
  interfaces: ['liquid-nano:plugin/metrics'],
  withoutGrant: 'available',
  grantFlag: null,
  grantManifest: null,
  loadImports: async () => (await import('./imports.js')).imports,
  // Samples are for the metrics registry (it observes the version's notifications), not the log.
  notifications: { metric: () => {} },
};
