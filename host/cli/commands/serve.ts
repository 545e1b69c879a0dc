import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LnError } from '../../errors/ln-error.js';
import { LogRing } from '../../log/log-ring.js';
import { effectiveLogFormat, logDestination } from '../../log/log-format.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { Engine } from '../../engine/engine.js';
import { eventToEnvelope } from '../../engine/plugin-event.js';
import { readFileMapped } from '../../support/mapped-file.js';
import { LiquidNanoRuntime } from '../../events/liquid-nano-runtime.js';
import { PipelineService } from '../../pipelines/pipeline-service.js';
import { CONFIG_KEYS } from '../../config/config-keys.js';
import { ConfigWatcher } from '../../config/config-watcher.js';
import { configEntries, resolveHostConfig, type FlagValue, type HostConfig, type ResolvedConfig } from '../../config/host-config.js';
import { HostMetrics } from '../../observability/metrics-registry.js';
import { Tracing } from '../../observability/tracing.js';
import { adminRoutes } from '../../server/admin-routes.js';
import { AdminServer } from '../../server/admin-server.js';
import { ConsoleAssets } from '../../server/console-assets.js';
import { consoleRoutes } from '../../server/console-routes.js';
import { resolveAdminToken } from '../../server/admin-token.js';
import { IngressServer } from '../../server/ingress-server.js';
import { pipelineRoutes } from '../../server/pipeline-routes.js';
import { timelineRoutes } from '../../server/timeline-routes.js';
import { parseLimits } from '../../resources/limits.js';
import { configureDefaultWorkerPool } from '../../sandbox/worker-pool.js';
import { ensurePrivateDir } from '../../support/private-files.js';
import { boundedEach } from '../../support/bounded-each.js';
import { formatByteSize } from '../../support/units.js';
import { readManifest, type Manifest } from '../../versions/manifest.js';
import { VersionManager } from '../../versions/version-manager.js';
import { parseCommandArgs, usageError, type OptionSpec } from '../args.js';
import { reportError, type CliIo } from '../cli-io.js';
import { transpileCacheDir } from '../data-dir.js';
import { endStartUp } from '../start-up-memory.js';

/** The flags that set a config key (`--listen` → `listen`, ...), from the config key table. */
const KEY_FLAGS = CONFIG_KEYS.filter((k) => k.flag !== undefined);

/**
 * Plugin folders deployed at once when seeding: enough to keep both transpiler processes busy
 * while the main thread compiles, starts and probes the ones already transpiled, few enough for
 * a small machine.
 */
export const SEED_CONCURRENCY = 4;

export const SERVE_HELP = `Usage: lnano serve [options]

Runs the host: the event ingress, the admin API and every deployed plugin.
On start it restores the active version of every plugin from the data dir, then deploys each
plugin folder under --components (<dir>/<name>/manifest.json + component.wasm) whose name the
registry has never seen (${SEED_CONCURRENCY} at a time, largest first); a name it knows is the operator's (a restart never undoes a deploy,
promote or rollback), and the start-up output says "kept <name> at <version>". POST /events delivers a CloudEvents-style JSON event (or an array of them) to
every plugin whose "events" patterns match, in priority order, and answers with each result.
Deploy, roll back and inspect with \`lnano deploy | rollback | ls | status | history\`.
Stops cleanly on Ctrl-C (SIGINT) or SIGTERM: in-flight calls drain first. SIGHUP reloads the
config file (it is also watched): live keys apply at once, others are logged as needing a restart.

Config: defaults < file (--config, else LNANO_CONFIG; JSON or YAML) < environment (LNANO_*) <
flags. Every key, its default, variable and flag: docs/config.md.

Options:
${KEY_FLAGS.map((k) => `  --${`${k.flag}${k.kind.type === 'bool' ? '' : ' <v>'}`.padEnd(21)}${k.doc} (default: ${k.default === null ? 'none' : k.kind.type === 'duration' ? `${Number(k.default) / 1000}s` : String(k.default)})`).join('\n')}
  --no-seed              do not deploy anything at start; serve what the data dir holds
  --set <key=value>      set any config key, e.g. --set runtime.maxDepth=4 (repeatable)
  --config <file>        the host config file, JSON or YAML (default: LNANO_CONFIG)
  --print-config         print the effective config with the source of each key, then exit
  -h, --help             show this help

The admin token is LNANO_ADMIN_TOKEN (or adminToken in the config file), or the file admin-token
in the data dir (created with mode 0600 on first start). Metrics: GET /metrics on the admin
listener; traces (with --tracing): GET /v1/traces; the effective config: GET /v1/config.
The web console is at http://<admin-listen>/console/ (log in with the admin token).
`;

