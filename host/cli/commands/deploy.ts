import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { LnError } from '../../errors/ln-error.js';
import { formatByteSize } from '../../support/units.js';
import type { DeployResult } from '../../versions/rollouts.js';
import { ADMIN_CLIENT_HELP, ADMIN_CLIENT_OPTIONS, AdminClient, type AdminClientFlags } from '../admin-client.js';
import { parseCommandArgs, usageError } from '../args.js';
import type { CliIo } from '../cli-io.js';
import { paletteFor } from '../colour.js';
import { isStdin, oneStdinReader, readStdin } from '../stdin-input.js';
import { formatMs } from '../table.js';

/** The most read from stdin: a component (the host refuses what is over its own limit) and a manifest. */
const MAX_COMPONENT_BYTES = 256 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 1024 * 1024;

export const DEPLOY_HELP = `Usage: lnano deploy <component.wasm | folder> [options]

Hot-deploys a component to a running host (lnano serve): uploads its bytes, then runs the deploy
pipeline — validate, capability check, prepare (transpile + instrument, cached), warm up, probe,
swap, drain the old version, retire it — and prints each step. A failure at any step leaves the
active version serving and says which step failed.

A folder is deployed with its manifest.json and component.wasm. "-" reads the component from
stdin (then --name, or a --manifest with a name, is required); --manifest - reads the manifest. The manifest gives the name,
version, events, grants and limits (docs/capabilities.md, docs/limits.md); --name and --version
override it, and without a manifest they are required.

Options:
  --manifest <file>        the plugin manifest (default: <folder>/manifest.json)
  --name <name>            plugin name
  --version <v>            version (semantic, e.g. 1.2.0); a version is bound to its bytes forever
  --route <path>           serve a wasi:http/proxy component on this route of the ingress listener:
                           an exact path, or a prefix ending in /... (repeatable; replaces the
                           manifest's "routes"; docs/http-routes.md)
  --strategy <s>           immediate (default), canary, blue-green
  --weight <percent>       the canary's share of calls (default 10)
  --approve-capabilities   approve grants the active version does not have
  --reason <text>          why (recorded in the audit trail)
${ADMIN_CLIENT_HELP}
  -h, --help               show this help
`;

interface DeployFlags extends AdminClientFlags {
  manifest?: string;
  name?: string;
  version?: string;
  route?: string[];
  strategy?: string;
  weight?: string;
  'approve-capabilities'?: boolean;
  reason?: string;
  help?: boolean;
}

/** Finds the component and manifest files from the argument and flags (`-`: stdin, kept as `-`). */
function locate(target: string, manifestFlag: string | undefined, cwd: string): { component: string; manifest: string | undefined } {
  const manifestOf = (flag: string): string => (isStdin(flag) ? flag : resolve(cwd, flag));
  if (isStdin(target)) return { component: target, manifest: manifestFlag === undefined ? undefined : manifestOf(manifestFlag) };
  const path = resolve(cwd, target);
  if (!existsSync(path)) throw new LnError('LN_ERR_LOAD_NOT_FOUND', { path: target, reason: 'no such file or folder' });
  const folder = statSync(path).isDirectory();
  const component = folder ? join(path, 'component.wasm') : path;
  const manifest = manifestFlag ? manifestOf(manifestFlag) : folder && existsSync(join(path, 'manifest.json')) ? join(path, 'manifest.json') : undefined;
  return { component, manifest };
}

