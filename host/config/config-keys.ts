import { CLUSTER_KEYS } from './cluster-keys.js';

/**
 * Every key of the host config in one table: its default, how a value is written, its
 * environment variable and flag, and whether it can change while the host runs ("live", applied
 * on hot reload) or needs a restart. docs/config.md lists the same table; a test checks they agree.
 */

import { CONFIG_SECTIONS, type ConfigSection } from './config-sections.js';

/** How a key's value is written. */
export type KeyKind =
  | { readonly type: 'address' }
  | { readonly type: 'path' }
  | { readonly type: 'bool' }
  | { readonly type: 'int'; readonly min: number; readonly max: number }
  | { readonly type: 'ratio' }
  | { readonly type: 'duration' }
  | { readonly type: 'size' }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'url' }
  | { readonly type: 'secret' }
  /** A structure (files only): the operator policy. */
  | { readonly type: 'object' }
  /** Web origins (`https://app.example:8443`): a list in a file, comma-separated in env and flags. */
  | { readonly type: 'origins' }
  /** A string matching `pattern` (a regular expression); `hint` is an example. A null default: unset. */
  | { readonly type: 'text'; readonly pattern: string; readonly hint: string }
  /** Strings each matching `pattern`, at most `max`: a list in a file, comma-separated in env and flags. */
  | { readonly type: 'list'; readonly pattern: string; readonly hint: string; readonly max: number }
  /** A subsystem's own section (`config-sections.ts`), file only. */
  | { readonly type: 'section'; readonly section: ConfigSection };

export interface KeyDef {
  /** Dotted path in the file, e.g. `tracing.sampleRatio`. */
  readonly key: string;
  readonly kind: KeyKind;
  /** The default, already in its resolved form (ms for durations, bytes for sizes). */
  readonly default: unknown;
  /** Applied at once on hot reload; otherwise a change is logged as "needs a restart". */
  readonly live: boolean;
  /** `lnano serve` flag (without `--`); every key can also be set with `--set key=value`. */
  readonly flag?: string;
  /** Files only (the operator policy: a structure, not a string). */
  readonly fileOnly?: boolean;
  /** One line for docs and `--help`. */
  readonly doc: string;
}

