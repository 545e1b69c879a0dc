/**
 * The grant and limit flags of `lnano run` (and later `lnano deploy`), mirroring the manifest:
 * each flag becomes part of a `capabilities` or `limits` section, so flags and manifests are
 * validated and bounded by the policy the same way. The grant flags are the registered
 * capabilities' own (`GrantFlag`: name, help, the section they build); this module is the one
 * that reads them from argv.
 */
import { readFile } from 'node:fs/promises';
import { flagError, type GrantFlag } from '../capabilities/capability.js';
import { absoluteCapabilities, type CapabilitySection, parseCapabilities } from '../capabilities/capability-manifest.js';
import { REGISTERED } from '../capabilities/registry.js';
import { isLnError } from '../errors/ln-error.js';
import { type LimitsSection, parseLimits } from '../resources/limits.js';
import type { OptionSpec } from './args.js';

/** The grant flags of the registered capabilities, in registry order. */
const CAPABILITY_FLAGS: ReadonlyArray<GrantFlag<CapabilitySection>> = REGISTERED.flatMap((c) => c.flags ?? []);

/** The flags, for `parseCommandArgs`. */
export const GRANT_OPTIONS: OptionSpec = {
  ...Object.fromEntries(CAPABILITY_FLAGS.map((f) => [f.name, f.multiple ? { type: 'string', multiple: true } : { type: 'string' }])),
  memory: { type: 'string' },
  timeout: { type: 'string' },
  fuel: { type: 'string' },
};

/** Their parsed values (a capability's flag by its name, e.g. `values['allow-http']`). */
export interface GrantFlagValues {
  readonly [flag: string]: string | readonly string[] | boolean | undefined;
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

/** One help entry: `  --kv <namespace>      a key-value …`, a long synopsis on a line of its own. */
function helpEntry(usage: string, help: readonly string[]): string {
  const indent = ' '.repeat(24);
  const head = usage.length <= 20 ? `  ${usage.padEnd(22)}` : `  ${usage}\n${indent}`;
  return `${head}${help.join(`\n${indent}`)}\n`;
}

/** Help text for the flags, in the commands' format (grant flags ordered by their `helpRank`). */
export const GRANT_HELP = `Grants (nothing is granted unless asked for; see docs/capabilities.md):
${[...CAPABILITY_FLAGS]
  .sort((a, b) => a.helpRank - b.helpRank)
  .map((f) => helpEntry(f.usage, f.help))
  .join('')}Limits:
  --memory <size>       memory cap of the instance, e.g. 64MiB (default 256MiB)
  --timeout <dur>       wall-clock deadline of the call, e.g. 500ms, 10s (default: none for run)
  --fuel <n>            instruction budget of the call (default: unmetered)
`;

/** A flag's values as a list (a single flag's one value, or none). */
function flagValues(values: GrantFlagValues, name: string): readonly string[] {
  const v = values[name];
  return v === undefined || typeof v === 'boolean' ? [] : typeof v === 'string' ? [v] : v;
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
 * The `capabilities` section the flags ask for (each capability's flags build its keys).
 *
 * @param cwd - where relative host paths (`--dir ./data::/data`) start
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the flag
 */
export function capabilitiesFromFlags(values: GrantFlagValues, hostEnv: NodeJS.ProcessEnv, cwd: string = process.cwd()): CapabilitySection {
  const section: Record<string, unknown> = {};
  for (const flag of CAPABILITY_FLAGS) {
    const given = flagValues(values, flag.name);
    if (flag.toSection && given.length > 0) Object.assign(section, flag.toSection(given, { env: hostEnv, cwd }));
  }
  try {
    // Relative host paths start where the command runs.
    return absoluteCapabilities(parseCapabilities(section, 'command line'), cwd);
  } catch (err) {
    const reason = isLnError(err) ? String(err.details.reason) : String(err);
    const byKey = new Map(CAPABILITY_FLAGS.flatMap((f) => (f.key ? [[f.key as string, `--${f.name}`] as const] : [])));
    throw flagError(
      'grant flags',
      reason.replace(/capabilities\.([A-Za-z]+)/g, (m, k: string) => byKey.get(k) ?? m),
    );
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