/** The manifest object to send: the file's, with overrides, and fs host paths made absolute. */
async function manifestObject(file: string | undefined, flags: DeployFlags, component: string, io: CliIo): Promise<Record<string, unknown>> {
  let value: Record<string, unknown> = {};
  if (file) {
    const text = isStdin(file)
      ? (await readStdin(io, 'deploy', '--manifest', MAX_MANIFEST_BYTES)).toString('utf8')
      : await readFile(file, 'utf8').catch((err: Error) => {
          throw new LnError('LN_ERR_MANIFEST_INVALID', { file, reason: err.message });
        });
    try {
      value = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new LnError('LN_ERR_MANIFEST_INVALID', { file: isStdin(file) ? 'stdin' : file, reason: (err as Error).message });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new LnError('LN_ERR_MANIFEST_INVALID', { file, reason: 'a manifest is a JSON object' });
  }
  const base = file && !isStdin(file) ? dirname(file) : isStdin(component) ? io.cwd : dirname(component);
  const out: Record<string, unknown> = { ...value };
  delete out.component; // the host gets the bytes, not a path
  delete out.$schema;
  if (flags.name) out.name = flags.name;
  if (flags.version) out.version = flags.version;
  if (flags.route && flags.route.length > 0) out.routes = [...flags.route];
  if (out.name === undefined && isStdin(component)) throw usageError('deploy', 'missing --name (or a manifest with "name") for a component from stdin');
  if (out.name === undefined)
    out.name = basename(component)
      .replace(/\.wasm$/, '')
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-');
  if (out.version === undefined) throw usageError('deploy', 'missing --version (or a manifest with "version")');
  const caps = out.capabilities as { fs?: Array<{ host?: unknown }> } | undefined;
  for (const mount of caps?.fs ?? []) {
    if (typeof mount.host === 'string' && !isAbsolute(mount.host)) mount.host = resolve(base, mount.host);
  }
  return out;
}

/** `lnano deploy`: returns the process exit code. */
export async function deployCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs<DeployFlags>('deploy', argv, {
    ...ADMIN_CLIENT_OPTIONS,
    manifest: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    route: { type: 'string', multiple: true },
    strategy: { type: 'string' },
    weight: { type: 'string' },
    'approve-capabilities': { type: 'boolean' },
    reason: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(DEPLOY_HELP);
    return 0;
  }
  if (positionals.length !== 1)
    throw usageError('deploy', positionals.length === 0 ? 'missing <component.wasm | folder>' : `unexpected argument "${positionals[1]}"`);
  if (values.strategy !== undefined && !['immediate', 'canary', 'blue-green'].includes(values.strategy)) {
    throw usageError('deploy', `--strategy takes immediate, canary or blue-green, got "${values.strategy}"`);
  }
  const weight = values.weight === undefined ? undefined : Number(values.weight);
  if (weight !== undefined && (!Number.isInteger(weight) || weight < 0 || weight > 100))
    throw usageError('deploy', `--weight takes a whole percentage 0-100, got "${values.weight}"`);
  oneStdinReader('deploy', [
    ['<component.wasm>', positionals[0]],
    ['--manifest', values.manifest],
  ]);
  const client = AdminClient.fromFlags(values, io);
  const { component, manifest: manifestFile } = locate(positionals[0]!, values.manifest, io.cwd);
  const manifest = await manifestObject(manifestFile, values, component, io);
  const bytes = isStdin(component)
    ? await readStdin(io, 'deploy', '<component.wasm>', MAX_COMPONENT_BYTES)
    : await readFile(component).catch((err: Error) => {
        throw new LnError('LN_ERR_LOAD_NOT_FOUND', { path: component, reason: err.message });
      });
  const started = performance.now();
  const c = paletteFor(io.stderr, io.env);
  const say = (text: string): void => void (values.json ? undefined : io.stderr.write(text));
  say(`uploading ${isStdin(component) ? 'stdin' : basename(component)} (${formatByteSize(bytes.length)}) to ${client.server} ... `);
  const stored = await client.request<{ digest: string; created: boolean }>('PUT', '/v1/artifacts', new Uint8Array(bytes));
  say(`${stored.created ? 'stored' : 'already there'} (${stored.digest.slice(0, 19)}…) in ${formatMs(performance.now() - started)}\n`);
  say(`deploying ${String(manifest.name)}@${String(manifest.version)}${values.strategy ? ` (${values.strategy})` : ''}\n`);
  let last = performance.now();
  const result = await client.stream<DeployResult>(
    'POST',
    '/v1/deployments',
    {
      manifest,
      digest: stored.digest,
      ...(values.strategy ? { strategy: values.strategy } : {}),
      ...(weight !== undefined ? { canaryWeight: weight } : {}),
      ...(values['approve-capabilities'] ? { approveCapabilities: true } : {}),
      ...(values.reason ? { reason: values.reason } : {}),
    },
    (line) => {
      const now = performance.now();
      say(`  ${c.green('✓')} ${String(line.step).padEnd(16)} ${String(line.detail ?? '')} (${formatMs(now - last)})\n`);
      last = now;
    },
  );
  if (values.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  const total = formatMs(performance.now() - started);
  const what =
    result.outcome === 'unchanged'
      ? `${result.name}@${result.version} is already active with these bytes: nothing to do`
      : result.outcome === 'canary'
        ? `${result.name}@${result.version} is serving as a canary (${result.deployment.deploy.weight}% of calls) next to ${result.from ?? 'nothing'}; \`lnano promote ${result.name}\` or \`lnano abort ${result.name}\``
        : `${result.name}@${result.version} is serving${result.from ? ` (was ${result.from})` : ''}`;
  io.stdout.write(`${what} — ${total} to serving\n`);
  return 0;
}
