/**
 * The composition root: `createHost(config)` wires one Liquid Nano host — the version manager
 * over the data dir, the event runtime, pipelines, metrics and tracing, the ingress and the admin
 * API (with the console) — exactly as `lnano serve` runs it; `lnano serve` is this plus flags,
 * config file and signals. See docs/embedding.md.
 *
 * Contracts:
 * - `createHost` only validates (a bad config throws `LN_ERR_CONFIG_INVALID` naming the key); it
 *   touches neither the disk nor the network. `start()` does everything else, in `lnano serve`'s
 *   order: data dir, admin token, sandbox pool, restore, seeding, runtime, pipelines, listeners.
 * - `close()` is graceful and idempotent: listeners stop accepting and drain their open
 *   requests, pipelines stop, every version drains and stops its instances, the registry closes,
 *   the sandbox workers end, tracing flushes. A second call answers the first call's promise. A
 *   failed `start()` closes what it opened before it rejects.
 * - One host runs per process at a time: the sandbox worker pool is the process's
 *   (`LN_ERR_CONFIG_HOST_STATE` otherwise); a closed host cannot start again — create another
 *   one on the same data dir, it restores what the first one served.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { MqttBridge } from './bridges/mqtt-bridge.js';
import type { LlmConfigInput } from './capabilities/llm/llm-config.js';
import { OPEN_POLICY, type OperatorPolicy, parsePolicy } from './capabilities/policy.js';
import { reportError } from './cli/cli-io.js';
import { transpileCacheDir } from './cli/data-dir.js';
import type { Cluster } from './cluster/cluster.js';
import { clusterRoutes } from './cluster/cluster-routes.js';
import { CONFIG_KEYS, KEYS_BY_NAME } from './config/config-keys.js';
import { parseValue } from './config/config-values.js';
import { type ConfigChange, ConfigWatcher } from './config/config-watcher.js';
import { buildConfig, type ConfigInputs, configEntries, type HostConfig, type ResolvedConfig } from './config/host-config.js';
import { ENGINE_DEFAULTS, Engine } from './engine/engine.js';
import { eventToEnvelope } from './engine/plugin-event.js';
import { LnError } from './errors/ln-error.js';
import { LiquidNanoRuntime } from './events/liquid-nano-runtime.js';
import { effectiveLogFormat, logDestination } from './log/log-format.js';
import { LogRing } from './log/log-ring.js';
import { createLogger, type Logger } from './log/logger.js';
import { HostMetrics } from './observability/metrics-registry.js';
import { Tracing } from './observability/tracing.js';
import { PipelineService } from './pipelines/pipeline-service.js';
import { NO_LIMITS_POLICY, parseLimits, parseLimitsPolicy } from './resources/limits.js';
import { configureDefaultWorkerPool, type WorkerPool } from './sandbox/worker-pool.js';
import { adminRoutes } from './server/admin-routes.js';
import { AdminServer } from './server/admin-server.js';
import { resolveAdminToken } from './server/admin-token.js';
import { ConsoleAssets } from './server/console-assets.js';
import { consoleRoutes } from './server/console-routes.js';
import { RouteServer } from './server/http-routes/route-server.js';
import { IngressServer } from './server/ingress-server.js';
import { MetricsServer } from './server/metrics-server.js';
import { pipelineDocumentRoute } from './server/pipeline-document-route.js';
import { pipelineRoutes } from './server/pipeline-routes.js';
import { timelineRoutes } from './server/timeline-routes.js';
import { boundedEach } from './support/bounded-each.js';
import { readFileMapped } from './support/mapped-file.js';
import { ensurePrivateDir } from './support/private-files.js';
import { formatByteSize } from './support/units.js';
import { type Manifest, readManifest } from './versions/manifest.js';
import { VersionManager } from './versions/version-manager.js';

/**
 * Plugin folders deployed at once when seeding: enough to keep both transpiler processes busy
 * while the main thread compiles, starts and probes the ones already transpiled, few enough for
 * a small machine.
 */
export const SEED_CONCURRENCY = 4;

