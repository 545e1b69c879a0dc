import { isLnError, type LnError, toLnError } from '../errors/ln-error.js';
import { type OutputStream, paletteFor } from './colour.js';

/** Where the CLI writes; injected so tests can capture it. */
export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** What `-` / `@-` read (a component, a manifest, an event, `--stdin -`); none: empty. */
  readonly stdin?: NodeJS.ReadableStream;
}

let pipeWatched = false;

/**
 * The process's own streams, environment and working directory. A closed stdout (`lnano
 * timeline | head -1`) ends the process quietly with status 0, as `git log | head` does: the
 * reader has what it wanted, so the rest is not an error and no stack trace is printed.
 */
export function processIo(): CliIo {
  if (!pipeWatched) {
    pipeWatched = true;
    const closed = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
      throw err;
    };
    process.stdout.on('error', closed);
    // Nowhere left to report anything: a closed stderr is ignored.
    process.stderr.on('error', () => {});
  }
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), stdin: process.stdin };
}

/** How `reportError` prints. */
export interface ReportOptions {
  /** `--json` was given: the error goes out as `{"error": {code, message, fix, details}}`. */
  readonly json?: boolean;
  /** The command's synopsis, printed under a usage error. */
  readonly usage?: string;
}

/**
 * Prints an error the way every `lnano` command does: the stable code and a one-line reason,
 * then the fix; never a stack trace. With `--json`, one JSON object on stderr instead:
 * `{"error":{"code","message","fix","details"}}` (details, when the error has any; a usage error's
 * `usage` among them). Returns the exit code for it (1 run time, 2 usage/input), the same either way.
 */
export function reportError(io: CliIo, err: unknown, options: ReportOptions = {}): number {
  const error: LnError = isLnError(err) ? err : toLnError(err);
  const reason = error.message.replace(/\s*\n\s*/g, ' ');
  // A usage error with no command to name points at `lnano help`, not at `lnano help `.
  const fix = error.fix.replace(/ +`( |$)/g, '`$1');
  const usage = error.code === 'LN_ERR_CONFIG_USAGE' ? options.usage : undefined;
  if (options.json) {
    const details = { ...error.details, ...(usage ? { usage } : {}) };
    const body = { code: error.code, message: reason, fix, ...(Object.keys(details).length > 0 ? { details } : {}) };
    io.stderr.write(`${JSON.stringify({ error: body })}\n`);
    return error.spec.exit;
  }
  const c = paletteFor(io.stderr, io.env);
  io.stderr.write(
    `${c.red(c.bold(`error[${error.code}]`))}: ${reason}\n${usage ? `  ${c.dim('usage:')} ${usage.replace(/^Usage:\s*/, '')}\n` : ''}  ${c.dim('fix:')} ${fix}\n`,
  );
  return error.spec.exit;
}

/** Whether `argv` asks for JSON output (`--json` before any bare `--`). */
export function wantsJson(argv: readonly string[]): boolean {
  const dash = argv.indexOf('--');
  return (dash === -1 ? argv : argv.slice(0, dash)).includes('--json');
}