/** The options of `lnano serve`: one per config key with a flag, and the command's own. */
function serveOptions(): OptionSpec {
  const options: OptionSpec = {
    'no-seed': { type: 'boolean' },
    set: { type: 'string', multiple: true },
    config: { type: 'string' },
    'print-config': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const k of KEY_FLAGS) options[k.flag!] = { type: k.kind.type === 'bool' ? 'boolean' : 'string' };
  return options;
}

/** The config values given as flags, each with its source. */
function flagValues(values: Record<string, unknown>): FlagValue[] {
  const out: FlagValue[] = [];
  for (const k of KEY_FLAGS) {
    const v = values[k.flag!];
    if (v !== undefined) out.push({ key: k.key, raw: v as string | boolean, source: `flag --${k.flag}` });
  }
  if (values['no-seed']) out.push({ key: 'seed', raw: false, source: 'flag --no-seed' });
  for (const pair of (values.set as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usageError('serve', `--set takes key=value (e.g. runtime.maxDepth=4), got "${pair}"`);
    out.push({ key: pair.slice(0, eq), raw: pair.slice(eq + 1), source: `flag --set ${pair.slice(0, eq)}` });
  }
  return out;
}

/** `--print-config`: one line per key — key, value, source, live or restart. */
function printConfig(resolved: ResolvedConfig, io: CliIo): void {
  const entries = configEntries(resolved);
  const width = Math.max(...entries.map((e) => e.key.length));
  const shown = entries.map((e) => [e.key, JSON.stringify(e.value) ?? 'null', e.source, e.live ? 'live' : 'restart'] as const);
  const valueWidth = Math.min(48, Math.max(...shown.map((e) => e[1].length)));
  io.stdout.write(`# config file: ${resolved.file ?? 'none'}\n`);
  for (const [key, value, source, live] of shown) io.stdout.write(`${key.padEnd(width)}  ${value.padEnd(valueWidth)}  ${source.padEnd(34)}  ${live}\n`);
}

function parseListen(text: string): { host: string; port: number } {
  const match = /^(.*):(\d{1,5})$/.exec(text)!;
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port: Number(match[2]) };
}

/**
 * Starts `server` on `address` (the value of config key `key`).
 *
 * @throws LnError `LN_ERR_CONFIG_PORT_IN_USE` when another process holds the address
 */
async function listening(server: { listen(port: number, host: string): Promise<AddressInfo> }, address: string, key: 'listen' | 'adminListen'): Promise<AddressInfo> {
  const at = parseListen(address);
  try {
    return await server.listen(at.port, at.host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const flag = CONFIG_KEYS.find((k) => k.key === key)!.flag!;
    throw new LnError('LN_ERR_CONFIG_PORT_IN_USE', { address, key, flag }, { cause: err });
  }
}

const urlOf = (address: { address: string; port: number; family: string }): string =>
  `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

/**
 * Deploys each plugin folder under `dir` whose name the registry has never seen, largest
 * component first, up to `SEED_CONCURRENCY` at a time (deploys of distinct names run side by side in the version
 * manager). A name it knows (any version, even retired) belongs to the operator: a restart never
 * undoes a deploy, promote or rollback, so the folder is left alone and the start-up output says
 * what is kept. Two folders naming one plugin: the first in name order is seeded.
 */
async function seed(dir: string, manager: VersionManager, io: CliIo, logger: Logger): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw usageError('serve', `cannot read the components folder ${dir}`);
  });
  const fresh: Array<{ folder: string; entry: string; manifest: Manifest }> = [];
  const claimed = new Map<string, string>();
  const failed = (entry: string, err: unknown): void => {
    io.stdout.write(`seeding ${entry} failed\n`);
    logger.warn({ component: entry, err }, 'seed failed');
    reportError(io, err);
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
        io.stdout.write(known?.active
          ? `kept ${manifest.name} at ${known.active} (operator-managed; ${folder} is not deployed over it)\n`
          : `kept ${manifest.name} as it is (operator-managed: the registry knows it, nothing is active; \`lnano deploy ${folder}\` deploys the folder)\n`);
      } else if (claimed.has(manifest.name)) {
        io.stdout.write(`skipped ${folder}: ${claimed.get(manifest.name)} seeds ${manifest.name} already\n`);
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
  const sizes = new Map(await Promise.all(fresh.map(async (f) => [f.folder, await stat(componentFile(f)).then((s) => s.size, () => 0)] as const)));
  fresh.sort((a, b) => sizes.get(b.folder)! - sizes.get(a.folder)!);
  if (fresh.length > 0) io.stdout.write(`seeding ${fresh.length} new plugin(s), ${SEED_CONCURRENCY} at a time: ${fresh.map((f) => f.manifest.name).join(', ')}\n`);
  await boundedEach(fresh, SEED_CONCURRENCY, async ({ folder, entry, manifest }) => {
    const started = performance.now();
    try {
      // Read into pages V8 maps itself, not a malloc'd Buffer (see readFileMapped): no fragmentation left behind.
      const bytes = await readFileMapped(componentFile({ folder, manifest }));
      const stored = await manager.storeArtifact(bytes);
      const result = await manager.deploy({
        manifest, digest: stored.digest, actor: 'serve --components', reason: `seeded from ${folder}`,
        // The operator put these folders there: their grants (e.g. a kv namespace) are approved.
        approveCapabilities: true,
        ...(manifest.probe ? { probe: manifest.probe } : {}),
      });
      io.stdout.write(`seeded ${result.name}@${result.version} (new): ${formatByteSize(bytes.length)}, ready in ${Math.round(performance.now() - started)} ms\n`);
    } catch (err) {
      failed(entry, err);
    }
  });
}

