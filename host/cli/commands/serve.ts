import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LnError } from '../../errors/ln-error.js';
import { pino } from 'pino';
import { LogRing } from '../../log/log-ring.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { LiquidNanoRuntime } from '../../runtime/liquid-nano-runtime.js';
import { eventToEnvelope } from '../../engine/plugin-event.js';
import { PipelineService } from '../../runtime/pipelines/pipeline-service.js';
import { pipelineRoutes } from '../../server/pipeline-routes.js';
import { adminRoutes } from '../../server/admin-routes.js';
import { AdminServer } from '../../server/admin-server.js';
import { resolveAdminToken } from '../../server/admin-token.js';
import { IngressServer } from '../../server/ingress-server.js';
import { timelineRoutes } from '../../server/timeline-routes.js';
import { metricsText } from '../../server/metrics-text.js';
import { parseLimits } from '../../resources/limits.js';
import { formatByteSize } from '../../support/units.js';
import { readManifest } from '../../versions/manifest.js';
import { VersionManager } from '../../versions/version-manager.js';
import { parseCommandArgs, usageError } from '../args.js';
import { reportError, type CliIo } from '../cli-io.js';
import { openEngine, resolveDataDir } from '../data-dir.js';
import { loadHostConfig } from '../host-config.js';

export const SERVE_HELP = `Usage: lnano serve [options]

Runs the host: the event ingress, the admin API and every deployed plugin.
On start it restores the active version of every plugin from the data dir, then deploys each
plugin folder under --components (<dir>/<name>/manifest.json + component.wasm) whose version is
not active yet. POST /events delivers a CloudEvents-style JSON event (or an array of them) to
every plugin whose "events" patterns match, in priority order, and answers with each result.
Deploy, roll back and inspect with \`lnano deploy | rollback | ls | status | history\`.
Stops cleanly on Ctrl-C (SIGINT) or SIGTERM: in-flight calls drain first.

Options:
  --listen <addr>        event ingress host:port (default: 127.0.0.1:8080; port 0 picks one)
  --admin-listen <addr>  admin API host:port (default: 127.0.0.1:8081; port 0 picks one)
  --components <dir>     plugin folders to deploy at start (default: ./components, if present)
  --no-seed              do not deploy anything at start; serve what the data dir holds
  --timeout <dur>        default deadline of one plugin call (default: 5s; a manifest's limits win)
  --retain <n>           versions kept per plugin for rollback (default: 5; older ones are pruned)
  --pipelines <dir>      pipeline files, hot-reloaded (default: <data-dir>/pipelines, created on demand)
  --config <file>        host config: the operator policy bounding every grant (default: LNANO_CONFIG)
  --data-dir <dir>       data directory: registry, artifacts, caches, kv, admin token (default: ./.lnano)
  --log-level <lvl>      trace, debug, info, warn, error (default: info)
  -h, --help             show this help

The admin token is LNANO_ADMIN_TOKEN, or the file admin-token in the data dir (created with mode
0600 on first start).
`;

interface ServeFlags {
  listen?: string;
  'admin-listen'?: string;
  components?: string;
  'no-seed'?: boolean;
  timeout?: string;
  retain?: string;
  pipelines?: string;
  config?: string;
  'data-dir'?: string;
  'log-level'?: string;
  help?: boolean;
}

function parseListen(text: string, flag: string): { host: string; port: number } {
  const match = /^(.*):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw usageError('serve', `${flag} takes host:port (e.g. 127.0.0.1:8080), got "${text}"`);
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port };
}

