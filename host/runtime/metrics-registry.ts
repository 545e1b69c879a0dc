/**
 * The host's Prometheus metrics, on prom-client: one `Registry` per host (never prom-client's
 * global default), fed by the version manager's observer hooks (`onCall`, `onTransition`,
 * `onNotify`) so every path that calls a plugin — ingress, admin invoke, pipelines — counts.
 * Pool state is read from the version manager when scraped. Every family is listed in
 * docs/metrics.md.
 *
 * Series are bounded: per component, at most `maxVersionsPerComponent` versions keep series
 * (the oldest is dropped from every family when a newer one appears), error codes come from the
 * fixed code registry, and the guests' own metrics are bounded in `GuestMetricFamilies`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NotifyMessage } from '../sandbox/protocol.js';
import type { GuestMetricSample } from '../capabilities/guest-metrics.js';
import type { CallRecord, VersionTransition } from '../versions/version-manager.js';
import type { RouteStatus, VersionStatus } from '../versions/version-status.js';
import { GuestMetricFamilies, type GuestMetricBounds } from './guest-metric-families.js';

/** Defaults of the metrics registry. */
export const METRICS_DEFAULTS = Object.freeze({
  /** Versions of one component that keep series; older ones are removed. */
  maxVersionsPerComponent: 8,
  /** Buckets of `lnano_call_duration_seconds`, seconds. */
  durationBucketsSeconds: Object.freeze([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
  /** Whether the Node.js process metrics (`lnano_process_*`, `lnano_nodejs_*`) are exported. */
  processMetrics: true,
});

/** Settings of a metrics registry; every default is in `METRICS_DEFAULTS` / `GUEST_METRIC_DEFAULTS`. */
export interface MetricsOptions extends Partial<GuestMetricBounds> {
  readonly maxVersionsPerComponent?: number;
  readonly durationBucketsSeconds?: readonly number[];
  readonly processMetrics?: boolean;
}

/** What the registry reads pool state from when scraped (the version manager). */
export interface RouteSource {
  list(): RouteStatus[];
}

type Labels = Record<string, string>;
type Family = Counter<string> | Gauge<string> | Histogram<string>;

/**
 * The metrics of one host.
 *
 * @example
 * const metrics = new HostMetrics();
 * const manager = new VersionManager({ ...options, ...metrics.observers() });
 * metrics.bind(manager);
 * const text = await metrics.scrape();   // GET /metrics
 */
export class HostMetrics {
  readonly registry = new Registry();
  readonly #guest: GuestMetricFamilies;
  readonly #maxVersions: number;
  /** Per component, its versions with series (oldest first) and the label sets each used. */
  readonly #seen = new Map<string, Map<string, Array<[Family, Labels]>>>();
  readonly #tracked = new Set<string>();
  #source: RouteSource | null = null;
  #routes: RouteStatus[] = [];

  readonly #calls: Counter<string>;
  readonly #errors: Counter<string>;
  readonly #duration: Histogram<string>;
  readonly #fuel: Counter<string>;
  readonly #bytes: Counter<string>;
  readonly #hostCalls: Counter<string>;
  readonly #memory: Gauge<string>;
  readonly #deploys: Counter<string>;
  readonly #swaps: Counter<string>;
  readonly #rollbacks: Counter<string>;
  readonly #aborts: Counter<string>;

  constructor(options: MetricsOptions = {}) {
    this.#maxVersions = options.maxVersionsPerComponent ?? METRICS_DEFAULTS.maxVersionsPerComponent;
    const registers = [this.registry];
    const cv = ['component', 'version'] as const;
    this.#calls = new Counter({ name: 'lnano_calls_total', help: 'Plugin calls finished, by outcome (ok, error).', labelNames: [...cv, 'outcome'], registers });
    this.#errors = new Counter({ name: 'lnano_call_errors_total', help: 'Failed plugin calls, by error code (LN_ERR_GUEST_ERROR: the plugin returned err).', labelNames: [...cv, 'code'], registers });
    this.#duration = new Histogram({
      name: 'lnano_call_duration_seconds', help: 'Plugin call duration, queueing for an instance included.', labelNames: [...cv], registers,
      buckets: [...(options.durationBucketsSeconds ?? METRICS_DEFAULTS.durationBucketsSeconds)],
    });
    this.#fuel = new Counter({ name: 'lnano_fuel_used_total', help: 'Instructions run by fuel-metered calls.', labelNames: [...cv], registers });
    this.#bytes = new Counter({ name: 'lnano_payload_bytes_total', help: 'Call payload bytes (estimated canonical-ABI size), by direction (in, out).', labelNames: [...cv, 'direction'], registers });
    this.#hostCalls = new Counter({ name: 'lnano_host_calls_total', help: 'Calls guests made into host interfaces, by kind (log, kv, http, metrics, emit, ...).', labelNames: [...cv, 'kind'], registers });
    this.#memory = new Gauge({ name: 'lnano_memory_peak_bytes', help: 'Largest instance linear memory seen after a call.', labelNames: [...cv], registers });
    this.#deploys = new Counter({ name: 'lnano_deploys_total', help: 'Versions deployed (swapped in, or started as a canary), by strategy kind (deploy, canary).', labelNames: [...cv, 'kind'], registers });
    this.#swaps = new Counter({ name: 'lnano_swaps_total', help: 'Times a version became the active one (deploy, promote, rollback).', labelNames: [...cv], registers });
    this.#rollbacks = new Counter({ name: 'lnano_rollbacks_total', help: 'Rollbacks to this version, by whether the health monitor did it.', labelNames: [...cv, 'automatic'], registers });
    this.#aborts = new Counter({ name: 'lnano_canary_aborts_total', help: 'Canaries dropped, by whether the health monitor did it.', labelNames: [...cv, 'automatic'], registers });
    const pool = (name: string, help: string, read: (v: VersionStatus) => number): void => {
      const routes = (): RouteStatus[] => this.#routes;
      new Gauge({
        name, help, labelNames: [...cv, 'role'], registers,
        collect() {
          this.reset();
          for (const r of routes()) {
            for (const [role, v] of [['active', r.active], ['canary', r.candidate], ['standby', r.standby]] as const) {
              if (v) this.set({ component: r.name, version: v.version, role }, read(v));
            }
          }
        },
      });
    };
    pool('lnano_instances', 'Live instances of a serving version, by role (active, canary, standby).', (v) => v.pool.instances);
    pool('lnano_instances_busy', 'Instances running a call.', (v) => v.pool.busy);
    pool('lnano_queue_depth', 'Calls waiting for an instance.', (v) => v.pool.queued);
    this.#guest = new GuestMetricFamilies(this.registry, options);
    if (options.processMetrics ?? METRICS_DEFAULTS.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'lnano_' });
  }

  /** The hooks to pass to `new VersionManager({ ... })`. */
  observers(): {
    onCall: (call: CallRecord) => void;
    onTransition: (transition: VersionTransition) => void;
    onNotify: (name: string, version: string, message: NotifyMessage) => void;
  } {
    return {
      onCall: (call) => this.observeCall(call),
      onTransition: (t) => this.observeTransition(t),
      onNotify: (name, version, message) => this.observeNotify(name, version, message),
    };
  }

  /** Reads pool state from `source` at every scrape. */
  bind(source: RouteSource): void {
    this.#source = source;
  }

  /** Counts one finished call. */
  observeCall(call: CallRecord): void {
    const l = this.#labels(call.name, call.version);
    this.#count(this.#calls, { ...l, outcome: call.ok ? 'ok' : 'error' });
    if (call.code) this.#count(this.#errors, { ...l, code: call.code });
    this.#use(this.#duration, l).observe(l, call.durationMs / 1000);
    const u = call.usage;
    if (!u) return;
    if (u.fuelUsed !== null) this.#count(this.#fuel, l, u.fuelUsed);
    this.#count(this.#bytes, { ...l, direction: 'in' }, u.bytesIn);
    this.#count(this.#bytes, { ...l, direction: 'out' }, u.bytesOut);
    for (const [kind, n] of Object.entries(u.hostCalls)) this.#count(this.#hostCalls, { ...l, kind }, n);
    const peak = this.#use(this.#memory, l);
    if (u.memoryBytes > this.#peak(call.name, call.version)) {
      peak.set(l, u.memoryBytes);
      this.#peaks.set(`${call.name}\0${call.version}`, u.memoryBytes);
    }
  }

  readonly #peaks = new Map<string, number>();
  #peak(name: string, version: string): number {
    return this.#peaks.get(`${name}\0${version}`) ?? -1;
  }

  /** Counts one deploy, swap, rollback or abort. */
  observeTransition(t: VersionTransition): void {
    const l = this.#labels(t.name, t.to);
    const automatic = String(t.automatic);
    switch (t.kind) {
      case 'deploy':
      case 'canary':
        this.#count(this.#deploys, { ...l, kind: t.kind });
        if (t.kind === 'deploy') this.#count(this.#swaps, l);
        break;
      case 'promote':
        this.#count(this.#swaps, l);
        break;
      case 'rollback':
        this.#count(this.#swaps, l);
        this.#count(this.#rollbacks, { ...l, automatic });
        break;
      case 'abort': {
        const c = this.#labels(t.name, t.from ?? t.to);
        this.#count(this.#aborts, { ...c, automatic });
        break;
      }
    }
  }

  /** Takes the guest metric samples among an instance's notifications. */
  observeNotify(name: string, version: string, message: NotifyMessage): void {
    if (message.topic !== 'metric') return;
    this.#labels(name, version);
    this.#guest.record(name, version, message.payload as GuestMetricSample);
  }

  /** The Prometheus text exposition (format 0.0.4) of every family. */
  async scrape(): Promise<string> {
    this.#routes = this.#source?.list() ?? [];
    try {
      return await this.registry.metrics();
    } finally {
      this.#routes = [];
    }
  }

  /** The content type of `scrape()`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Labels of `name@version`, dropping the oldest version's series past the bound. */
  #labels(component: string, version: string): Labels {
    let versions = this.#seen.get(component);
    if (!versions) {
      versions = new Map();
      this.#seen.set(component, versions);
    }
    if (!versions.has(version)) {
      versions.set(version, []);
      while (versions.size > this.#maxVersions) {
        const [oldest, series] = versions.entries().next().value!;
        for (const [family, labels] of series) family.remove(labels);
        for (const key of [...this.#tracked]) if (key.startsWith(`${component}\0${oldest}\0`)) this.#tracked.delete(key);
        this.#guest.forget(component, oldest);
        this.#peaks.delete(`${component}\0${oldest}`);
        versions.delete(oldest);
      }
    }
    return { component, version };
  }

  #count(counter: Counter<string>, labels: Labels, value = 1): void {
    this.#use(counter, labels).inc(labels, Number.isFinite(value) && value > 0 ? value : 0);
  }

  /** Remembers a label set a family used (so the version's series can be removed), returns the family. */
  #use<F extends Family>(family: F, labels: Labels): F {
    const key = `${labels.component}\0${labels.version}\0${(family as unknown as { name: string }).name}\0${JSON.stringify(labels)}`;
    if (!this.#tracked.has(key)) {
      this.#tracked.add(key);
      this.#seen.get(labels.component!)?.get(labels.version!)?.push([family, labels]);
    }
    return family;
  }
}
