/**
 * The registry database: `<data-dir>/registry.sqlite3`, one SQLite file holding the version
 * registry and the audit trail, so a deploy's registry change and its audit entry commit in one
 * transaction (see docs/registry.md for why SQLite and not lmdb).
 *
 * Durability: WAL journal with `synchronous=FULL`, so a transaction that returned is on disk and a
 * process killed at any moment leaves the last committed state. The schema is versioned
 * (`openSqliteDatabase`): each migration below runs once, in order, inside a transaction; a file
 * written by a newer host is refused rather than misread.
 */
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { LnError } from '../errors/ln-error.js';
import { openSqliteDatabase, schemaVersion } from '../support/sqlite-database.js';

/**
 * The schema, one migration per version (index 0 brings the file to version 1). Released
 * migrations are never edited: a change is a new migration appended here. The value lists in
 * the CHECK constraints are spelled out on purpose, frozen with their migration; `registry.ts`
 * has the same lists as types and a test checks the two agree.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    digest TEXT NOT NULL CHECK (length(digest) = 71 AND digest GLOB 'sha256:*'),
    manifest TEXT NOT NULL CHECK (json_valid(manifest)),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (name, version)
  );
  CREATE INDEX versions_by_digest ON versions (digest);
  CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions
    BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;

  CREATE TABLE deployments (
    name TEXT PRIMARY KEY,
    active_version TEXT,
    previous_version TEXT,
    deploy_version TEXT NOT NULL,
    strategy TEXT NOT NULL CHECK (strategy IN ('immediate', 'canary', 'blue-green')),
    weight INTEGER NOT NULL CHECK (weight BETWEEN 0 AND 100),
    step TEXT NOT NULL CHECK (step IN ('validate', 'capability-check', 'prepare', 'warm', 'probe', 'swap', 'drain', 'retire')),
    status TEXT NOT NULL CHECK (status IN ('deploying', 'canary', 'activated', 'deployed', 'failed', 'aborted', 'rolled-back')),
    reason TEXT,
    actor TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    FOREIGN KEY (name, active_version) REFERENCES versions (name, version),
    FOREIGN KEY (name, previous_version) REFERENCES versions (name, version),
    FOREIGN KEY (name, deploy_version) REFERENCES versions (name, version)
  );

  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    name TEXT,
    version TEXT,
    digest TEXT,
    from_version TEXT,
    reason TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_by_name ON audit (name, seq);
  CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
  `,
];

/** The schema version this host writes and reads (`PRAGMA user_version`). */
export const REGISTRY_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The version of a registry written before it was kept in `user_version`: hosts up to issue 16
 * kept it in a one-row `schema_version` table. The table stays, so such a host can still open a
 * file it wrote; a migration past version 1 must also write its number there (`UPDATE
 * schema_version SET version = N` when the table exists), so such a host refuses the file as
 * newer instead of misreading it. A file this host creates gets the table too (`writeLegacyVersion`),
 * so an older host put back on the same data dir opens it.
 */
function legacyVersion(db: Database.Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!table) return 0;
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  return row?.version ?? 0;
}

/**
 * Keeps the `schema_version` row of hosts before issue 16 equal to the schema version, creating
 * the table when this host created the file: such a host reads only that row, and without it
 * took the file for an empty one and failed on its first migration ("table versions already
 * exists"). Writes (one small transaction) only when the row is missing or behind.
 */
function writeLegacyVersion(db: Database.Database): void {
  if (legacyVersion(db) === REGISTRY_SCHEMA_VERSION) return;
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    db.exec('DELETE FROM schema_version');
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(REGISTRY_SCHEMA_VERSION);
  }).immediate();
}

/** The registry file's name in the data directory. */
export const REGISTRY_FILE = 'registry.sqlite3';

/** How the registry database is opened. */
export interface RegistryDatabaseOptions {
  /** How long a write waits for another process's write lock before failing, in ms. Default 5000. */
  readonly busyTimeoutMs?: number;
}

/** Every default of `RegistryDatabaseOptions`, in one place. */
export const REGISTRY_DATABASE_DEFAULTS = Object.freeze({ busyTimeoutMs: 5000 });

/**
 * The one connection to the registry database.
 *
 * Opening creates the data directory and the file if needed, sets WAL + `synchronous=FULL` +
 * foreign keys + the busy timeout, and brings the schema up to `REGISTRY_SCHEMA_VERSION`.
 *
 * @throws LnError `LN_ERR_VERSION_REGISTRY` when the file is not a SQLite database, or was written
 *   by a newer Liquid Nano (its schema version is higher than this host's)
 *
 * @example
 * const db = new RegistryDatabase('.lnano');
 * const audit = new AuditTrail(db);
 * const registry = new Registry(db, audit);
 * db.transaction(() => { registry.bindVersion(...); registry.beginDeploy(...); });
 */
export class RegistryDatabase {
  /** The database file. */
  readonly path: string;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  /** @param dataDir - the data directory (created if missing) */
  constructor(dataDir: string, options: RegistryDatabaseOptions = {}) {
    this.path = join(dataDir, REGISTRY_FILE);
    const path = this.path;
    // The data dir 0700 and the database files 0600: data at rest is private.
    this.#db = openSqliteDatabase(path, {
      busyTimeoutMs: options.busyTimeoutMs ?? REGISTRY_DATABASE_DEFAULTS.busyTimeoutMs,
      synchronous: 'FULL',
      foreignKeys: true,
      migrations: MIGRATIONS,
      legacyVersion,
      failure: (reason, cause) => new LnError('LN_ERR_VERSION_REGISTRY', { path, reason }, { cause }),
    });
    writeLegacyVersion(this.#db);
  }

  /** The file's schema version (equal to `REGISTRY_SCHEMA_VERSION` once open). */
  get schemaVersion(): number {
    return schemaVersion(this.#db);
  }

  /** Whether a transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  /**
   * Runs `fn` in one transaction: everything it writes commits together, or nothing does when it
   * throws (the error is rethrown). Nested calls become savepoints of the outer transaction. A
   * top-level transaction takes the write lock at its start (`BEGIN IMMEDIATE`), so two processes
   * never deadlock upgrading a read. `fn` must be synchronous.
   */
  transaction<T>(fn: () => T): T {
    const tx = this.#db.transaction(fn);
    return this.#db.inTransaction ? tx() : tx.immediate();
  }

  /** A prepared statement, compiled once per connection and reused. For the registry's own modules. */
  statement<Row = unknown>(sql: string): Database.Statement<unknown[], Row> {
    let s = this.#statements.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s as Database.Statement<unknown[], Row>;
  }

  /** SQLite's own check of the file: `['ok']` when it is sound, otherwise the problems found. */
  integrityCheck(): string[] {
    return (this.#db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
  }

  /** Closes the connection (checkpointing the WAL into the main file). */
  close(): void {
    this.#statements.clear();
    if (this.#db.open) this.#db.close();
  }
}