/** How long seeding waits for the cluster's NATS connection, ms (cluster members only). */
export const SEED_CLUSTER_WAIT_MS = 5000;

/** What a config value given to `createHost` is reported as coming from. */
const INPUT_SOURCE = 'createHost config';

/** `T` with every field optional, nested objects too (arrays and maps are taken whole). */
type DeepPartial<T> = {
  readonly [K in keyof T]?: T[K] extends readonly unknown[] | ReadonlyMap<unknown, unknown> ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

/**
 * The config `createHost` takes: the shape of `HostConfig` (what the config loader produces;
 * durations in ms, sizes in bytes), every key optional with its documented default
 * (docs/config.md). `policy` is either the config file's `policy` section (validated here) or an
 * `OperatorPolicy` the loader or `parsePolicy` resolved; `limitsPolicy` is always derived from
 * `policy.limits` (a given one is ignored). Relative paths resolve against `HostOptions.cwd`.
 */
export type HostConfigInput = DeepPartial<Omit<HostConfig, 'policy' | 'limitsPolicy' | 'llm'>> & {
  readonly policy?: OperatorPolicy | Readonly<Record<string, unknown>>;
  readonly limitsPolicy?: HostConfig['limitsPolicy'];
  /** Language-model providers and aliases, as a config file writes them (docs/llm.md). */
  readonly llm?: LlmConfigInput | null;
};

/** How a host is run besides its config. */
export interface HostOptions {
  /**
   * Where the host reports its start-up (restored, seeded, the addresses: `lnano serve`'s
   * output) and seeding failures; default: nowhere (the logger still logs).
   */
  readonly output?: { readonly stdout: NodeJS.WritableStream; readonly stderr: NodeJS.WritableStream };
  /** Read for `LNANO_ADMIN_TOKEN` when the config has no `adminToken`; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Relative paths in the config and in admin deploys of a folder resolve here; default `process.cwd()`. */
  readonly cwd?: string;
  /**
   * What a config from the loader was resolved from (`resolveHostConfig(inputs)`): given, the
   * host watches the config file and `reload()` reads it again. Only with a `ResolvedConfig`.
   */
  readonly reloadFrom?: ConfigInputs;
  /** Called once restore and seeding are over, before the listeners start (`lnano serve` frees start-up memory there). */
  readonly onStartedUp?: () => void;
}

/** One listener's bound address. */
export interface HostAddress extends AddressInfo {
  /** e.g. `http://127.0.0.1:41234` (IPv6 in brackets). */
  readonly url: string;
}

/** Where a started host listens: the ingress (`POST /events`, `GET /health`) and the admin API (`/v1`, `/console/`, `/metrics`). */
export interface HostAddresses {
  readonly ingress: HostAddress;
  readonly admin: HostAddress;
  /** The token-free `GET /metrics` listener (config `metrics.listen`), when one is set. */
  readonly metrics?: HostAddress;
}

/** The deployed versions as an embedder drives them (what the admin API does): store, deploy, promote, roll back, inspect. */
export type HostVersions = Pick<VersionManager, 'storeArtifact' | 'deploy' | 'promote' | 'abort' | 'setCanaryWeight' | 'rollback' | 'status' | 'list'>;

/** The event runtime as an embedder drives it (what the ingress does): dispatch events, call one plugin, add hooks. */
export type HostEvents = Pick<LiquidNanoRuntime, 'dispatch' | 'dispatchEnvelope' | 'invoke' | 'on' | 'names'>;

/** A Liquid Nano host: `start()` it, use it, `close()` it. */
export interface Host {
  /** The running config (live keys change on `reload()`). */
  readonly config: HostConfig;
  /**
   * Starts the host (see the module comment for the order); resolves with the bound addresses.
   *
   * @throws LnError `LN_ERR_CONFIG_PORT_IN_USE` for a held address, `LN_ERR_CONFIG_HOST_STATE`
   *   when started twice, after `close()` or while another host runs in this process; any error
   *   of opening the data dir (`LN_ERR_VERSION_REGISTRY`, ...)
   */
  start(): Promise<HostAddresses>;
  /** Drains and stops everything `start()` opened; idempotent, never rejects for a host that never started. */
  close(): Promise<void>;
  /** The MQTT bridge (config `bridges.mqtt`), or null when none is configured. @throws LnError `LN_ERR_CONFIG_HOST_STATE` before `start()` */
  readonly mqtt: MqttBridge | null;
  /** Reads the config file again and applies its live keys; null when invalid (logged) or when the host has no file to read (`HostOptions.reloadFrom`). */
  reload(): ConfigChange | null;
  /** @throws LnError `LN_ERR_CONFIG_HOST_STATE` before `start()` resolved */
  readonly addresses: HostAddresses;
  /** The admin API's bearer token. @throws LnError `LN_ERR_CONFIG_HOST_STATE` before `start()` resolved */
  readonly adminToken: string;
  /** @throws LnError `LN_ERR_CONFIG_HOST_STATE` before `start()` resolved */
  readonly versions: HostVersions;
  /** @throws LnError `LN_ERR_CONFIG_HOST_STATE` before `start()` resolved */
  readonly events: HostEvents;
}

/** `HostConfig` fields whose config key has another name (the key has no unit suffix). */
const RENAMED: Readonly<Record<string, string>> = {
  standbyWarmMs: 'standbyWarm',
  timeoutMs: 'timeout',
  'sandbox.deadlineGraceMs': 'sandbox.deadlineGrace',
  'cluster.heartbeatMs': 'cluster.heartbeat',
};
const RENAMED_KEYS = new Set(Object.values(RENAMED));
/** Groups of keys (objects in the config). */
const GROUP_PATHS = new Set(
  CONFIG_KEYS.flatMap((k) =>
    k.key
      .split('.')
      .slice(0, -1)
      .map((_, i, parts) => parts.slice(0, i + 1).join('.')),
  ),
);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value));

