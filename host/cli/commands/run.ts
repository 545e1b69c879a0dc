import { basename, resolve } from 'node:path';
import { mergeCapabilities } from '../../capabilities/capability-manifest.js';
import { resolveGrants } from '../../capabilities/grant-resolver.js';
import { claimKvNamespace } from '../../capabilities/kv/kv-ownership.js';
import { checkLink } from '../../capabilities/link-check.js';
import { linkerSpec } from '../../capabilities/linker-spec.js';
import type { GuestLogLine } from '../../capabilities/log/guest-log.js';
import { MAX_CONFIG_FILE_BYTES } from '../../config/config-file.js';
import { loadPolicyConfig as loadHostConfig } from '../../config/host-config.js';
import { type Component, commandRunExport } from '../../engine/component.js';
import { readComponentFile } from '../../engine/component-file.js';
import { ENGINE_DEFAULTS } from '../../engine/engine.js';
import { isLnError, LnError } from '../../errors/ln-error.js';
import { resolveLimits } from '../../resources/limits.js';
import { callBudgets, isolationFor, meterFor } from '../../resources/metering.js';
import { Instance } from '../../sandbox/instance.js';
import type { NotifyMessage } from '../../sandbox/protocol.js';
import { parseJson, tooDeepReason } from '../../support/json-depth.js';
import type { Manifest } from '../../versions/manifest.js';
import { parseCommandArgs, usageError } from '../args.js';
import type { CliIo } from '../cli-io.js';
import { openEngine, resolveDataDir } from '../data-dir.js';
import { capabilitiesFromFlags, configFromFlags, GRANT_HELP, GRANT_OPTIONS, type GrantFlagValues, limitsFromFlags, stdinFromFlags } from '../grant-flags.js';
import { formatOutcome, prepareInvocation } from '../invocation.js';
import { claimStdin, isStdin, oneStdinReader, readStdin } from '../stdin-input.js';

export const RUN_HELP = `Usage: lnano run <component.wasm> [options] [--invoke 'export(args)'] [-- guest-args...]

Runs one component once, without a server (like \`wasmtime run\`).
A wasi:cli/command runs its \`run\` export with the arguments after \`--\`; the exit code is the
guest's. Any other component needs --invoke: the export is called with WAVE-encoded arguments,
converted through its WIT types, and the result is printed in WAVE (or JSON with --json).
Several --invoke flags call their exports in order on one instance, so state carries over
(--invoke 'add(5)' --invoke 'add(7)' --invoke 'get()'), one result line each; the first
failure stops the run. Resource constructors and methods cannot be invoked.

Options:
  --invoke <expr>     call an export, e.g. --invoke 'add(1, 2)' or
                      --invoke 'greet("world")' (see \`lnano inspect\` for the exports);
                      repeatable
  --listen <host:port>
                      serve a wasi:http/proxy component over HTTP on this address (like
                      \`wasmtime serve\`) until Ctrl-C; the grants and limits below apply,
                      limits.timeout (default 5s) to each request (docs/http-routes.md)
  --json              print the result as JSON instead of WAVE
  --manifest <file>   take grants, limits and config from a plugin manifest (flags add to it);
                      the component may then be left out if the manifest names it
  --config <file>     host config whose operator policy bounds every grant (default: LNANO_CONFIG)
  --data-dir <dir>    data directory: transpile cache, kv database (default: ./.lnano)
  --no-cache          do not read or write the transpile cache
  -h, --help          show this help

A "-" for <component.wasm>, --manifest, --config or --stdin reads it from stdin (one of them).

${GRANT_HELP}
By default the guest gets nothing: no environment, argv0 only, no files, no network, stdin
closed; its stdout and stderr are the command's (every byte, in order, before the result or
error is printed: unlike \`lnano serve\`'s log, nothing is rate-limited), and \`exit\` ends only
the guest.
A kv namespace belongs to the component that first claimed it: the run claims it under the
component's name (the manifest's name, else the file name without .wasm, in lower case) and is
refused another component's namespace unless policy.kv.shared shares it with that name.
`;

