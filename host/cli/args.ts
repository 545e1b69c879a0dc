import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LnError } from '../errors/ln-error.js';

/** Options of one command, in node:util's parseArgs form. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Parsed command line: flags, positionals, and what came after a bare `--`. */
export interface ParsedArgs<V> {
  readonly values: V;
  readonly positionals: string[];
  readonly rest: string[];
}

/**
 * Parses one command's arguments strictly: unknown flags and missing values are usage errors
 * (`LN_ERR_CONFIG_USAGE`, exit 2) naming the command.
 */
export function parseCommandArgs<V>(command: string, argv: readonly string[], options: OptionSpec): ParsedArgs<V> {
  const dash = argv.indexOf('--');
  const own = dash === -1 ? [...argv] : argv.slice(0, dash);
  const rest = dash === -1 ? [] : argv.slice(dash + 1);
  try {
    const { values, positionals } = parseArgs({ args: own, options, allowPositionals: true, strict: true });
    return { values: values as V, positionals, rest };
  } catch (err) {
    const reason = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new LnError('LN_ERR_CONFIG_USAGE', { reason: `lnano ${command}: ${reason}`, command });
  }
}

/** A usage error for `command`. */
export function usageError(command: string, reason: string): LnError {
  return new LnError('LN_ERR_CONFIG_USAGE', { reason: `lnano ${command}: ${reason}`, command });
}

export { parseDurationMs } from '../support/units.js';

/**
 * Parses repeated `--env K=V` / `--env K` flags. A bare `K` passes the host's value of K through;
 * nothing else of the host's environment reaches the guest.
 */
export function parseEnvFlags(flags: readonly string[], hostEnv: NodeJS.ProcessEnv): Array<[string, string]> {
  const out = new Map<string, string>();
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const key = eq === -1 ? flag : flag.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new LnError('LN_ERR_CONFIG_INVALID', { key: '--env', source: 'command line', reason: `"${key}" is not a valid variable name` });
    }
    const value = eq === -1 ? hostEnv[key] : flag.slice(eq + 1);
    if (value === undefined) {
      throw new LnError('LN_ERR_CONFIG_INVALID', { key: '--env', source: 'command line', reason: `${key} is not set in the host environment; write --env ${key}=value` });
    }
    out.set(key, value);
  }
  return [...out];
}
