/**
 * The host side of `liquid-nano:plugin/metrics`: what guests report, aggregated per component
 * (the label the host adds; a guest cannot set or forge it). Series per component are bounded,
 * so a guest inventing label values cannot exhaust the host's memory.
 */

/** The payload of a `metric` notification from an instance's worker. */
export interface GuestMetricSample {
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly component: string;
  readonly name: string;
  readonly value: number;
  readonly labels: ReadonlyArray<readonly [string, string]>;
}

/** One aggregated series. */
export interface GuestSeries {
  readonly kind: GuestMetricSample['kind'];
  readonly component: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Counter total or last gauge value; for histograms, the sum of observations. */
  value: number;
  /** Observations (histograms), updates (counters and gauges). */
  count: number;
}

/** Most series one component may create; samples for new series past it are dropped. */
export const MAX_SERIES_PER_COMPONENT = 1000;
const NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;

/** Guest metrics of every component, in memory. */
export class GuestMetrics {
  readonly #series = new Map<string, GuestSeries>();
  readonly #perComponent = new Map<string, number>();
  /** Samples refused: bad name or value, or over the series bound. */
  rejected = 0;

  /** Records one sample; returns whether it was kept. */
  record(sample: GuestMetricSample): boolean {
    if (!NAME.test(sample.name) || !Number.isFinite(sample.value) || (sample.kind === 'counter' && sample.value < 0)) {
      this.rejected++;
      return false;
    }
    const labels = Object.fromEntries([...sample.labels].filter(([k]) => NAME.test(k)).sort(([a], [b]) => (a < b ? -1 : 1)));
    const key = JSON.stringify([sample.component, sample.kind, sample.name, labels]);
    let series = this.#series.get(key);
    if (!series) {
      const n = this.#perComponent.get(sample.component) ?? 0;
      if (n >= MAX_SERIES_PER_COMPONENT) {
        this.rejected++;
        return false;
      }
      this.#perComponent.set(sample.component, n + 1);
      series = { kind: sample.kind, component: sample.component, name: sample.name, labels, value: 0, count: 0 };
      this.#series.set(key, series);
    }
    series.value = sample.kind === 'gauge' ? sample.value : series.value + sample.value;
    series.count++;
    return true;
  }

  /** Every series, optionally of one component. */
  series(component?: string): GuestSeries[] {
    return [...this.#series.values()].filter((s) => component === undefined || s.component === component);
  }
}
