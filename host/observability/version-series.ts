/**
 * The host's series of one component version, kept as plain numbers. A call adds to them without
 * building label objects or having prom-client validate and hash a label set (it does that on
 * every `inc`, through a child from `labels()` too); the label sets are built once per series and
 * the families read the totals when scraped (their `collect`). When the version is evicted, the
 * whole object is dropped and its series go with it.
 */

/** Labels of one series: `component`, `version` and at most one more. */
export type SeriesLabels = Readonly<Record<string, string>>;

/** One series' running total. */
export interface SeriesTotal {
  readonly labels: SeriesLabels;
  value: number;
}

export class VersionSeries {
  /** `{ component, version }`, frozen: also the labels of the series with no other label. */
  readonly labels: SeriesLabels;
  /** Per family name, its totals by the value of the extra label ('' for none). */
  readonly #totals = new Map<string, Map<string, SeriesTotal>>();
  /** The largest linear memory seen after a call; -1 before the first. */
  peakBytes = -1;

  constructor(component: string, version: string) {
    this.labels = Object.freeze({ component, version });
  }

  /**
   * Adds `value` to a family's series (made at 0 on first use); a value that is not a finite
   * positive number adds 0.
   *
   * @param extra - the series' one other label, `[name, value]`
   */
  add(family: string, value: number, extra?: readonly [string, string]): void {
    let byValue = this.#totals.get(family);
    if (!byValue) {
      byValue = new Map();
      this.#totals.set(family, byValue);
    }
    const key = extra ? extra[1] : '';
    let total = byValue.get(key);
    if (!total) {
      total = { labels: extra ? Object.freeze({ ...this.labels, [extra[0]]: extra[1] }) : this.labels, value: 0 };
      byValue.set(key, total);
    }
    total.value += Number.isFinite(value) && value > 0 ? value : 0;
  }

  /** The series of a family, in the order they were made. */
  totals(family: string): Iterable<SeriesTotal> {
    return this.#totals.get(family)?.values() ?? [];
  }
}