/** The key of a subsystem's section: file only, needs a restart. */
function sectionKey(section: ConfigSection): KeyDef {
  return { key: section.key, kind: { type: 'section', section }, default: null, live: false, fileOnly: true, doc: section.doc };
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** The keys, grouped as in the file. */
export const CONFIG_KEYS: readonly KeyDef[] = Object.freeze([
  { key: 'listen', kind: { type: 'address' }, default: '127.0.0.1:8080', live: false, flag: 'listen', doc: 'event ingress host:port (port 0 picks one)' },
  {
    key: 'adminListen',
    kind: { type: 'address' },
    default: '127.0.0.1:8081',
    live: false,
    flag: 'admin-listen',
    doc: 'admin API host:port (port 0 picks one)',
  },
  {
    key: 'adminToken',
    kind: { type: 'secret' },
    default: null,
    live: false,
    doc: 'admin API bearer token (default: the admin-token file in the data dir, generated on first start); never printed',
  },
  {
    key: 'dataDir',
    kind: { type: 'path' },
    default: '.lnano',
    live: false,
    flag: 'data-dir',
    doc: 'data directory: registry, artifacts, caches, kv, admin token',
  },
  {
    key: 'components',
    kind: { type: 'path' },
    default: 'components',
    live: false,
    flag: 'components',
    doc: 'plugin folders deployed at start (<dir>/<name>/manifest.json); the default one only if it exists',
  },
  { key: 'seed', kind: { type: 'bool' }, default: true, live: false, doc: 'deploy the components folder at start (flag: --no-seed turns it off)' },
  { key: 'logLevel', kind: { type: 'enum', values: LEVELS }, default: 'info', live: true, flag: 'log-level', doc: 'host log level' },
  {
    key: 'logFormat',
    kind: { type: 'enum', values: ['auto', 'json', 'pretty'] },
    default: 'auto',
    live: false,
    flag: 'log-format',
    doc: 'log lines as JSON, or pretty; auto: pretty when stderr is a terminal',
  },
  { key: 'retain', kind: { type: 'int', min: 1, max: 1000 }, default: 5, live: false, flag: 'retain', doc: 'versions kept per plugin for rollback' },
  {
    key: 'standbyWarm',
    kind: { type: 'duration' },
    default: 60_000,
    live: false,
    doc: 'how long a blue-green standby keeps its instances after a swap (rollback starts nothing); then it is parked: compiled modules kept, instances dropped',
  },
  {
    key: 'timeout',
    kind: { type: 'duration' },
    default: 5000,
    live: false,
    flag: 'timeout',
    doc: "default deadline of one plugin call (a manifest's limits win)",
  },
  {
    key: 'policy',
    kind: { type: 'object' },
    default: null,
    live: false,
    fileOnly: true,
    doc: 'the operator policy bounding every grant and limit (docs/policy.md)',
  },
  {
    key: 'tracing.enabled',
    kind: { type: 'bool' },
    default: false,
    live: false,
    flag: 'tracing',
    doc: 'record traces (GET /v1/traces; OTLP export when an endpoint is set)',
  },
  {
    key: 'tracing.otlpEndpoint',
    kind: { type: 'url' },
    default: null,
    live: false,
    flag: 'otlp-endpoint',
    doc: 'OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces',
  },
  { key: 'tracing.sampleRatio', kind: { type: 'ratio' }, default: 1, live: true, doc: 'share of new traces recorded, 0 to 1' },
  {
    key: 'metrics.listen',
    kind: { type: 'address' },
    default: null,
    live: false,
    flag: 'metrics-listen',
    doc: 'also serve GET /metrics, without the admin token, on this host:port (e.g. 127.0.0.1:9464; port 0 picks one)',
  },
  {
    key: 'timeline.capacity',
    kind: { type: 'int', min: 1, max: 1_000_000 },
    default: 10_000,
    live: false,
    doc: 'diagnostics timeline entries kept in memory (a ring: the oldest go first)',
  },
  {
    key: 'sandbox.workers',
    kind: { type: 'int', min: 0, max: 256 },
    default: 0,
    live: false,
    doc: 'shared sandbox worker threads, each hosting many instances (0: one per core); see docs/sandbox.md',
  },
  {
    key: 'sandbox.isolation',
    kind: { type: 'enum', values: ['shared', 'inline'] },
    default: 'shared',
    live: false,
    doc: 'where instances of components whose limits say isolation "auto" (the default) run when nothing they are granted can block the thread: shared sandbox workers, or inline on the main thread (no thread hop per call; a call stalls the event loop while it runs); see docs/sandbox.md',
  },
  {
    key: 'sandbox.deadlineGrace',
    kind: { type: 'duration' },
    default: 1000,
    live: false,
    doc: "after a call's deadline, how long its guest may take to stop at a deadline check before its worker (and the neighbours in it) is terminated",
  },
  {
    key: 'runtime.maxDepth',
    kind: { type: 'int', min: 0, max: 64 },
    default: 8,
    live: true,
    doc: 'deepest chain of follow-up events (0: follow-ups are not routed)',
  },
  {
    key: 'runtime.maxFanOut',
    kind: { type: 'int', min: 0, max: 10_000 },
    default: 64,
    live: true,
    doc: 'most follow-up events routed per ingress event, all generations together',
  },
  {
    key: 'runtime.concurrency.global',
    kind: { type: 'int', min: 1, max: 100_000 },
    default: 256,
    live: true,
    doc: 'plugin calls in flight at once, all plugins',
  },
  {
    key: 'runtime.concurrency.perPlugin',
    kind: { type: 'int', min: 1, max: 10_000 },
    default: 64,
    live: true,
    doc: 'plugin calls in flight at once, per plugin',
  },
  {
    key: 'runtime.delivery',
    kind: { type: 'enum', values: ['concurrent', 'sequential'] },
    default: 'concurrent',
    live: true,
    doc: 'plugins matching one event: called side by side (answer still in priority/name order), or one after another',
  },
  { key: 'runtime.stopOnError', kind: { type: 'bool' }, default: false, live: true, doc: 'stop routing an event to later plugins after one fails' },
  {
    key: 'pipelines.dir',
    kind: { type: 'path' },
    default: 'pipelines',
    live: false,
    flag: 'pipelines',
    doc: 'pipeline definitions (<dir>/<name>.json|.yaml), hot-reloaded; when not set: <data-dir>/pipelines, created on demand',
  },
  {
    key: 'pipelines.concurrency',
    kind: { type: 'int', min: 1, max: 10_000 },
    default: 256,
    live: false,
    doc: 'pipeline step executions in flight at once, all runs together',
  },
  { key: 'ingress.maxBodyBytes', kind: { type: 'size' }, default: 1024 * 1024, live: true, doc: 'largest POST /events body' },
  { key: 'ingress.maxBatch', kind: { type: 'int', min: 1, max: 100_000 }, default: 100, live: true, doc: 'most events in one POST /events batch' },
  {
    key: 'ingress.allowedOrigins',
    kind: { type: 'origins' },
    default: Object.freeze([]),
    live: true,
    doc: 'web origins whose pages may POST /events cross-site (others are refused)',
  },
  ...CLUSTER_KEYS,
  // The subsystems' own sections (config-sections.ts), after the keys.
  ...CONFIG_SECTIONS.map(sectionKey),
] satisfies KeyDef[]);

/** Keys by path. */
export const KEYS_BY_NAME: ReadonlyMap<string, KeyDef> = new Map(CONFIG_KEYS.map((k) => [k.key, k]));

/** Groups (objects in the file) and the names under each. */
export const GROUPS: ReadonlyMap<string, readonly string[]> = (() => {
  const groups = new Map<string, Set<string>>([['', new Set(['$schema'])]]);
  for (const { key } of CONFIG_KEYS) {
    const parts = key.split('.');
    for (let i = 0; i < parts.length; i++) {
      const group = parts.slice(0, i).join('.');
      const set = groups.get(group) ?? new Set<string>();
      set.add(parts[i]!);
      groups.set(group, set);
    }
  }
  return new Map([...groups].map(([g, s]) => [g, [...s]]));
})();

/** The environment variable of a key: `LNANO_` + its path in SCREAMING_SNAKE_CASE (`tracing.sampleRatio` → `LNANO_TRACING_SAMPLE_RATIO`). */
export function envName(key: string): string {
  return `LNANO_${key
    .replace(/\./g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()}`;
}

/** The environment variable naming the config file. */
export const CONFIG_FILE_ENV = 'LNANO_CONFIG';