/** The runtime's live settings from the config's `runtime` section. */
function runtimeSettings(config: HostConfig): { maxDepth: number; maxFanOut: number; maxConcurrentCalls: number; maxConcurrentCallsPerPlugin: number; stopOnError: boolean; delivery: 'concurrent' | 'sequential' } {
  const r = config.runtime;
  return { maxDepth: r.maxDepth, maxFanOut: r.maxFanOut, maxConcurrentCalls: r.concurrency.global, maxConcurrentCallsPerPlugin: r.concurrency.perPlugin, stopOnError: r.stopOnError, delivery: r.delivery };
}

/** `lnano serve`: runs until SIGINT/SIGTERM, then returns the exit code. */
export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs<Record<string, unknown>>('serve', argv, serveOptions());
  if (values.help) {
    io.stdout.write(SERVE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw usageError('serve', `unexpected argument "${positionals[0]}"`);
  if (values.components !== undefined && values['no-seed']) throw usageError('serve', '--components and --no-seed cannot be used together');
  const inputs = { env: io.env, cwd: io.cwd, flags: flagValues(values), ...(typeof values.config === 'string' ? { file: values.config } : {}) };
  const resolved = resolveHostConfig(inputs);
  if (values['print-config']) {
    printConfig(resolved, io);
    return 0;
  }
  const config = resolved.config;

  const logs = new LogRing(logDestination(effectiveLogFormat(config.logFormat, process.stderr.isTTY === true)));
  const logger = createLogger({ level: config.logLevel, destination: logs });
  const watcher = new ConfigWatcher(inputs, resolved, { logger });
  const tracing = await Tracing.start({ ...config.tracing }, logger);
  const metrics = new HostMetrics();
  const timeoutSource = resolved.sources.get('timeout')!;
  const hostLimits = timeoutSource === 'default' ? [] : [{ section: parseLimits({ timeout: config.timeoutMs }, timeoutSource), source: timeoutSource }];
  // Data at rest is private: the data dir 0700 (an existing one is tightened), its files 0600.
  ensurePrivateDir(config.dataDir);
  const token = resolveAdminToken(config.dataDir, io.env, config.adminToken ?? undefined);
  configureDefaultWorkerPool({ graceMs: config.sandbox.deadlineGraceMs, isolation: config.sandbox.isolation, ...(config.sandbox.workers > 0 ? { sharedWorkers: config.sandbox.workers } : {}) });
  const engine = new Engine({ cacheDir: transpileCacheDir(config.dataDir), logger });
  const manager = new VersionManager({
    dataDir: config.dataDir, engine, logger, policy: config.policy, limitsPolicy: config.limitsPolicy, hostLimits, retain: config.retain, standbyWarmMs: config.standbyWarmMs,
    ...metrics.observers(),
  });
  metrics.bind(manager);
  const restored = await manager.restore();
  for (const s of restored.serving) io.stdout.write(`restored ${s.name}@${s.version}${s.standby ? ` (standby ${s.standby})` : ''}\n`);
  for (const f of restored.failed) io.stdout.write(`could not restore ${f.name}@${f.version}: ${f.error.message}\n`);
  const seedExplicit = resolved.sources.get('components') !== 'default';
  if (config.seed && (seedExplicit || existsSync(config.components))) await seed(config.components, manager, io, logger);

  // The event runtime: routing, follow-ups under their guards, hooks, the diagnostics timeline.
  const router = new LiquidNanoRuntime({ source: manager, logger, ...runtimeSettings(config), timelineCapacity: config.timeline.capacity });
  // Pipelines (docs/pipelines.md): the hot-reloaded directory, their admin routes, and ingress
  // events starting the runs their triggers match. Steps call plugins through the runtime, so they
  // appear in the diagnostics timeline.
  const pipelineDir = resolved.sources.get('pipelines.dir') === 'default' ? join(config.dataDir, 'pipelines') : config.pipelines.dir;
  const pipelines = await PipelineService.open({ dir: pipelineDir, caller: router, logger, maxStepsInFlight: config.pipelines.concurrency });
  const loaded = pipelines.list();
  // Restore and seeding are over: their garbage goes back to the OS now (see why there).
  endStartUp();
  io.stdout.write(`pipelines from ${pipelineDir}: ${loaded.map((p) => (p.valid ? p.name : `${p.name} (INVALID: ${p.error.code})`)).join(', ') || 'none'}\n`);

  // Live keys are read per request: a hot reload of ingress.* applies to the next request.
  const ingress = new IngressServer({
    plugins: router, logger,
    pipelines: { start: (event) => pipelines.onEvent(eventToEnvelope(event)) },
    get maxBodyBytes() { return watcher.current.config.ingress.maxBodyBytes; },
    get maxBatch() { return watcher.current.config.ingress.maxBatch; },
    get allowedOrigins() { return watcher.current.config.ingress.allowedOrigins; },
  });
  const streams = new AbortController();
  const consoleAssets = ConsoleAssets.load();
  const routes = [
    ...adminRoutes(manager, {
      baseDir: io.cwd, metrics: () => metrics.scrape(), logs, caller: router,
      traces: (limit) => tracing.traces(limit),
      config: () => ({ file: watcher.current.file, keys: configEntries(watcher.current) }),
    }),
    ...timelineRoutes(router.timeline, { signal: streams.signal }),
    ...pipelineRoutes(pipelines),
    ...consoleRoutes(manager, { baseDir: io.cwd }),
  ];
  const admin = new AdminServer({ token: token.token, logger, routes, publicHandler: (req, res) => consoleAssets.handle(req, res) });
  watcher.subscribe(({ config: next }) => {
    logger.level = next.logLevel;
    tracing.setSampleRatio(next.tracing.sampleRatio);
    router.configure(runtimeSettings(next));
  });
  watcher.watch();
  const stopAll = async (): Promise<void> => {
    streams.abort();
    watcher.close();
    await Promise.all([ingress.close(), admin.close()]);
    await pipelines.close();
    await manager.close();
    await tracing.shutdown();
    logger.flush();
  };
  let ingressAddress: AddressInfo;
  let adminAddress: AddressInfo;
  try {
    ingressAddress = await listening(ingress, config.listen, 'listen');
    adminAddress = await listening(admin, config.adminListen, 'adminListen');
  } catch (err) {
    await stopAll();
    throw err;
  }
  const url = urlOf(ingressAddress);
  io.stdout.write(`lnano serving ${router.names.length} plugin(s) [${router.names.join(', ')}]\n`);
  io.stdout.write(`  events:    ${url}/events\n`);
  io.stdout.write(`  admin API: ${urlOf(adminAddress)}/v1 (token: ${token.file ?? resolved.sources.get('adminToken')})\n`);
  if (consoleAssets.available) io.stdout.write(`  console:   ${urlOf(adminAddress)}/console/ (log in with the admin token)\n`);
  io.stdout.write(`try: curl -s ${url}/events -H 'content-type: application/json' -d '{"id":"1","type":"demo","source":"/cli","data":{"hello":"world"}}'\n`);

  await new Promise<void>((done) => {
    const reload = (): void => void watcher.reload();
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', reload);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', reload);
  });
  io.stdout.write('stopping: draining requests ...\n');
  await stopAll();
  return 0;
}