interface RunFlags extends GrantFlagValues {
  invoke?: string[];
  listen?: string;
  json?: boolean;
  manifest?: string;
  config?: string;
  'data-dir'?: string;
  'no-cache'?: boolean;
  help?: boolean;
}

/** `lnano run`: returns the process exit code. */
export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals, rest } = parseCommandArgs<RunFlags>('run', argv, {
    ...GRANT_OPTIONS,
    invoke: { type: 'string', multiple: true },
    listen: { type: 'string' },
    json: { type: 'boolean' },
    manifest: { type: 'string' },
    config: { type: 'string' },
    'data-dir': { type: 'string' },
    'no-cache': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(RUN_HELP);
    return 0;
  }
  if (positionals.length > 1) throw usageError('run', `unexpected argument "${positionals[1]}" (guest arguments go after --)`);
  if (values.listen !== undefined && values.invoke !== undefined) throw usageError('run', '--listen and --invoke exclude each other');
  const listenAddress = values.listen === undefined ? undefined : (await import('../listen-server.js')).parseListenAddress(values.listen);
  oneStdinReader('run', [
    ['<component.wasm>', positionals[0]],
    ['--manifest', values.manifest],
    ['--config', values.config],
    ['--stdin', values.stdin],
  ]);
  const configText = isStdin(values.config) ? (await readStdin(io, 'run', '--config', MAX_CONFIG_FILE_BYTES)).toString('utf8') : undefined;
  const hostConfig = loadHostConfig(values.config, io, configText);
  const manifest = values.manifest === undefined ? undefined : await readManifestArg(io, values.manifest);
  const file = positionals[0] ?? manifest?.component;
  if (file === undefined) throw usageError('run', 'missing <component.wasm> (or a --manifest naming its component)');
  // A component from stdin is named "stdin" unless its manifest names it.
  const name = manifest?.name ?? (isStdin(file) ? 'stdin' : basename(file).replace(/\.wasm$/, ''));

  const capabilities = mergeCapabilities(manifest?.capabilities ?? {}, capabilitiesFromFlags(values, io.env, io.cwd));
  const flagLimits = limitsFromFlags(values);
  const limitSections = [...(manifest ? [{ section: manifest.limits, source: manifest.source }] : []), { section: flagLimits, source: 'command line' }];
  const limits = resolveLimits(limitSections, hostConfig.limitsPolicy);
  // A one-shot run has no deadline unless one is asked for.
  const timeoutMs = limitSections.some((l) => l.section.timeout !== undefined) ? limits.timeoutMs : undefined;

  const dataDir = resolveDataDir(values['data-dir'], io.env, io.cwd);
  const engine = openEngine(values['data-dir'], io, { noCache: values['no-cache'] ?? false });
  const bytes = isStdin(file)
    ? new Uint8Array(await readStdin(io, 'run', '<component.wasm>', ENGINE_DEFAULTS.maxComponentBytes))
    : await readComponentFile(resolve(io.cwd, file));
  const component = await engine.load(bytes, isStdin(file) ? 'stdin' : basename(file), { meter: meterFor(limits) });
  checkLink(component.shape, hostConfig.policy, name);
  if (isStdin(values.stdin)) claimStdin(io, 'run', '--stdin');
  const grants = resolveGrants(capabilities, {
    name,
    dataDir,
    policy: hostConfig.policy,
    baseDir: manifest?.baseDir ?? io.cwd,
    source: manifest?.source ?? 'command line',
    args: rest,
    config: { ...manifest?.config, ...configFromFlags(values) },
    stdin: await stdinFromFlags(values, io.stdin, limits.maxPayloadBytes),
  });
  // A one-shot run is the component of its name, like a deploy of that name (kv-ownership.ts).
  if (grants.plugin.kv) claimKvNamespace(grants.plugin.kv, name.toLowerCase(), hostConfig.policy);

  if (listenAddress) {
    const { listen } = await import('../listen-server.js');
    return listen(
      component,
      { ...callBudgets(limits), linker: linkerSpec(grants), output: { stdout: (c) => io.stdout.write(c), stderr: (c) => io.stderr.write(c) } },
      limits,
      listenAddress,
      io,
    );
  }
  const instance = await Instance.start(component, {
    ...callBudgets(limits),
    // A one-shot run has no neighbours to stall, so its instance goes inline (no sandbox worker to
    // start) unless something says otherwise: grants that can block the thread (own worker), the
    // limits' `isolation` (manifest, flags, or the policy's floor `shared`/`worker`), or a
    // component without deadline checks (the instance then takes its own worker whatever it asks).
    isolation: isolationFor(limits, grants) ?? 'inline',
    linker: linkerSpec(grants),
    // No `rate`: a one-shot command's user wants all of its output, so nothing is dropped.
    output: { stdout: (c) => io.stdout.write(c), stderr: (c) => io.stderr.write(c) },
    onNotify: (message) => printNotification(io, message),
  });
  try {
    if (values.invoke !== undefined) return await invokeAll(component, instance, values.invoke, values.json ?? false, timeoutMs, io);
    return await runMain(component, instance, timeoutMs);
  } finally {
    await instance.dispose();
  }
}

