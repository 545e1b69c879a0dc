/**
 * The guests' own metrics (`liquid-nano:plugin/metrics`) as prom-client families: a guest metric
 * `name` is exported as `plugin_<name>` (a counter as `plugin_<name>_total`, the suffix added
 * when the guest left it out) with the labels `component` and `version` (set by the host; a
 * guest cannot set or forge them) and the guest's own labels.
 *
 * Names that would make the exposition ambiguous or fail `promtool check metrics` structurally
 * are refused: a gauge or histogram ending in `_total`, `_count`, `_sum` or `_bucket`. (Style
 * warnings such as camelCase or unit abbreviations stay the plugin author's.)
 *
 * Bounded, since guests are not trusted: at most `maxFamilies` names in all, at most
 * `maxSeriesPerComponent` series per component, at most `maxLabels` guest labels per family. A
 * family's label names and kind are fixed by its first sample: a later sample with another kind
 * or an unknown label name is refused (counted in `lnano_guest_metric_samples_rejected_total`).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { GuestMetricSample } from '../capabilities/metrics/guest-metrics.js';

/** Bounds of the guests' metrics. */
export interface GuestMetricBounds {
  /** Distinct guest metric names, all components together. */
  readonly maxFamilies: number;
  /** Series one component may create (label combinations over all its names and versions). */
  readonly maxSeriesPerComponent: number;
  /** Guest labels per family (besides `component` and `version`). */
  readonly maxLabels: number;
}

/** Defaults of the guest metric bounds. */
export const GUEST_METRIC_DEFAULTS: Readonly<GuestMetricBounds> = Object.freeze({ maxFamilies: 256, maxSeriesPerComponent: 1000, maxLabels: 8 });

/** Prometheus names; `component`, `version`, `le`, `quantile` and `__*` are the host's. */
const NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;
const RESERVED_LABELS = new Set(['component', 'version', 'le', 'quantile']);
const MAX_LABEL_VALUE = 128;
/** Suffixes only a counter (`_total`) or a histogram's own series may end in. */
const RESERVED_SUFFIX = /_(total|count|sum|bucket)$/;

/** The exported family name of a guest metric, or null when the name is refused for its kind. */
function exportedName(name: string, kind: GuestMetricSample['kind']): string | null {
  if (kind === 'counter') return `plugin_${name.replace(/_total$/, '')}_total`;
  return RESERVED_SUFFIX.test(name) ? null : `plugin_${name}`;
}

interface GuestFamily {
  readonly kind: GuestMetricSample['kind'];
  readonly labelNames: ReadonlySet<string>;
  readonly metric: Counter<string> | Gauge<string> | Histogram<string>;
}

/** The guest metric families of one host registry. */
export class GuestMetricFamilies {
  readonly #registry: Registry;
  readonly #bounds: GuestMetricBounds;
  readonly #families = new Map<string, GuestFamily>();
  /** Per component: its series keys, and the labels of each (for `forget`). */
  readonly #series = new Map<string, Map<string, [GuestFamily, Record<string, string>]>>();
  readonly #rejected: Counter<string>;

  constructor(registry: Registry, bounds: Partial<GuestMetricBounds> = {}) {
    this.#registry = registry;
    this.#bounds = { ...GUEST_METRIC_DEFAULTS, ...bounds };
    this.#rejected = new Counter({
      name: 'lnano_guest_metric_samples_rejected_total',
      help: 'Guest metric samples refused (bad name or value, kind or label conflict, over a bound).',
      labelNames: ['component'],
      registers: [registry],
    });
  }

  /** Records one sample of `component@version`; returns whether it was kept. */
  record(component: string, version: string, sample: GuestMetricSample): boolean {
    const kept = this.#record(component, version, sample);
    if (!kept) this.#rejected.inc({ component });
    return kept;
  }

  #record(component: string, version: string, sample: GuestMetricSample): boolean {
    if (sample === null || typeof sample !== 'object') return false;
    const { kind, name, value } = sample;
    if (typeof name !== 'string' || !NAME.test(name) || typeof value !== 'number' || !Number.isFinite(value)) return false;
    if (kind !== 'counter' && kind !== 'gauge' && kind !== 'histogram') return false;
    if (kind === 'counter' && value < 0) return false;
    const guestLabels: Record<string, string> = {};
    for (const pair of Array.isArray(sample.labels) ? sample.labels : []) {
      const [k, v] = pair as [unknown, unknown];
      if (typeof k !== 'string' || !NAME.test(k) || k.startsWith('__') || RESERVED_LABELS.has(k)) return false;
      guestLabels[k] = String(v).slice(0, MAX_LABEL_VALUE);
    }
    const exported = exportedName(name, kind);
    if (exported === null) return false;
    // Keyed by the name without a counter's `_total`: `hits` and `hits_total` are one family, and its kind is fixed.
    const family = this.#family(name.replace(/_total$/, ''), exported, kind, Object.keys(guestLabels));
    if (!family || Object.keys(guestLabels).some((k) => !family.labelNames.has(k))) return false;
    const labels = { component, version, ...guestLabels };
    const key = JSON.stringify([exported, version, Object.entries(guestLabels).sort()]);
    let series = this.#series.get(component);
    if (!series) {
      series = new Map();
      this.#series.set(component, series);
    }
    if (!series.has(key)) {
      if (series.size >= this.#bounds.maxSeriesPerComponent) return false;
      series.set(key, [family, labels]);
    }
    const m = family.metric;
    if (m instanceof Counter) m.inc(labels, value);
    else if (m instanceof Gauge) m.set(labels, value);
    else m.observe(labels, value);
    return true;
  }

  /** Drops the series of a version that no longer keeps any. */
  forget(component: string, version: string): void {
    const series = this.#series.get(component);
    if (!series) return;
    for (const [key, [family, labels]] of series) {
      if (labels.version !== version) continue;
      family.metric.remove(labels);
      series.delete(key);
    }
  }

  /**
   * The family of a guest name (`key`), exported as `name`, made on its first sample; null when
   * the kind conflicts or a bound is hit.
   */
  #family(key: string, name: string, kind: GuestFamily['kind'], guestLabels: readonly string[]): GuestFamily | null {
    const known = this.#families.get(key);
    if (known) return known.kind === kind ? known : null;
    if (this.#families.size >= this.#bounds.maxFamilies || guestLabels.length > this.#bounds.maxLabels) return null;
    if (this.#registry.getSingleMetric(name)) return null;
    const labelNames = ['component', 'version', ...[...guestLabels].sort()];
    const help = `Guest ${kind} ${key} (liquid-nano:plugin/metrics).`;
    const registers = [this.#registry];
    const metric =
      kind === 'counter'
        ? new Counter({ name, help, labelNames, registers })
        : kind === 'gauge'
          ? new Gauge({ name, help, labelNames, registers })
          : new Histogram({ name, help, labelNames, registers });
    const family = { kind, labelNames: new Set(guestLabels), metric };
    this.#families.set(key, family);
    return family;
  }
}