/** How a value that is not an object is named in an error. */
const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value);

const invalid = (key: string, reason: string): LnError => new LnError('LN_ERR_CONFIG_INVALID', { key, source: INPUT_SOURCE, reason });

/**
 * The resolved config of a `HostConfigInput`: each given value parsed by its key's rule (the
 * same as in a config file), every other key at its default.
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the key, for an unknown key or a bad value
 */
function resolveInput(input: unknown, cwd: string): ResolvedConfig {
  if (!isPlainObject(input)) throw invalid('(config)', `expected an object of host config keys, got ${kindOf(input)}`);
  const values = new Map<string, unknown>(
    CONFIG_KEYS.map((k) => [k.key, k.kind.type === 'path' && k.default !== null ? resolve(cwd, k.default as string) : k.default]),
  );
  const sources = new Map<string, string>(CONFIG_KEYS.map((k) => [k.key, 'default']));
  const walk = (object: Record<string, unknown>, prefix: string): void => {
    for (const [name, raw] of Object.entries(object)) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (raw === undefined || path === 'limitsPolicy' || path === 'policy') continue;
      if (GROUP_PATHS.has(path)) {
        if (!isPlainObject(raw)) throw invalid(path, `expected an object, got ${kindOf(raw)}`);
        walk(raw, path);
        continue;
      }
      const def = KEYS_BY_NAME.get(RENAMED[path] ?? path);
      // A key whose field has another name (`timeout` is `timeoutMs` here) is refused, not guessed at.
      if (!def || (RENAMED[path] === undefined && RENAMED_KEYS.has(def.key))) {
        throw invalid(path, `not a host config key (keys: ${hostConfigFields().join(', ')})`);
      }
      if (raw === null && def.default === null) continue;
      values.set(def.key, parseValue(def, raw, INPUT_SOURCE, cwd));
      sources.set(def.key, INPUT_SOURCE);
    }
  };
  walk(input, '');
  let policy: OperatorPolicy;
  const given = input.policy;
  if (given === undefined || given === null) {
    policy = OPEN_POLICY;
  } else if (isPlainObject(given) && typeof given.source === 'string' && 'fsRoots' in given) {
    policy = given as unknown as OperatorPolicy; // resolved by the loader or parsePolicy
    sources.set('policy', INPUT_SOURCE);
  } else {
    policy = parsePolicy(given, INPUT_SOURCE, cwd);
    sources.set('policy', INPUT_SOURCE);
  }
  values.set('policy', given ?? null);
  const limitsPolicy = policy.limits ? parseLimitsPolicy(policy.limits, policy.source) : NO_LIMITS_POLICY;
  return { config: buildConfig(values, policy, limitsPolicy), sources, values, file: null };
}

