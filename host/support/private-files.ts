/**
 * Data at rest is private to the user running the host: the data dir and every folder in it
 * are mode 0700, the SQLite databases (with their `-wal` and `-shm` files) and the stored
 * artifacts 0600. Existing folders and files from an older host are tightened when opened.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Mode of the data dir and the folders in it. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of the databases and artifacts. */
export const PRIVATE_FILE_MODE = 0o600;

/** Removes group and other bits from `path` if it has any; a file that is not ours stays as it is. */
function tighten(path: string, mode: number): void {
  try {
    if ((statSync(path).mode & 0o777 & ~mode) !== 0) chmodSync(path, mode);
  } catch {
    // Missing, or owned by someone else (EPERM): nothing this process can or should change.
  }
}

/** Creates `dir` (and missing parents) with mode 0700, and tightens an existing `dir` to 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(dir, PRIVATE_DIR_MODE);
}

/**
 * Creates `path` (empty) with mode 0600 if it is missing, in a private folder, and tightens it
 * and the files beside it named in `siblings` (e.g. SQLite's `-wal` and `-shm`) to 0600 when
 * they exist. A file created 0600 before SQLite first opens it gives its `-wal` and `-shm`
 * files the same mode.
 */
export function ensurePrivateFile(path: string, siblings: readonly string[] = []): void {
  ensurePrivateDir(dirname(path));
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  for (const file of [path, ...siblings]) tighten(file, PRIVATE_FILE_MODE);
}