/**
 * The manifest of `--manifest <file>`, or from stdin for `-` (its relative paths then start in
 * the command's folder). The manifest module (and its schema) is imported only for a run that has one.
 */
async function readManifestArg(io: CliIo, path: string): Promise<Manifest> {
  const manifests = await import('../../versions/manifest.js');
  if (!isStdin(path)) return manifests.readManifest(resolve(io.cwd, path));
  const text = (await readStdin(io, 'run', '--manifest', MAX_CONFIG_FILE_BYTES)).toString('utf8');
  const value = parseJson(
    text,
    (why) => new LnError('LN_ERR_MANIFEST_INVALID', { file: 'stdin', reason: why.kind === 'tooDeep' ? tooDeepReason(why.limit) : `not JSON: ${why.message}` }),
  );
  return manifests.parseManifest(value, 'stdin', io.cwd);
}

async function runMain(component: Component, instance: Instance, timeoutMs: number | undefined): Promise<number> {
  const run = commandRunExport(component.shape);
  if (!run) {
    throw usageError(
      'run',
      `this component is not a wasi:cli/command (it has no wasi:cli/run export); call one of its exports with --invoke (see \`lnano inspect\`)`,
    );
  }
  try {
    const outcome = await instance.call(run, [], { timeoutMs });
    return outcome.errResult ? 1 : 0;
  } catch (err) {
    if (isLnError(err, 'LN_ERR_GUEST_EXIT')) return Number(err.details.exitCode);
    throw err;
  }
}

/**
 * Calls each `--invoke` in order on the one instance, printing each result as it comes. Every
 * expression is parsed before the first call, so a typo in the last one does not run the others.
 */
async function invokeAll(
  component: Component,
  instance: Instance,
  exprs: readonly string[],
  json: boolean,
  timeoutMs: number | undefined,
  io: CliIo,
): Promise<number> {
  const calls = exprs.map((expr) => prepareInvocation(component.shape, expr));
  for (const { target, args } of calls) {
    const outcome = await instance.call(target, args, { timeoutMs });
    const text = formatOutcome(outcome, target, json);
    if (text !== undefined) io.stdout.write(`${text}\n`);
  }
  return 0;
}

function printNotification(io: CliIo, message: NotifyMessage): void {
  if (message.topic !== 'log') return;
  const { level, message: text, fields } = message.payload as GuestLogLine;
  const rendered = fields.map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join('');
  io.stderr.write(`[guest ${level}] ${text}${rendered}\n`);
}