/** The field names `HostConfigInput` accepts, dotted. */
function hostConfigFields(): string[] {
  const byKey = new Map(Object.entries(RENAMED).map(([field, key]) => [key, field]));
  return [...CONFIG_KEYS.map((k) => byKey.get(k.key) ?? k.key)];
}

const isResolved = (config: HostConfigInput | ResolvedConfig): config is ResolvedConfig =>
  'config' in config && 'sources' in config && config.sources instanceof Map;

const hostState = (action: string, reason: string): LnError => new LnError('LN_ERR_CONFIG_HOST_STATE', { action, reason });

function parseListen(text: string): { host: string; port: number } {
  const match = /^(.*):(\d{1,5})$/.exec(text)!;
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port: Number(match[2]) };
}

const urlOf = (address: AddressInfo): string => `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

/**
 * Starts `server` on `address` (the value of config key `key`).
 *
 * @throws LnError `LN_ERR_CONFIG_PORT_IN_USE` when another process holds the address
 */
async function listening(
  server: { listen(port: number, host: string): Promise<AddressInfo> },
  address: string,
  key: 'listen' | 'adminListen' | 'metrics.listen',
): Promise<HostAddress> {
  const at = parseListen(address);
  try {
    const bound = await server.listen(at.port, at.host);
    return Object.freeze({ ...bound, url: urlOf(bound) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const flag = CONFIG_KEYS.find((k) => k.key === key)!.flag!;
    throw new LnError('LN_ERR_CONFIG_PORT_IN_USE', { address, key, flag }, { cause: err });
  }
}

/** The runtime's live settings from the config's `runtime` section. */
function runtimeSettings(config: HostConfig): {
  maxDepth: number;
  maxFanOut: number;
  maxConcurrentCalls: number;
  maxConcurrentCallsPerPlugin: number;
  stopOnError: boolean;
  delivery: 'concurrent' | 'sequential';
} {
  const r = config.runtime;
  return {
    maxDepth: r.maxDepth,
    maxFanOut: r.maxFanOut,
    maxConcurrentCalls: r.concurrency.global,
    maxConcurrentCallsPerPlugin: r.concurrency.perPlugin,
    stopOnError: r.stopOnError,
    delivery: r.delivery,
  };
}

/** Where start-up lines go. */
interface Report {
  line(text: string): void;
  failed(err: unknown): void;
}

/**
 * Deploys each plugin folder under `dir` whose name the registry has never seen, largest
 * component first, up to `SEED_CONCURRENCY` at a time (deploys of distinct names run side by side in the version
 * manager). A name it knows (any version, even retired) belongs to the operator: a restart never
 * undoes a deploy, promote or rollback, so the folder is left alone and the start-up output says
 * what is kept. Two folders naming one plugin: the first in name order is seeded.
 */
async function seed(dir: string, manager: VersionManager, report: Report, logger: Logger): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw new LnError('LN_ERR_CONFIG_USAGE', { reason: `lnano serve: cannot read the components folder ${dir}`, command: 'serve' });
  });
  const fresh: Array<{ folder: string; entry: string; manifest: Manifest }> = [];
  const claimed = new Map<string, string>();
  const failed = (entry: string, err: unknown): void => {
    report.line(`seeding ${entry} failed\n`);
    logger.warn({ component: entry, err }, 'seed failed');
    report.failed(err);
  };
  // Decided in name order before any deploy starts, so the outcome does not depend on timing.
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const folder = join(dir, entry.name);
    const manifestPath = join(folder, 'manifest.json');
    if (!existsSync(manifestPath)) continue;
    try {
      const manifest = await readManifest(manifestPath);
      const known = manager.registry.get(manifest.name);
      if (known || manager.registry.versions(manifest.name).length > 0) {
        report.line(
          known?.active
            ? `kept ${manifest.name} at ${known.active} (operator-managed; ${folder} is not deployed over it)\n`
            : `kept ${manifest.name} as it is (operator-managed: the registry knows it, nothing is active; \`lnano deploy ${folder}\` deploys the folder)\n`,
        );
      } else if (claimed.has(manifest.name)) {
        report.line(`skipped ${folder}: ${claimed.get(manifest.name)} seeds ${manifest.name} already\n`);
      } else {
        claimed.set(manifest.name, folder);
        fresh.push({ folder, entry: entry.name, manifest });
      }
    } catch (err) {
      failed(entry.name, err);
    }
  }
  // Largest first: a componentize-js guest takes ~1 s to transpile and instrument, a C one
  // ~0.1 s; starting the long ones first keeps them off the end of the critical path.
  const componentFile = (f: { folder: string; manifest: Manifest }): string => f.manifest.component ?? join(f.folder, 'component.wasm');
  const sizes = new Map(
    await Promise.all(
      fresh.map(
        async (f) =>
          [
            f.folder,
            await stat(componentFile(f)).then(
              (s) => s.size,
              () => 0,
            ),
          ] as const,
      ),
    ),
  );
  fresh.sort((a, b) => sizes.get(b.folder)! - sizes.get(a.folder)!);
  if (fresh.length > 0) report.line(`seeding ${fresh.length} new plugin(s), ${SEED_CONCURRENCY} at a time: ${fresh.map((f) => f.manifest.name).join(', ')}\n`);
  await boundedEach(fresh, SEED_CONCURRENCY, async ({ folder, entry, manifest }) => {
    const started = performance.now();
    try {
      // Read into pages V8 maps itself, not a malloc'd Buffer (see readFileMapped): no fragmentation left behind.
      const bytes = await readFileMapped(componentFile({ folder, manifest }));
      const stored = await manager.storeArtifact(bytes);
      const result = await manager.deploy({
        manifest,
        digest: stored.digest,
        actor: 'serve --components',
        reason: `seeded from ${folder}`,
        // The operator put these folders there: their grants (e.g. a kv namespace) are approved.
        approveCapabilities: true,
        ...(manifest.probe ? { probe: manifest.probe } : {}),
      });
      report.line(`seeded ${result.name}@${result.version} (new): ${formatByteSize(bytes.length)}, ready in ${Math.round(performance.now() - started)} ms\n`);
    } catch (err) {
      failed(entry, err);
    }
  });
}

