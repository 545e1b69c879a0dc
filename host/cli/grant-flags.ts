/**
 * The grant and limit flags of `lnano run` (and later `lnano deploy`), mirroring the manifest:
 * each flag becomes part of a `capabilities` or `limits` section, so flags and manifests are
 * validated and bounded by the policy the same way.
 */
import { readFile } from 'node:fs/promises';
import { LnError, isLnError } from '../errors/ln-error.js';
import { parseCapabilities, type CapabilitySection } from '../capabilities/capability-manifest.js';
import { parseLimits, type LimitsSection } from '../resources/limits.js';
import type { OptionSpec } from './args.js';
import { parseEnvFlags } from './args.js';

/** The flags, for `parseCommandArgs`. */
export const GRANT_OPTIONS: OptionSpec = {
  env: { type: 'string', multiple: true },
  dir: { type: 'string', multiple: true },
  'allow-http': { type: 'string', multiple: true },
  kv: { type: 'string' },
  'plugin-config': { type: 'string', multiple: true },
  stdin: { type: 'string' },
  cwd: { type: 'string' },
  memory: { type: 'string' },
  timeout: { type: 'string' },
  fuel: { type: 'string' },
};

/** Their parsed values. */
export interface GrantFlagValues {
  env?: string[];
  dir?: string[];
  'allow-http'?: string[];
  kv?: string;
  'plugin-config'?: string[];
  stdin?: string;
  cwd?: string;
  memory?: string;
  timeout?: string;
  fuel?: string;
}

/** Help text for the flags, in the commands' format. */
export const GRANT_HELP = `Grants (nothing is granted unless asked for; see docs/capabilities.md):
  --env K[=V]           an environment variable (repeatable); a bare K passes the host's value
  --dir <host>::<guest>[:ro|:rw]
                        preopen a host directory at a guest path (repeatable; default ro)
  --allow-http <host>[:port]
                        outgoing HTTP to that authority (repeatable); *.example.com for subdomains;
                        without a port only 80/443
  --kv <namespace>      a key-value store namespace (persisted in the data dir)
  --plugin-config K=V   a config value the plugin reads through liquid-nano:plugin/config
  --stdin <file|->      what the guest reads on stdin (- for this command's stdin; default: closed)
  --cwd <guest-dir>     the guest's initial working directory (default: none)
Limits:
  --memory <size>       memory cap of the instance, e.g. 64MiB (default 256MiB)
  --timeout <dur>       wall-clock deadline of the call, e.g. 500ms, 10s (default: none for run)
  --fuel <n>            instruction budget of the call (default: unmetered)
`;

function flagError(flag: string, reason: string): LnError {
  return new LnError('LN_ERR_CONFIG_INVALID', { key: flag, source: 'command line', reason });
}

/** `--dir ./data::/data:ro` → a mount. */
function parseDir(text: string): { host: string; guest: string; mode: 'ro' | 'rw' } {
  const sep = text.indexOf('::');
  if (sep <= 0) throw flagError('--dir', `"${text}" must be <host-dir>::<guest-dir>[:ro|:rw], e.g. ./data::/data:ro`);
  let guest = text.slice(sep + 2);
  let mode: 'ro' | 'rw' = 'ro';
  const suffix = /:(ro|rw)$/.exec(guest);
  if (suffix) {
    mode = suffix[1] as 'ro' | 'rw';
    guest = guest.slice(0, -3);
  }
  return { host: text.slice(0, sep), guest, mode };
}

function parseKeyValues(flags: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const text of flags) {
    const eq = text.indexOf('=');
    if (eq <= 0) throw flagError(flag, `"${text}" must be KEY=value`);
    out[text.slice(0, eq)] = text.slice(eq + 1);
  }
  return out;
}

/**
 * The `capabilities` section the flags ask for.
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the flag
 */
export function capabilitiesFromFlags(values: GrantFlagValues, hostEnv: NodeJS.ProcessEnv): CapabilitySection {
  const section: Record<string, unknown> = {};
  if (values.env?.length) section.env = Object.fromEntries(parseEnvFlags(values.env, hostEnv));
  if (values.dir?.length) section.fs = values.dir.map(parseDir);
  if (values['allow-http']?.length) section.http = { allow: values['allow-http'] };
  if (values.kv !== undefined) section.kv = { namespace: values.kv };
  if (values.cwd !== undefined) section.cwd = values.cwd;
  try {
    return parseCapabilities(section, 'command line');
  } catch (err) {
    const reason = isLnError(err) ? String(err.details.reason) : String(err);
    throw flagError('grant flags', reason.replace(/capabilities\.(env|fs|http|kv|cwd)/g, (_m, k: string) => ({ env: '--env', fs: '--dir', http: '--allow-http', kv: '--kv', cwd: '--cwd' })[k] ?? k));
  }
}

/** The plugin config values from `--plugin-config K=V`. */
export function configFromFlags(values: GrantFlagValues): Record<string, string> {
  return parseKeyValues(values['plugin-config'] ?? [], '--plugin-config');
}

/**
 * The `limits` section the flags ask for.
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the flag
 */
export function limitsFromFlags(values: GrantFlagValues): LimitsSection {
  const section: Record<string, unknown> = {};
  if (values.memory !== undefined) section.memory = values.memory;
  if (values.timeout !== undefined) section.timeout = values.timeout;
  if (values.fuel !== undefined) {
    const fuel = Number(values.fuel.replace(/_/g, ''));
    if (!Number.isSafeInteger(fuel) || fuel <= 0) throw flagError('--fuel', `"${values.fuel}" must be a positive whole number of instructions`);
    section.fuel = fuel;
  }
  try {
    return parseLimits(section, 'command line');
  } catch (err) {
    throw flagError('limit flags', isLnError(err) ? String(err.details.reason) : String(err));
  }
}

/**
 * The bytes the guest reads on stdin: a file, this process's stdin (`-`), or none (closed).
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` for an unreadable file
 */
export async function stdinFromFlags(values: GrantFlagValues, stdin: NodeJS.ReadableStream | undefined, maxBytes: number): Promise<Uint8Array | null> {
  if (values.stdin === undefined) return null;
  if (values.stdin === '-') {
    if (!stdin) return new Uint8Array();
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of stdin) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      total += buf.length;
      if (total > maxBytes) throw flagError('--stdin', `more than ${maxBytes} bytes on stdin`);
      chunks.push(buf);
    }
    return new Uint8Array(Buffer.concat(chunks));
  }
  try {
    const bytes = await readFile(values.stdin);
    if (bytes.length > maxBytes) throw new Error(`it is ${bytes.length} bytes, over ${maxBytes}`);
    return new Uint8Array(bytes);
  } catch (err) {
    throw flagError('--stdin', `cannot read ${values.stdin}: ${(err as Error).message}`);
  }
}
