/**
 * Data at rest is private to the user running the host: the data dir and every folder in it
 * are mode 0700, the SQLite databases (with their `-wal` and `-shm` files) and the stored
 * artifacts 0600. Existing folders and files from an older host are tightened when opened.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { lazyModule } from './lazy-module.js';

/** `better-sqlite3` is loaded when a database is first opened, not at start-up. */
const sqlite = lazyModule<typeof Database>('better-sqlite3');

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
 * Opens (creating if needed) the SQLite database at `path` as a private file: its folder 0700,
 * the file 0600 before SQLite first opens it (SQLite gives the `-wal` and `-shm` files the
 * database file's mode), and existing files tightened to 0600.
 */
export function openPrivateDatabase(path: string, options: Database.Options = {}): Database.Database {
  ensurePrivateDir(dirname(path));
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) tighten(file, PRIVATE_FILE_MODE);
  const Sqlite = sqlite();
  return new Sqlite(path, options);
}