/** The process's running host: the sandbox worker pool is per process. */
let running: object | null = null;

/** What a started host holds, in the order it was opened. */
interface Parts {
  watcher?: ConfigWatcher;
  tracing?: Tracing;
  pool?: WorkerPool;
  manager?: VersionManager;
  router?: LiquidNanoRuntime;
  pipelines?: PipelineService;
  ingress?: IngressServer;
  admin?: AdminServer;
  metricsServer?: MetricsServer;
  cluster?: Cluster;
  mqtt?: MqttBridge;
  streams?: AbortController;
  /** The llm service (a host config with an `llm` section). */
  llm?: { close(): Promise<void> };
  logger?: Logger;
  token?: string;
  addresses?: HostAddresses;
}

/**
 * A host over `config` (a `HostConfigInput`, e.g. `{ dataDir }`, or the config loader's
 * `ResolvedConfig`, which keeps each key's source). Nothing starts until `start()`.
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the key, for an unknown key or a bad value
 */
export function createHost(config: HostConfigInput | ResolvedConfig = {}, options: HostOptions = {}): Host {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const fromLoader = config !== null && typeof config === 'object' && isResolved(config);
  const resolved = fromLoader ? config : resolveInput(config, cwd);
  if (options.reloadFrom && !fromLoader) {
    throw invalid('(options)', 'reloadFrom takes the inputs of a config resolved by the config loader (resolveHostConfig), not a plain config object');
  }
  const io = { stdout: options.output?.stdout, stderr: options.output?.stderr };
  const report: Report = {
    line: (text) => void io.stdout?.write(text),
    failed: (err) => {
      if (options.output) reportError({ ...options.output, env, cwd }, err);
    },
  };
  const parts: Parts = {};
  let phase: 'created' | 'starting' | 'started' | 'closed' = 'created';
  let closing: Promise<void> | null = null;
  const self = {};
  const current = (): ResolvedConfig => parts.watcher?.current ?? resolved;
  const started = <T>(what: string, value: T | undefined): T => {
    if (phase !== 'started' || value === undefined) {
      throw hostState(`read the ${what} of`, phase === 'closed' ? 'it is closed' : 'it has not started (await host.start())');
    }
    return value;
  };

  const stopAll = async (): Promise<void> => {
    parts.streams?.abort();
    parts.watcher?.close();
    await Promise.all([parts.ingress?.close(), parts.admin?.close(), parts.metricsServer?.close(), parts.mqtt?.close()]);
    await parts.pipelines?.close();
    await parts.cluster?.close();
    await parts.manager?.close();
    await parts.llm?.close();
    await parts.pool?.close();
    await parts.tracing?.shutdown();
    parts.logger?.flush();
    if (running === self) running = null;
  };

  let opening: Promise<void> | null = null;
  const start = async (): Promise<HostAddresses> => {
    if (phase !== 'created') throw hostState('start', phase === 'closed' ? 'it is closed (create another host on the same data dir)' : 'it is started already');
    if (running !== null) throw hostState('start', 'another host runs in this process (the sandbox worker pool is per process); close it first');
    phase = 'starting';
    running = self;
    opening = open();
    try {
      await opening;
    } catch (err) {
      phase = 'closed';
      closing ??= stopAll();
      await closing;
      throw err;
    }
    if (closing) {
      // close() was called while starting: it stops everything once the start is over.
      await closing;
      throw hostState('start', 'it was closed while starting');
    }
    phase = 'started';
    return parts.addresses!;
  };

  const open = async (): Promise<void> => {
    const config = resolved.config;
    const logs = new LogRing(logDestination(effectiveLogFormat(config.logFormat, process.stderr.isTTY === true)));
    const logger = createLogger({ level: config.logLevel, destination: logs });
    parts.logger = logger;
    const watcher = new ConfigWatcher(options.reloadFrom ?? { env: {}, cwd }, resolved, { logger });
    parts.watcher = watcher;
    const tracing = await Tracing.start({ ...config.tracing, env }, logger);
    parts.tracing = tracing;
    const metrics = new HostMetrics();
    const timeoutSource = resolved.sources.get('timeout')!;
    const hostLimits = timeoutSource === 'default' ? [] : [{ section: parseLimits({ timeout: config.timeoutMs }, timeoutSource), source: timeoutSource }];
    // Data at rest is private: the data dir 0700 (an existing one is tightened), its files 0600.
    ensurePrivateDir(config.dataDir);
    const token = resolveAdminToken(config.dataDir, env, config.adminToken ?? undefined);
    if (config.llm) {
      // Loaded only when configured: the providers' SDKs stay out of every other start.
      const { LlmService } = await import('./capabilities/llm/llm-service.js');
      const llm = await LlmService.open({ config: config.llm, env, logger, registry: metrics.registry });
      llm.listen();
      parts.llm = llm;
    }
    try {
      parts.pool = configureDefaultWorkerPool({
        graceMs: config.sandbox.deadlineGraceMs,
        isolation: config.sandbox.isolation,
        ...(config.sandbox.workers > 0 ? { sharedWorkers: config.sandbox.workers } : {}),
      });
    } catch (err) {
      throw new LnError(
        'LN_ERR_CONFIG_HOST_STATE',
        {
          action: 'start',
          reason: "instances run on this process's sandbox worker pool already (Engine/Instance used before createHost); start the host first",
        },
        { cause: err },
      );
    }
    const engine = new Engine({ cacheDir: transpileCacheDir(config.dataDir), logger });
    // A cluster member (docs/cluster.md): NATS is loaded only then; it connects in the background.
    if (config.cluster.servers.length > 0) {
      const { Cluster } = await import('./cluster/cluster.js');
      parts.cluster = Cluster.create(config.cluster, {
        dataDir: config.dataDir,
        logger,
        retain: config.retain,
        maxComponentBytes: ENGINE_DEFAULTS.maxComponentBytes,
      });
      void parts.cluster.connect();
    }
    const cluster = parts.cluster;
    const manager = new VersionManager({
      dataDir: config.dataDir,
      engine,
      logger,
      policy: config.policy,
      limitsPolicy: config.limitsPolicy,
      hostLimits,
      retain: config.retain,
      standbyWarmMs: config.standbyWarmMs,
      ...metrics.observers(),
      ...(cluster ? { desiredState: cluster.port } : {}),
    });
    parts.manager = manager;
    cluster?.attach(manager);
    metrics.bind(manager);
    const restored = await manager.restore();
    for (const s of restored.serving) report.line(`restored ${s.name}@${s.version}${s.standby ? ` (standby ${s.standby})` : ''}\n`);
    for (const f of restored.failed) report.line(`could not restore ${f.name}@${f.version}: ${f.error.message}\n`);
    // An embedder's host seeds only a components folder it names; `lnano serve` also seeds ./components when it exists.
    const seedExplicit = resolved.sources.get('components') !== 'default';
    if (config.seed && (seedExplicit || (fromLoader && existsSync(config.components)))) {
      // On a cluster a seeded deploy is published: give the connection a moment first.
      if (cluster && !(await cluster.connect(SEED_CLUSTER_WAIT_MS)))
        report.line('seeding without the cluster (not connected yet): each seeded deploy is refused\n');
      await seed(config.components, manager, report, logger);
    }

    // The event runtime: routing, follow-ups under their guards, hooks, the diagnostics timeline.
    const router = new LiquidNanoRuntime({ source: manager, logger, ...runtimeSettings(config), timelineCapacity: config.timeline.capacity });
    parts.router = router;
    // Pipelines (docs/pipelines.md): the hot-reloaded directory, their admin routes, and ingress
    // events starting the runs their triggers match. Steps call plugins through the runtime, so they
    // appear in the diagnostics timeline.
    const pipelineDir = resolved.sources.get('pipelines.dir') === 'default' ? join(config.dataDir, 'pipelines') : config.pipelines.dir;
    const pipelines = await PipelineService.open({
      dir: pipelineDir,
      caller: router,
      logger,
      maxStepsInFlight: config.pipelines.concurrency,
      ...metrics.pipelineObservers(),
    });
    parts.pipelines = pipelines;
    const loaded = pipelines.list();
    // Restore and seeding are over.
    options.onStartedUp?.();
    report.line(`pipelines from ${pipelineDir}: ${loaded.map((p) => (p.valid ? p.name : `${p.name} (INVALID: ${p.error.code})`)).join(', ') || 'none'}\n`);

    // Live keys are read per request: a hot reload of ingress.* applies to the next request.
    const ingress = new IngressServer({
      plugins: router,
      logger,
      pipelines: { start: (event) => pipelines.onEvent(eventToEnvelope(event)) },
      observer: metrics.ingressObserver(),
      routes: new RouteServer(manager, logger, router.timeline),
      get maxBodyBytes() {
        return watcher.current.config.ingress.maxBodyBytes;
      },
      get maxBatch() {
        return watcher.current.config.ingress.maxBatch;
      },
      get allowedOrigins() {
        return watcher.current.config.ingress.allowedOrigins;
      },
    });
    parts.ingress = ingress;
    // The MQTT bridge (docs/bridges.md), imported only when configured (MQTT.js is not on the start-up
    // path otherwise); it connects in the background: a broker that is down is retried.
    if (config.bridges.mqtt) {
      const { MqttBridge } = await import('./bridges/mqtt-bridge.js');
      parts.mqtt = MqttBridge.start({ config: config.bridges.mqtt, runtime: router, logger, registry: metrics.registry, cwd });
    }
    const streams = new AbortController();
    parts.streams = streams;
    const consoleAssets = ConsoleAssets.load();
    const routes = [
      ...adminRoutes(manager, {
        baseDir: cwd,
        metrics: () => metrics.scrape(),
        logs,
        caller: router,
        traces: (limit) => tracing.traces(limit),
        config: () => ({ file: watcher.current.file, keys: configEntries(watcher.current) }),
      }),
      ...timelineRoutes(router.timeline, { signal: streams.signal }),
      ...pipelineRoutes(pipelines),
      pipelineDocumentRoute(pipelines),
      ...consoleRoutes(manager, { baseDir: cwd }),
      ...clusterRoutes(cluster ? () => cluster.view() : null),
    ];
    const admin = new AdminServer({ token: token.token, logger, routes, publicHandler: (req, res) => consoleAssets.handle(req, res) });
    parts.admin = admin;
    watcher.subscribe(({ config: next }) => {
      logger.level = next.logLevel;
      tracing.setSampleRatio(next.tracing.sampleRatio);
      router.configure(runtimeSettings(next));
    });
    if (options.reloadFrom) watcher.watch();
    const ingressAddress = await listening(ingress, config.listen, 'listen');
    const adminAddress = await listening(admin, config.adminListen, 'adminListen');
    parts.token = token.token;
    const metricsAt = config.metrics.listen;
    if (metricsAt !== null) parts.metricsServer = new MetricsServer({ logger, metrics: () => metrics.scrape() });
    const metricsAddress = parts.metricsServer && metricsAt !== null ? await listening(parts.metricsServer, metricsAt, 'metrics.listen') : undefined;
    parts.addresses = Object.freeze({ ingress: ingressAddress, admin: adminAddress, ...(metricsAddress ? { metrics: metricsAddress } : {}) });
    if (cluster) {
      cluster.start(manager, { ingress: ingressAddress.url, admin: adminAddress.url });
      report.line(`  cluster:   ${config.cluster.name} on ${config.cluster.servers.join(', ')} as host ${cluster.hostId}\n`);
    }
    const url = ingressAddress.url;
    report.line(`lnano serving ${router.names.length} plugin(s) [${router.names.join(', ')}]\n`);
    report.line(`  events:    ${url}/events\n`);
    report.line(`  admin API: ${adminAddress.url}/v1 (token: ${token.file ?? resolved.sources.get('adminToken')})\n`);
    if (metricsAddress) report.line(`  metrics:   ${metricsAddress.url}/metrics (no token)\n`);
    if (consoleAssets.available) report.line(`  console:   ${adminAddress.url}/console/ (log in with the admin token)\n`);
    report.line(`try: curl -s ${url}/events -H 'content-type: application/json' -d '{"id":"1","type":"demo","source":"/cli","data":{"hello":"world"}}'\n`);
  };

  const close = (): Promise<void> => {
    if (closing) return closing;
    // Closing while starting: the start finishes (or fails) first, then everything it opened stops.
    const pending = phase === 'starting' ? opening : null;
    phase = 'closed';
    closing = (
      pending
        ? pending.then(
            () => undefined,
            () => undefined,
          )
        : Promise.resolve()
    ).then(stopAll);
    return closing;
  };

  return {
    get config() {
      return current().config;
    },
    start,
    close,
    reload: () => (options.reloadFrom && parts.watcher ? parts.watcher.reload() : null),
    get addresses() {
      return started('addresses', parts.addresses);
    },
    get adminToken() {
      return started('admin token', parts.token);
    },
    get versions() {
      return started('versions', parts.manager);
    },
    get events() {
      return started('event runtime', parts.router);
    },
    get mqtt() {
      started('MQTT bridge', parts.router);
      return parts.mqtt ?? null;
    },
  };
}
