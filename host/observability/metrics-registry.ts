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
 *
 * A call adds to plain per-version totals (`VersionSeries`); the counters and the memory gauge
 * read them when scraped, so no label set is built or validated per call. Only the duration
 * histogram is fed per call, with the version's label set built once.
 */
import { readFileSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, type MetricType, Registry } from 'prom-client';
import type { GuestMetricSample } from '../capabilities/metrics/guest-metrics.js';
import type { RunRecord } from '../pipelines/run-record.js';
import type { NotifyMessage } from '../sandbox/protocol.js';
import type { CallRecord, VersionTransition } from '../versions/version-manager.js';
import type { RouteStatus, VersionStatus } from '../versions/version-status.js';
import { type GuestMetricBounds, GuestMetricFamilies } from './guest-metric-families.js';
import { VersionSeries } from './version-series.js';

/** Defaults of the metrics registry. */
export const METRICS_DEFAULTS = Object.freeze({
  /** Versions of one component that keep series; older ones are removed. */
  maxVersionsPerComponent: 8,
  /** Buckets of `lnano_call_duration_seconds`, seconds. */
  durationBucketsSeconds: Object.freeze([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
  /** Buckets of `lnano_ingress_request_duration_seconds`, seconds. */
  requestBucketsSeconds: Object.freeze([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
  /** Buckets of `lnano_pipeline_run_duration_seconds`, seconds. */
  runBucketsSeconds: Object.freeze([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]),
  /** Whether prom-client's Node.js process metrics (`process_*`, `nodejs_*`, stock names) are exported. */
  processMetrics: true,
});

/**
 * prom-client's default metrics that are gauges named like counters. They keep their stock names
 * (dashboards query them) and are exposed as `untyped`: a gauge must not end in `_total`
 * (`promtool check metrics`), and they are not counters (they go down).
 */
const GAUGES_NAMED_TOTAL = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

/** The labels of `lnano_build_info`. */
export interface BuildInfo {
  /** The host's version (package.json). */
  readonly version: string;
  /** The Node.js version running it, without the `v`. */
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
}

/** This host's build: its package version (`unknown` when package.json cannot be read), Node.js, platform. */
export function buildInfo(): BuildInfo {
  let version = 'unknown';
  // host/observability/ in the source tree, dist/host/observability/ when built.
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'liquid-nano' && typeof pkg.version === 'string') {
        version = pkg.version;
        break;
      }
    } catch {
      // not this one
    }
  }
  return { version, node: process.versions.node, platform: process.platform, arch: process.arch };
}

/** Settings of a metrics registry; every default is in `METRICS_DEFAULTS` / `GUEST_METRIC_DEFAULTS`. */
export interface MetricsOptions extends Partial<GuestMetricBounds> {
  readonly maxVersionsPerComponent?: number;
  readonly durationBucketsSeconds?: readonly number[];
  readonly runBucketsSeconds?: readonly number[];
  readonly requestBucketsSeconds?: readonly number[];
  readonly processMetrics?: boolean;
}

/** The content type of `scrape()`'s text: the Prometheus text format 0.0.4. */
export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** What the registry reads pool state from when scraped (the version manager). */
export interface RouteSource {
  list(): RouteStatus[];
}

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
  /** Per component, its versions with series (oldest first). */
  readonly #seen = new Map<string, Map<string, VersionSeries>>();
  #source: RouteSource | null = null;
  #routes: RouteStatus[] = [];

  readonly #duration: Histogram<string>;
  readonly #runsStarted: Counter<string>;
  readonly #runsFinished: Counter<string>;
  readonly #runDuration: Histogram<string>;
  readonly #requestDuration: Histogram;
  /** The request histogram's children by `method route code`: labels validated once per combination. */
  readonly #requestChildren = new Map<string, { observe(seconds: number): void }>();
  constructor(options: MetricsOptions = {}) {
    this.#maxVersions = options.maxVersionsPerComponent ?? METRICS_DEFAULTS.maxVersionsPerComponent;
    const registers = [this.registry];
    const cv = ['component', 'version'] as const;
    // Counters read the versions' totals when scraped (see VersionSeries).
    const versions = (): Iterable<VersionSeries> => this.#allSeries();
    const counter = (name: string, help: string, extra?: string): void => {
      new Counter({
        name,
        help,
        labelNames: extra ? [...cv, extra] : [...cv],
        registers,
        collect() {
          this.reset();
          for (const series of versions()) for (const total of series.totals(name)) this.inc(total.labels, total.value);
        },
      });
    };
    counter('lnano_calls_total', 'Plugin calls finished, by outcome (ok, error).', 'outcome');
    counter('lnano_call_errors_total', 'Failed plugin calls, by error code (LN_ERR_GUEST_ERROR: the plugin returned err).', 'code');
    this.#duration = new Histogram({
      name: 'lnano_call_duration_seconds',
      help: 'Plugin call duration, queueing for an instance included.',
      labelNames: [...cv],
      registers,
      buckets: [...(options.durationBucketsSeconds ?? METRICS_DEFAULTS.durationBucketsSeconds)],
    });
    counter('lnano_fuel_used_total', 'Instructions run by fuel-metered calls.');
    counter('lnano_payload_bytes_total', 'Call payload bytes (estimated canonical-ABI size), by direction (in, out).', 'direction');
    counter('lnano_host_calls_total', 'Calls guests made into host interfaces, by kind (log, kv, http, metrics, emit, ...).', 'kind');
    counter('lnano_guest_output_dropped_total', 'Guest stdout/stderr lines dropped past the per-instance output rate during calls.');
    new Gauge({
      name: 'lnano_memory_peak_bytes',
      help: 'Largest instance linear memory seen after a call.',
      labelNames: [...cv],
      registers,
      collect() {
        this.reset();
        for (const series of versions()) if (series.peakBytes >= 0) this.set(series.labels, series.peakBytes);
      },
    });
    counter('lnano_deploys_total', 'Versions deployed (swapped in, or started as a canary), by strategy kind (deploy, canary).', 'kind');
    counter('lnano_swaps_total', 'Times a version became the active one (deploy, promote, rollback).');
    counter('lnano_rollbacks_total', 'Rollbacks to this version, by whether the health monitor did it.', 'automatic');
    counter('lnano_canary_aborts_total', 'Canaries dropped, by whether the health monitor did it.', 'automatic');
    const pool = (name: string, help: string, read: (v: VersionStatus) => number): void => {
      const routes = (): RouteStatus[] => this.#routes;
      new Gauge({
        name,
        help,
        labelNames: [...cv, 'role'],
        registers,
        collect() {
          this.reset();
          for (const r of routes()) {
            for (const [role, v] of [
              ['active', r.active],
              ['canary', r.candidate],
              ['standby', r.standby],
            ] as const) {
              if (v) this.set({ component: r.name, version: v.version, role }, read(v));
            }
          }
        },
      });
    };
    pool('lnano_instances', 'Live instances of a serving version, by role (active, canary, standby).', (v) => v.pool.instances);
    pool('lnano_instances_busy', 'Instances running a call.', (v) => v.pool.busy);
    pool('lnano_queue_depth', 'Calls waiting for an instance.', (v) => v.pool.queued);
    // Pipeline runs: pipeline names are the operator's files, so the label is bounded by them.
    this.#runsStarted = new Counter({
      name: 'lnano_pipeline_runs_started_total',
      help: 'Pipeline runs started (queued).',
      labelNames: ['pipeline'],
      registers,
    });
    this.#runsFinished = new Counter({
      name: 'lnano_pipeline_runs_finished_total',
      help: 'Pipeline runs finished, by status (succeeded, failed).',
      labelNames: ['pipeline', 'status'],
      registers,
    });
    this.#runDuration = new Histogram({
      name: 'lnano_pipeline_run_duration_seconds',
      help: 'Pipeline run duration from start to finish, queueing included, by status.',
      labelNames: ['pipeline', 'status'],
      registers,
      buckets: [...(options.runBucketsSeconds ?? METRICS_DEFAULTS.runBucketsSeconds)],
    });
    // Ingress requests: routes are the listener's own (fixed paths, and the wasi:http routes
    // deployed), methods fastify's known list, codes HTTP statuses: every label is bounded.
    this.#requestDuration = new Histogram({
      name: 'lnano_ingress_request_duration_seconds',
      help: 'Ingress HTTP requests by method, route and status code, from the request to the end of its answer (its _count is the request count).',
      labelNames: ['method', 'route', 'code'],
      registers,
      buckets: [...(options.requestBucketsSeconds ?? METRICS_DEFAULTS.requestBucketsSeconds)],
    });
    const build = buildInfo();
    new Gauge({
      name: 'lnano_build_info',
      help: 'Always 1; the labels say which Liquid Nano build runs, on which Node.js and platform.',
      labelNames: ['version', 'node', 'platform', 'arch'],
      registers,
    }).set({ ...build }, 1);
    this.#guest = new GuestMetricFamilies(this.registry, options);
    if (options.processMetrics ?? METRICS_DEFAULTS.processMetrics) {
      collectDefaultMetrics({ register: this.registry });
      for (const name of GAUGES_NAMED_TOTAL) {
        const gauge = this.registry.getSingleMetric(name);
        if (!gauge) continue;
        const get = gauge.get.bind(gauge);
        // prom-client's typings list no `untyped`; the exposition writes the string as given.
        gauge.get = async () => ({ ...(await get()), type: 'untyped' as unknown as MetricType });
      }
    }
  }

  /** The hooks to pass to `PipelineService.open({ ... })`. */
  pipelineObservers(): { onRunStarted: (run: Readonly<RunRecord>) => void; onRunFinished: (run: Readonly<RunRecord>) => void } {
    return {
      onRunStarted: (run) => this.#runsStarted.inc({ pipeline: run.pipeline }),
      onRunFinished: (run) => {
        const labels = { pipeline: run.pipeline, status: run.status };
        this.#runsFinished.inc(labels);
        this.#runDuration.observe(labels, (run.durationMs ?? 0) / 1000);
      },
    };
  }

  /**
   * The hook to pass to `new IngressServer({ ... })`: one answered request. `route` is the
   * matched route's pattern (`/events`), or `unmatched` for a 404, so a scan of random paths
   * adds one series, not one per path.
   */
  ingressObserver(): { onResponse: (method: string, route: string | undefined, status: number, seconds: number) => void } {
    return {
      onResponse: (method, route, status, seconds) => {
        const key = `${method} ${route ?? ''} ${status}`;
        let child = this.#requestChildren.get(key);
        if (!child) {
          child = this.#requestDuration.labels({ method, route: route ?? 'unmatched', code: String(status) });
          this.#requestChildren.set(key, child);
        }
        child.observe(seconds);
      },
    };
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
    const series = this.#series(call.name, call.version);
    series.add('lnano_calls_total', 1, ['outcome', call.ok ? 'ok' : 'error']);
    if (call.code) series.add('lnano_call_errors_total', 1, ['code', call.code]);
    this.#duration.observe(series.labels, call.durationMs / 1000);
    const u = call.usage;
    if (!u) return;
    if (u.fuelUsed !== null) series.add('lnano_fuel_used_total', u.fuelUsed);
    series.add('lnano_payload_bytes_total', u.bytesIn, ['direction', 'in']);
    series.add('lnano_payload_bytes_total', u.bytesOut, ['direction', 'out']);
    for (const kind in u.hostCalls) series.add('lnano_host_calls_total', u.hostCalls[kind]!, ['kind', kind]);
    if (u.outputDropped) series.add('lnano_guest_output_dropped_total', u.outputDropped);
    if (u.peakMemoryBytes > series.peakBytes) series.peakBytes = u.peakMemoryBytes;
  }

  /** Counts one deploy, swap, rollback or abort. */
  observeTransition(t: VersionTransition): void {
    const series = this.#series(t.name, t.kind === 'abort' ? (t.from ?? t.to) : t.to);
    const automatic = ['automatic', String(t.automatic)] as const;
    switch (t.kind) {
      case 'deploy':
      case 'canary':
        series.add('lnano_deploys_total', 1, ['kind', t.kind]);
        if (t.kind === 'deploy') series.add('lnano_swaps_total', 1);
        break;
      case 'promote':
        series.add('lnano_swaps_total', 1);
        break;
      case 'rollback':
        series.add('lnano_swaps_total', 1);
        series.add('lnano_rollbacks_total', 1, automatic);
        break;
      case 'abort':
        series.add('lnano_canary_aborts_total', 1, automatic);
        break;
    }
  }

  /** Takes the guest metric samples among an instance's notifications. */
  observeNotify(name: string, version: string, message: NotifyMessage): void {
    if (message.topic !== 'metric') return;
    this.#series(name, version);
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

  /** The series of `name@version`, dropping the oldest version's past the bound. */
  #series(component: string, version: string): VersionSeries {
    let versions = this.#seen.get(component);
    if (!versions) {
      versions = new Map();
      this.#seen.set(component, versions);
    }
    let series = versions.get(version);
    if (!series) {
      series = new VersionSeries(component, version);
      versions.set(version, series);
      while (versions.size > this.#maxVersions) {
        const [oldest, dropped] = versions.entries().next().value!;
        this.#duration.remove(dropped.labels);
        this.#guest.forget(component, oldest);
        versions.delete(oldest);
      }
    }
    return series;
  }

  *#allSeries(): Iterable<VersionSeries> {
    for (const versions of this.#seen.values()) yield* versions.values();
  }
}