const urlOf = (address: { address: string; port: number; family: string }): string =>
  `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

/** Deploys every plugin folder under `dir` whose version is not active yet. */
async function seed(dir: string, manager: VersionManager, io: CliIo, logger: Logger): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw usageError('serve', `cannot read the components folder ${dir}`);
  });
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const folder = join(dir, entry.name);
    const manifestPath = join(folder, 'manifest.json');
    if (!existsSync(manifestPath)) continue;
    io.stdout.write(`deploying ${entry.name} ... `);
    const started = performance.now();
    try {
      const manifest = await readManifest(manifestPath);
      const bytes = await readFile(manifest.component ?? join(folder, 'component.wasm'));
      const stored = await manager.storeArtifact(new Uint8Array(bytes));
      const result = await manager.deploy({
        manifest, digest: stored.digest, actor: 'serve --components', reason: `seeded from ${folder}`,
        // The operator put these folders there: their grants (e.g. a kv namespace) are approved.
        approveCapabilities: true,
        ...(manifest.probe ? { probe: manifest.probe } : {}),
      });
      const what = result.outcome === 'unchanged' ? 'already active' : `${formatByteSize(bytes.length)}, ready in ${Math.round(performance.now() - started)} ms`;
      io.stdout.write(`${result.name}@${result.version}: ${what}\n`);
    } catch (err) {
      if (err instanceof LnError && err.code === 'LN_ERR_VERSION_CONFLICT') {
        // The same version with other bytes (e.g. a non-reproducible rebuild): keep what serves.
        io.stdout.write(`kept the active version: ${err.message}\n`);
        logger.warn({ component: entry.name, err }, 'seed skipped');
        continue;
      }
      io.stdout.write('failed\n');
      reportError(io, err);
    }
  }
}

/** `lnano serve`: runs until SIGINT/SIGTERM, then returns the exit code. */
export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs<ServeFlags>('serve', argv, {
    listen: { type: 'string' },
    'admin-listen': { type: 'string' },
    components: { type: 'string' },
    'no-seed': { type: 'boolean' },
    timeout: { type: 'string' },
    retain: { type: 'string' },
    pipelines: { type: 'string' },
    config: { type: 'string' },
    'data-dir': { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(SERVE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw usageError('serve', `unexpected argument "${positionals[0]}"`);
  const ingressAt = parseListen(values.listen ?? '127.0.0.1:8080', '--listen');
  const adminAt = parseListen(values['admin-listen'] ?? '127.0.0.1:8081', '--admin-listen');
  const level = values['log-level'] ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error'].includes(level)) throw usageError('serve', `--log-level takes trace, debug, info, warn or error, got "${level}"`);
  const hostLimits = values.timeout === undefined ? [] : [{ section: parseLimits({ timeout: values.timeout }, 'command line'), source: 'command line' }];
  const retain = values.retain === undefined ? undefined : Number(values.retain);
  if (retain !== undefined && (!Number.isInteger(retain) || retain < 1 || retain > 1000)) throw usageError('serve', `--retain takes 1 to 1000, got "${values.retain}"`);
  const seedDir = values['no-seed'] ? undefined : resolve(io.cwd, values.components ?? 'components');
  if (values.components !== undefined && values['no-seed']) throw usageError('serve', '--components and --no-seed cannot be used together');

  const logs = new LogRing(pino.destination({ fd: 2, sync: false }));
  const logger = createLogger({ level, destination: logs });
  const hostConfig = loadHostConfig(values.config, io);
  const dataDir = resolveDataDir(values['data-dir'], io.env, io.cwd);
  const token = resolveAdminToken(dataDir, io.env);
  const engine = openEngine(values['data-dir'], io, { logger });
  const manager = new VersionManager({
    dataDir, engine, logger, policy: hostConfig.policy, limitsPolicy: hostConfig.limitsPolicy, hostLimits,
    ...(retain !== undefined ? { retain } : {}),
  });
  const restored = await manager.restore();
  for (const s of restored.serving) io.stdout.write(`restored ${s.name}@${s.version}${s.standby ? ` (standby ${s.standby})` : ''}\n`);
  for (const f of restored.failed) io.stdout.write(`could not restore ${f.name}@${f.version}: ${f.error.message}\n`);
  if (seedDir && (values.components !== undefined || existsSync(seedDir))) await seed(seedDir, manager, io, logger);

  const router = new LiquidNanoRuntime({ source: manager, logger });
  // Pipelines (docs/pipelines.md): the hot-reloaded directory, their admin routes, and ingress
  // events starting the runs their triggers match. Steps call plugins through the runtime, so they
  // appear in the diagnostics timeline.
  const pipelineDir = resolve(io.cwd, values.pipelines ?? join(dataDir, 'pipelines'));
  const pipelines = await PipelineService.open({ dir: pipelineDir, caller: router, logger });
  const loaded = pipelines.list();
  io.stdout.write(`pipelines from ${pipelineDir}: ${loaded.map((p) => (p.valid ? p.name : `${p.name} (INVALID: ${p.error.code})`)).join(', ') || 'none'}\n`);

  const ingress = new IngressServer({ plugins: router, logger, pipelines: { start: (event) => pipelines.onEvent(eventToEnvelope(event)) } });
  const streams = new AbortController();
  const routes = [
    ...adminRoutes(manager, { baseDir: io.cwd, metrics: () => metricsText(manager.list(), manager.metrics.series()), logs }),
    ...timelineRoutes(router.timeline, { signal: streams.signal }),
    ...pipelineRoutes(pipelines),
  ];
  const admin = new AdminServer({ token: token.token, logger, routes });
  const ingressAddress = await ingress.listen(ingressAt.port, ingressAt.host);
  const adminAddress = await admin.listen(adminAt.port, adminAt.host);
  const url = urlOf(ingressAddress);
  io.stdout.write(`lnano serving ${router.names.length} plugin(s) [${router.names.join(', ')}]\n`);
  io.stdout.write(`  events:    ${url}/events\n`);
  io.stdout.write(`  admin API: ${urlOf(adminAddress)}/v1 (token: ${token.file ?? 'LNANO_ADMIN_TOKEN'})\n`);
  io.stdout.write(`try: curl -s ${url}/events -H 'content-type: application/json' -d '{"id":"1","type":"demo","source":"/cli","data":{"hello":"world"}}'\n`);

  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.stdout.write('stopping: draining requests ...\n');
  streams.abort();
  await Promise.all([ingress.close(), admin.close()]);
  await pipelines.close();
  await manager.close();
  logger.flush();
  return 0;
}
