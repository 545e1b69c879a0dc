import { type ParseArgsConfig, parseArgs } from 'node:util';
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

/** `--env` values as pairs (the environment capability's; see `capabilities/environment/`). */
export { parseEnvFlags } from '../capabilities/environment/capability.js';
export { parseDurationMs } from '../support/units.js';
