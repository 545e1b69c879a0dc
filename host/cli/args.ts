import { type ParseArgsConfig, parseArgs } from 'node:util';
import { LnError } from '../errors/ln-error.js';
import { closest } from './suggest.js';

/** Options of one command, in node:util's parseArgs form. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Parsed command line: flags, positionals, and what came after a bare `--`. */
export interface ParsedArgs<V> {
  readonly values: V;
  readonly positionals: string[];
  readonly rest: string[];
}

/**
 * Thrown by `parseCommandArgs` instead of parsing while `describeOptions` runs a command: carries
 * the command's option spec, so shell completion is generated from the very spec each command
 * parses with (serve's included), not from a copy.
 */
class OptionsDescribed {
  constructor(readonly options: OptionSpec) {}
}

let describing = false;

/**
 * The option spec `run` parses its arguments with: runs it in a mode where `parseCommandArgs`
 * throws the spec before looking at any argument (no I/O, nothing else runs).
 */
export async function describeOptions(run: () => Promise<unknown>): Promise<OptionSpec> {
  describing = true;
  try {
    await run();
  } catch (err) {
    if (err instanceof OptionsDescribed) return err.options;
    throw err;
  } finally {
    describing = false;
  }
  return {};
}

/** The first flag in `args` that `options` does not know, as written (`--stauts`, `-x`). */
function unknownFlag(args: readonly string[], options: OptionSpec): string | undefined {
  const shorts = new Set(Object.values(options).flatMap((o) => (o.short ? [o.short] : [])));
  for (const arg of args) {
    if (arg === '--' || arg === '-' || !arg.startsWith('-')) continue;
    if (arg.startsWith('--')) {
      const name = arg.slice(2).split('=')[0]!;
      if (!Object.hasOwn(options, name)) return `--${name}`;
    } else {
      for (const ch of arg.slice(1)) if (!shorts.has(ch)) return `-${ch}`;
    }
  }
  return undefined;
}

/** Our message for a node:util parse error (its own text never reaches the user). */
function parseProblem(err: NodeJS.ErrnoException, args: readonly string[], options: OptionSpec): string {
  const names = Object.keys(options);
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = unknownFlag(args, options) ?? 'a flag';
    const bare = flag.replace(/^-+/, '');
    const guess = flag.startsWith('--') ? closest(bare, names) : undefined;
    return `unknown flag ${flag}${guess ? ` (did you mean --${guess}?)` : ''}`;
  }
  // The option is the one quoted in node's message ('--invoke <value>', '-n, --lines <value>', '--json').
  const quoted = /'-{1,2}([A-Za-z0-9-]+)/.exec(err.message)?.[1];
  const key = quoted === undefined ? undefined : Object.hasOwn(options, quoted) ? quoted : Object.keys(options).find((k) => options[k]!.short === quoted);
  const shown = key === undefined ? 'a flag' : `--${key}`;
  const entry = key === undefined ? undefined : options[key];
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (entry?.type === 'boolean') return `${shown} takes no value`;
    if (/ambiguous/.test(err.message)) return `${shown} needs a value; for a value that starts with "-", write ${shown}=<value>`;
    return `${shown} needs a value`;
  }
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return 'unexpected argument';
  return 'cannot read the arguments';
}

/**
 * Parses one command's arguments strictly: unknown flags and missing values are usage errors
 * (`LN_ERR_CONFIG_USAGE`, exit 2) naming the command, the flag and, for a misspelt flag, the one
 * meant. node:util's own messages (`ERR_PARSE_ARGS_*`) never reach the user.
 */
export function parseCommandArgs<V>(command: string, argv: readonly string[], options: OptionSpec): ParsedArgs<V> {
  if (describing) throw new OptionsDescribed(options);
  const dash = argv.indexOf('--');
  const own = dash === -1 ? [...argv] : argv.slice(0, dash);
  const rest = dash === -1 ? [] : argv.slice(dash + 1);
  try {
    const { values, positionals } = parseArgs({ args: own, options, allowPositionals: true, strict: true });
    return { values: values as V, positionals, rest };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw err;
    throw usageError(command, parseProblem(err as NodeJS.ErrnoException, own, options));
  }
}

/** A usage error for `command`. */
export function usageError(command: string, reason: string): LnError {
  return new LnError('LN_ERR_CONFIG_USAGE', { reason: `lnano ${command}: ${reason}`, command });
}

/** `--env` values as pairs (the environment capability's; see `capabilities/environment/`). */
export { parseEnvFlags } from '../capabilities/environment/capability.js';
export { parseDurationMs } from '../support/units.js';
