import { CONFIG_KEYS } from '../../config/config-keys.js';
import { configEntries, type FlagValue, type ResolvedConfig, resolveHostConfig } from '../../config/host-config.js';
import { createHost, SEED_CONCURRENCY } from '../../host.js';
import { type OptionSpec, parseCommandArgs, usageError } from '../args.js';
import type { CliIo } from '../cli-io.js';
import { endStartUp } from '../start-up-memory.js';

/** The flags that set a config key (`--listen` → `listen`, ...), from the config key table. */
const KEY_FLAGS = CONFIG_KEYS.filter((k) => k.flag !== undefined);

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
${KEY_FLAGS.map((k) => `  --${`${k.flag}${k.kind.type === 'bool' ? '' : ' <v>'}`.padEnd(21)}${k.doc} (default: ${k.default === null || (Array.isArray(k.default) && k.default.length === 0) ? 'none' : k.kind.type === 'duration' ? `${Number(k.default) / 1000}s` : String(k.default)})`).join('\n')}
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
  // The host (host/host.ts) does the rest and reports on stdout; this command adds the signals.
  // Restore and seeding over, start-up's garbage goes back to the OS (see endStartUp).
  const host = createHost(resolved, { output: io, env: io.env, cwd: io.cwd, reloadFrom: inputs, onStartedUp: endStartUp });
  await host.start();

  await new Promise<void>((done) => {
    const reload = (): void => void host.reload();
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
  await host.close();
  return 0;
}
