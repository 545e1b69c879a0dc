/**
 * The one way the host opens a SQLite database (better-sqlite3): the registry
 * (`host/versions/registry-database.ts`) and the kv store (`host/capabilities/kv/kv-database.ts`)
 * both open their files here.
 *
 * Opening:
 * 1. the file is private (`private-files.ts`): its folder created 0700, the file created 0600
 *    before SQLite first opens it (so its `-wal` and `-shm` get 0600 too), existing ones tightened;
 * 2. the connection waits `busyTimeoutMs` for another connection's lock before failing;
 * 3. WAL journal (readers never wait for the writer), the caller's `synchronous` level and
 *    foreign key enforcement;
 * 4. the schema is brought up to date in one `BEGIN IMMEDIATE` transaction: `PRAGMA
 *    user_version` is the number of migrations applied, the missing ones run in order, and a file
 *    whose version is above the caller's migrations (written by a newer Liquid Nano) is refused
 *    rather than misread. Connections of many workers and processes may open one file at once:
 *    the write lock makes exactly one of them migrate.
 *
 * Every failure of these steps goes one way: the connection is closed and the caller's
 * `failure(reason, cause)` is thrown, so each database reports it in its own shape.
 */
import type Database from 'better-sqlite3';
import { lazyModule } from './lazy-module.js';
import { ensurePrivateFile } from './private-files.js';

/** `better-sqlite3` is loaded when a database is first opened, not at start-up. */
const sqlite = lazyModule<typeof Database>('better-sqlite3');

/** How a database is opened and migrated. */
export interface SqliteOpenOptions {
  /** How long a statement waits for another connection's lock before failing with SQLITE_BUSY, ms. */
  readonly busyTimeoutMs: number;
  /**
   * `FULL`: a transaction that returned is on disk. `NORMAL`: it survives a crash of the process,
   * a power loss may lose the last commits.
   */
  readonly synchronous: 'FULL' | 'NORMAL';
  /**
   * Whether foreign key constraints are enforced; set either way, since better-sqlite3's build
   * turns them on by default where SQLite's turns them off.
   */
  readonly foreignKeys: boolean;
  /**
   * The schema, one migration per version: index 0 brings an empty file to version 1. Released
   * migrations are never edited; a change is a new one appended.
   */
  readonly migrations: readonly string[];
  /**
   * For a file from before this database kept its version in `user_version`: reads the version
   * from where it was kept (called inside the migration transaction, only when `user_version` is 0).
   */
  readonly legacyVersion?: (db: Database.Database) => number;
  /** What to throw when the file cannot be opened or migrated; `reason` names the problem, without the path. */
  readonly failure: (reason: string, cause: unknown) => unknown;
}

/** A refusal decided here, as opposed to an error of SQLite or the file system. */
class Refusal extends Error {}

/** The schema version of an open database (`PRAGMA user_version`). */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Database.Database, options: SqliteOpenOptions): void {
  const latest = options.migrations.length;
  db.transaction(() => {
    let current = schemaVersion(db);
    if (current === 0 && options.legacyVersion) current = options.legacyVersion(db);
    if (current > latest) {
      const newer = `schema ${current}; this host reads up to ${latest}`;
      throw new Refusal(`it was written by a newer Liquid Nano (${newer}); upgrade Liquid Nano or use another data dir`);
    }
    for (let v = current; v < latest; v++) db.exec(options.migrations[v]!);
    if (schemaVersion(db) !== latest) db.pragma(`user_version = ${latest}`);
  }).immediate();
}

/**
 * Opens (creating if needed) the database at `path` and brings its schema up to date (see the
 * file's comment for every step).
 *
 * @throws whatever `options.failure` returns, when the folder or file cannot be created, the file
 *   is not a database, a migration fails, or the file was written by a newer schema
 *
 * @example
 * const db = openSqliteDatabase(path, {
 *   busyTimeoutMs: 5000, synchronous: 'FULL', foreignKeys: true, migrations: ['CREATE TABLE t (x)'],
 *   failure: (reason, cause) => new LnError('LN_ERR_VERSION_REGISTRY', { path, reason }, { cause }),
 * });
 */
export function openSqliteDatabase(path: string, options: SqliteOpenOptions): Database.Database {
  let db: Database.Database | undefined;
  try {
    ensurePrivateFile(path, [`${path}-wal`, `${path}-shm`]);
    const Sqlite = sqlite();
    db = new Sqlite(path, { timeout: options.busyTimeoutMs });
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous}`);
    db.pragma(`foreign_keys = ${options.foreignKeys ? 'ON' : 'OFF'}`);
    migrate(db, options);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof Refusal) throw options.failure(err.message, undefined);
    const code = (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : String(err);
    throw options.failure(`it cannot be opened: ${typeof code === 'string' ? `${code}: ` : ''}${message}`, err);
  }
}
