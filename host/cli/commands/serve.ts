import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readComponentFile } from '../../engine/component-file.js';
import { createLogger } from '../../log/logger.js';
import { PluginSet } from '../../runtime/plugin-set.js';
import { IngressServer } from '../../server/ingress-server.js';
import { resolveGrants } from '../../capabilities/grant-resolver.js';
import { checkLink } from '../../capabilities/link-check.js';
import { parseLimits, resolveLimits } from '../../resources/limits.js';
import { meterFor } from '../../resources/metering.js';
import { formatByteSize } from '../../support/units.js';
import { readManifest } from '../../versions/manifest.js';
import { parseCommandArgs, usageError } from '../args.js';
import { reportError, type CliIo } from '../cli-io.js';
import { openEngine, resolveDataDir } from '../data-dir.js';
import { loadHostConfig } from '../host-config.js';

export const SERVE_HELP = `Usage: lnano serve [--components <dir>] [--listen host:port] [options]

Runs the host: every plugin in <dir>/<name>/ is loaded and served — its manifest.json (name,
grants, limits, config; see docs/capabilities.md and docs/limits.md) if there is one, and its component.wasm; POST /events delivers a CloudEvents-style JSON event (or an array of them) to every
plugin in name order and answers with each plugin's result; GET /health answers when up.
Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.

Options:
  --components <dir>  folder of plugin folders to serve (default: ./components)
  --listen <addr>     host:port of the event ingress (default: 127.0.0.1:8080; port 0 picks one)
  --timeout <dur>     default deadline of one plugin call (default: 5s; a manifest's limits win)
  --config <file>     host config: the operator policy bounding every grant (default: LNANO_CONFIG)
  --data-dir <dir>    data directory (default: ./.lnano)
  --log-level <lvl>   trace, debug, info, warn, error (default: info)
  -h, --help          show this help
`;

interface ServeFlags {
  components?: string;
  listen?: string;
  timeout?: string;
  config?: string;
  'data-dir'?: string;
  'log-level'?: string;
  help?: boolean;
}

function parseListen(text: string): { host: string; port: number } {
  const match = /^(.*):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw usageError('serve', `--listen takes host:port (e.g. 127.0.0.1:8080), got "${text}"`);
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port };
}

/** `lnano serve`: runs until SIGINT/SIGTERM, then returns the exit code. */
export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs<ServeFlags>('serve', argv, {
    components: { type: 'string' },
    listen: { type: 'string' },
    timeout: { type: 'string' },
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
  const { host, port } = parseListen(values.listen ?? '127.0.0.1:8080');
  const level = values['log-level'] ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error'].includes(level)) throw usageError('serve', `--log-level takes trace, debug, info, warn or error, got "${level}"`);
  const logger = createLogger({ level });
  const hostConfig = loadHostConfig(values.config, io);
  const dataDir = resolveDataDir(values['data-dir'], io.env, io.cwd);
  const engine = openEngine(values['data-dir'], io, { logger });
  const plugins = new PluginSet({ logger });
  const hostLimits = values.timeout === undefined ? [] : [{ section: parseLimits({ timeout: values.timeout }, 'command line'), source: 'command line' }];

  const dir = resolve(io.cwd, values.components ?? 'components');
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw usageError('serve', `cannot read the components folder ${dir}`);
  });
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const folder = join(dir, entry.name);
    const manifestPath = join(folder, 'manifest.json');
    const file = join(folder, 'component.wasm');
    if (!existsSync(manifestPath) && !existsSync(file)) continue;
    const started = performance.now();
    io.stdout.write(`loading ${entry.name} ... `);
    try {
      const manifest = existsSync(manifestPath) ? await readManifest(manifestPath) : undefined;
      const name = manifest?.name ?? entry.name;
      const bytes = await readComponentFile(manifest?.component ?? file);
      const limits = resolveLimits([...hostLimits, ...(manifest ? [{ section: manifest.limits, source: manifest.source }] : [])], hostConfig.limitsPolicy);
      const component = await engine.load(bytes, name, { meter: meterFor(limits) });
      if (component.kind !== 'plugin') {
        io.stdout.write(`skipped: a ${component.kind}, not a plugin\n`);
        continue;
      }
      checkLink(component.shape, hostConfig.policy, name);
      const grants = resolveGrants(manifest?.capabilities ?? {}, {
        name, dataDir, policy: hostConfig.policy,
        baseDir: manifest?.baseDir ?? folder, source: manifest?.source ?? folder, config: manifest?.config,
      });
      await plugins.add(name, component, { grants, limits });
      const how = component.source === 'transpiled' ? 'transpiled' : 'cached';
      io.stdout.write(`${formatByteSize(bytes.length)}, ${how}, ready in ${Math.round(performance.now() - started)} ms\n`);
    } catch (err) {
      io.stdout.write('failed\n');
      reportError(io, err);
    }
  }

  const server = new IngressServer({ plugins, logger });
  const address = await server.listen(port, host);
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  io.stdout.write(`lnano serving ${plugins.names.length} plugin(s) [${plugins.names.join(', ')}] on ${url}\n`);
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
  await server.close();
  await plugins.close();
  logger.flush();
  return 0;
}
