/**
 * `-` and `@-`: reading what a command would read from a file from stdin instead (a component, a
 * manifest, a host config, a pipeline, an event, event data). Stdin can be read once per command:
 * a second reader is a usage error naming both.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LnError } from '../errors/ln-error.js';
import { usageError } from './args.js';
import type { CliIo } from './cli-io.js';

/** Who read stdin already, per CLI invocation. */
const readers = new WeakMap<CliIo, string>();

/** Whether a path argument means stdin. */
export const isStdin = (path: string | undefined): boolean => path === '-';

/**
 * Refuses a command line where more than one argument is `-`, before anything is read.
 *
 * @param readers - each argument's name and value, e.g. `['--manifest', values.manifest]`
 * @throws LnError `LN_ERR_CONFIG_USAGE` naming two of them
 */
export function oneStdinReader(command: string, readers: ReadonlyArray<readonly [string, string | undefined]>): void {
  const from = readers.filter(([, value]) => isStdin(value)).map(([what]) => what);
  if (from.length > 1) throw usageError(command, `${from[0]} and ${from[1]} both read stdin; only one of them can`);
}

/**
 * Notes that `what` reads stdin (for a reader that reads it itself, e.g. `--stdin -`).
 *
 * @throws LnError `LN_ERR_CONFIG_USAGE` when another argument read stdin already
 */
export function claimStdin(io: CliIo, command: string, what: string): void {
  const before = readers.get(io);
  if (before !== undefined) throw usageError(command, `${before} and ${what} both read stdin; only one of them can`);
  readers.set(io, what);
}

/**
 * All of stdin, at most `maxBytes`.
 *
 * @param what - the flag or argument reading it (`--manifest`), for errors
 * @throws LnError `LN_ERR_CONFIG_USAGE` when another argument read stdin already;
 *   `LN_ERR_CONFIG_INVALID` when it is larger than `maxBytes`
 */
export async function readStdin(io: CliIo, command: string, what: string, maxBytes: number): Promise<Buffer> {
  claimStdin(io, command, what);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of io.stdin ?? []) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += buf.length;
    if (total > maxBytes) throw new LnError('LN_ERR_CONFIG_INVALID', { key: what, source: 'stdin', reason: `more than ${maxBytes} bytes on stdin` });
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * The bytes of `path` (relative to the command's folder), or of stdin for `-`.
 *
 * @throws LnError as `readStdin`; `LN_ERR_CONFIG_INVALID` naming `what` for an unreadable file
 */
export async function readInput(io: CliIo, command: string, what: string, path: string, maxBytes: number): Promise<Buffer> {
  if (isStdin(path)) return readStdin(io, command, what, maxBytes);
  const file = resolve(io.cwd, path);
  const bytes = await readFile(file).catch((err: Error) => {
    throw new LnError('LN_ERR_CONFIG_INVALID', { key: what, source: 'command line', reason: `cannot read ${file}: ${err.message}` });
  });
  if (bytes.length > maxBytes) throw new LnError('LN_ERR_CONFIG_INVALID', { key: what, source: 'command line', reason: `${file} is over ${maxBytes} bytes` });
  return bytes;
}
