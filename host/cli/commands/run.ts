import { basename } from 'node:path';
import { LnError } from '../../errors/ln-error.js';
import { readComponentFile } from '../../engine/component-file.js';
import { commandRunExport, type Component } from '../../engine/component.js';
import { closedGrants } from '../../capabilities/grants.js';
import { linkerSpec } from '../../capabilities/linker-spec.js';
import type { GuestLogLine } from '../../capabilities/plugin-imports.js';
import { Instance } from '../../sandbox/instance.js';
import type { NotifyMessage } from '../../sandbox/protocol.js';
import { parseCommandArgs, parseDurationMs, parseEnvFlags, usageError } from '../args.js';
import { reportError, type CliIo } from '../cli-io.js';
import { openEngine } from '../data-dir.js';
import { formatOutcome, prepareInvocation } from '../invocation.js';

export const RUN_HELP = `Usage: lnano run <component.wasm> [options] [--invoke 'export(args)'] [-- guest-args...]

Runs one component once, without a server (like \`wasmtime run\`).
A wasi:cli/command runs its \`run\` export with the arguments after \`--\`; the exit code is the
guest's. Any other component needs --invoke: the export is called with WAVE-encoded arguments,
converted through its WIT types, and the result is printed in WAVE (or JSON with --json).

Options:
  --invoke <expr>     call an export, e.g. --invoke 'add(1, 2)' or
                      --invoke 'greet("world")' (see \`lnano inspect\` for the exports)
  --json              print the result as JSON instead of WAVE
  --env K[=V]         grant an environment variable (repeatable); a bare K passes the host's value
  --timeout <dur>     wall-clock deadline of the call, e.g. 500ms, 10s (default: none)
  --data-dir <dir>    data directory holding the transpile cache (default: ./.lnano)
  --no-cache          do not read or write the transpile cache
  -h, --help          show this help

By default the guest gets nothing: no environment, argv0 only, no files, no network, stdin
closed; its stdout and stderr are the command's, and \`exit\` ends only the guest.
`;

interface RunFlags {
  invoke?: string;
  json?: boolean;
  env?: string[];
  timeout?: string;
  'data-dir'?: string;
  'no-cache'?: boolean;
  help?: boolean;
}

/** `lnano run`: returns the process exit code. */
export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals, rest } = parseCommandArgs<RunFlags>('run', argv, {
    invoke: { type: 'string' },
    json: { type: 'boolean' },
    env: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    'data-dir': { type: 'string' },
    'no-cache': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(RUN_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw usageError('run', positionals.length === 0 ? 'missing <component.wasm>' : `unexpected argument "${positionals[1]}" (guest arguments go after --)`);
  const file = positionals[0]!;
  const timeoutMs = values.timeout === undefined ? undefined : parseDurationMs(values.timeout, '--timeout', 'command line');
  const env = parseEnvFlags(values.env ?? [], io.env);

  const engine = openEngine(values['data-dir'], io, { noCache: values['no-cache'] ?? false });
  const bytes = await readComponentFile(file);
  const component = await engine.load(bytes, basename(file));

  const grants = closedGrants(basename(file));
  const instance = await Instance.start(component, {
    linker: linkerSpec({ ...grants, wasi: { ...grants.wasi, env, args: [basename(file), ...rest] } }),
    output: { stdout: (c) => io.stdout.write(c), stderr: (c) => io.stderr.write(c) },
    onNotify: (message) => printNotification(io, message),
  });
  try {
    if (values.invoke !== undefined) return await invoke(component, instance, values.invoke, values.json ?? false, timeoutMs, io);
    return await runMain(component, instance, timeoutMs, io);
  } finally {
    await instance.dispose();
  }
}

async function runMain(component: Component, instance: Instance, timeoutMs: number | undefined, io: CliIo): Promise<number> {
  const run = commandRunExport(component.shape);
  if (!run) {
    throw usageError('run', `this component is not a wasi:cli/command (it has no wasi:cli/run export); call one of its exports with --invoke (see \`lnano inspect\`)`);
  }
  try {
    const outcome = await instance.call(run, [], { timeoutMs });
    return outcome.errResult ? 1 : 0;
  } catch (err) {
    if (err instanceof LnError && err.code === 'LN_ERR_GUEST_EXIT') return Number(err.details.exitCode);
    throw err;
  }
}

async function invoke(component: Component, instance: Instance, expr: string, json: boolean, timeoutMs: number | undefined, io: CliIo): Promise<number> {
  const { target, args } = prepareInvocation(component.shape, expr);
  const outcome = await instance.call(target, args, { timeoutMs });
  const text = formatOutcome(outcome, target, json);
  if (text !== undefined) io.stdout.write(`${text}\n`);
  return 0;
}

function printNotification(io: CliIo, message: NotifyMessage): void {
  if (message.topic !== 'log') return;
  const { level, message: text, fields } = message.payload as GuestLogLine;
  const rendered = fields.map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join('');
  io.stderr.write(`[guest ${level}] ${text}${rendered}\n`);
}

