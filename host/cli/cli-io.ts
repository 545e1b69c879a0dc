import { isLnError, type LnError, toLnError } from '../errors/ln-error.js';

/** Where the CLI writes; injected so tests can capture it. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** What `--stdin -` hands to a guest; none: an empty stdin. */
  readonly stdin?: NodeJS.ReadableStream;
}

/** The process's own streams, environment and working directory. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), stdin: process.stdin };
}

/**
 * Prints an error the way every `lnano` command does: the stable code and a one-line reason,
 * then the fix; never a stack trace. Returns the exit code for it (1 run time, 2 usage/input).
 */
export function reportError(io: CliIo, err: unknown): number {
  const error: LnError = isLnError(err) ? err : toLnError(err);
  const reason = error.message.replace(/\s*\n\s*/g, ' ');
  io.stderr.write(`error[${error.code}]: ${reason}\n  fix: ${error.fix}\n`);
  return error.spec.exit;
}
