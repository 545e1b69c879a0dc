/**
 * What a guest reports through `liquid-nano:plugin/metrics`: the worker sends each sample as a
 * `metric` notification; the host's metrics registry (observability/guest-metric-families.ts) checks,
 * bounds and exports them with the component and version labels the host adds.
 */

/** The payload of a `metric` notification from an instance's worker. */
export interface GuestMetricSample {
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly component: string;
  readonly name: string;
  readonly value: number;
  readonly labels: ReadonlyArray<readonly [string, string]>;
}
