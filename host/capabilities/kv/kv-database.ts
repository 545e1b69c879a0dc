/**
 * The key-value store's database: one SQLite file (better-sqlite3) holding every namespace.
 *
 * Each instance's worker opens its own connection; SQLite's locking makes the connections of
 * many instances (and processes) safe together. The file is opened by `openSqliteDatabase`:
 * created on demand with its parent directory (private), in WAL mode (readers never wait for the
 * writer) with `synchronous = NORMAL` (a committed write survives a crash of the host process; a
 * power loss may lose the last commits), a busy timeout of `KV_DATABASE_DEFAULTS.busyTimeoutMs`,
 * and the schema versioned by `PRAGMA user_version`.
 *
 * Keys are stored as their UTF-8 bytes (BLOB), so the order is byte order and a prefix is a
 * range. Per-namespace usage (key count, bytes of keys + values) is kept in its own table and
 * changed in the same `BEGIN IMMEDIATE` transaction as the entry, after the quota check:
 * concurrent writers of one namespace are serialized and can never overshoot its quota.
 *
 * The component each namespace belongs to is kept in `kv_owners` (see `kv-ownership.ts`): the
 * first claim of a namespace records its owner, later claims read it.
 *
 * Failures are thrown as `KvError` values (the WIT `liquid-nano:plugin/kv#error` shape),
 * never as exceptions of the host.
 */
import type Database from 'better-sqlite3';
import { openSqliteDatabase } from '../../support/sqlite-database.js';

/** `liquid-nano:plugin/kv#error` as jco lowers it (thrown from a `result` import). */
export type KvError =
  | { readonly tag: 'denied' }
  | { readonly tag: 'quota-exceeded'; readonly val: string }
  | { readonly tag: 'too-large'; readonly val: string }
  | { readonly tag: 'internal'; readonly val: string };

/** The limits of one namespace (the quota part of a `KvGrant`). */
export interface KvQuota {
  readonly maxKeys: number;
  readonly maxKeyBytes: number;
  readonly maxValueBytes: number;
  readonly maxTotalBytes: number;
}

/** What a namespace holds. */
export interface KvUsage {
  readonly keys: number;
  /** Bytes of keys (UTF-8) and values. */
  readonly bytes: number;
}

/** Defaults of the database connection. */
export const KV_DATABASE_DEFAULTS = Object.freeze({
  /** How long a write waits for another connection's write lock before failing, ms. */
  busyTimeoutMs: 5_000,
});

/**
 * The schema, one migration per version (`PRAGMA user_version`; index 0 brings the file to
 * version 1). Released migrations are never edited: a change is a new migration appended here.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS kv_entries (
    namespace TEXT NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (namespace, key)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS kv_usage (
    namespace TEXT PRIMARY KEY,
    keys INTEGER NOT NULL,
    bytes INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE IF NOT EXISTS kv_owners (
    namespace TEXT PRIMARY KEY,
    owner TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
];

function isKvError(err: unknown): err is KvError {
  return err !== null && typeof err === 'object' && !(err instanceof Error) && typeof (err as KvError).tag === 'string';
}

/** A database failure as the guest sees it: `internal` with SQLite's code and message (no paths). */
export function internalError(err: unknown): KvError {
  if (isKvError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return { tag: 'internal', val: typeof code === 'string' ? `${code}: ${message}` : message };
}

/** Runs `fn`, turning anything but a `KvError` into `internal`. */
function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw internalError(err);
  }
}

/** The smallest byte string above every key that starts with `prefix` (UTF-8 never holds 0xff). */
function prefixEnd(prefix: Buffer): Buffer {
  return Buffer.concat([prefix, Buffer.from([0xff])]);
}

/** One SQLite connection to the store's file. */
export class KvDatabase {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string, Buffer], { value: Buffer }>;
  readonly #entrySize: Database.Statement<[string, Buffer], { size: number }>;
  readonly #usage: Database.Statement<[string], KvUsage>;
  readonly #put: Database.Statement<[string, Buffer, Buffer]>;
  readonly #remove: Database.Statement<[string, Buffer]>;
  readonly #putUsage: Database.Statement<[string, number, number]>;
  readonly #list: Database.Statement<[string, Buffer, Buffer, number], { key: Buffer }>;
  readonly #owner: Database.Statement<[string], { owner: string }>;
  readonly #claim: Database.Statement<[string, string]>;
  readonly #setTx: Database.Transaction<(namespace: string, key: Buffer, value: Buffer, quota: KvQuota) => void>;
  readonly #deleteTx: Database.Transaction<(namespace: string, key: Buffer) => boolean>;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#get = db.prepare('SELECT value FROM kv_entries WHERE namespace = ? AND key = ?');
    this.#entrySize = db.prepare('SELECT length(key) + length(value) AS size FROM kv_entries WHERE namespace = ? AND key = ?');
    this.#usage = db.prepare('SELECT keys, bytes FROM kv_usage WHERE namespace = ?');
    this.#put = db.prepare('INSERT INTO kv_entries (namespace, key, value) VALUES (?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value');
    this.#remove = db.prepare('DELETE FROM kv_entries WHERE namespace = ? AND key = ?');
    this.#putUsage = db.prepare(
      'INSERT INTO kv_usage (namespace, keys, bytes) VALUES (?, ?, ?) ON CONFLICT (namespace) DO UPDATE SET keys = excluded.keys, bytes = excluded.bytes',
    );
    this.#list = db.prepare('SELECT key FROM kv_entries WHERE namespace = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?');
    this.#owner = db.prepare('SELECT owner FROM kv_owners WHERE namespace = ?');
    this.#claim = db.prepare('INSERT INTO kv_owners (namespace, owner) VALUES (?, ?) ON CONFLICT (namespace) DO NOTHING');
    this.#setTx = db.transaction((namespace: string, key: Buffer, value: Buffer, quota: KvQuota) => {
      const old = this.#entrySize.get(namespace, key);
      const usage = this.#usage.get(namespace) ?? { keys: 0, bytes: 0 };
      const keys = usage.keys + (old ? 0 : 1);
      const bytes = usage.bytes - (old?.size ?? 0) + key.length + value.length;
      if (!old && keys > quota.maxKeys) {
        throw { tag: 'quota-exceeded', val: `the namespace holds ${usage.keys} keys; the limit is ${quota.maxKeys}` } satisfies KvError;
      }
      // Shrinking an entry is always allowed, even when a lowered quota is already passed.
      if (bytes > quota.maxTotalBytes && bytes > usage.bytes) {
        throw { tag: 'quota-exceeded', val: `the namespace would hold ${bytes} bytes; the limit is ${quota.maxTotalBytes}` } satisfies KvError;
      }
      this.#put.run(namespace, key, value);
      this.#putUsage.run(namespace, keys, bytes);
    });
    this.#deleteTx = db.transaction((namespace: string, key: Buffer) => {
      const old = this.#entrySize.get(namespace, key);
      if (!old) return false;
      const usage = this.#usage.get(namespace) ?? { keys: 1, bytes: old.size };
      this.#remove.run(namespace, key);
      this.#putUsage.run(namespace, Math.max(0, usage.keys - 1), Math.max(0, usage.bytes - old.size));
      return true;
    });
  }

  /**
   * Opens (creating if needed) the database at `path`.
   *
   * @throws KvError `internal` when the file cannot be created or opened, or was written by a
   *   newer schema
   */
  static open(path: string, options: { busyTimeoutMs?: number } = {}): KvDatabase {
    // Its folder 0700 and the database files 0600: data at rest is private.
    const db = openSqliteDatabase(path, {
      busyTimeoutMs: options.busyTimeoutMs ?? KV_DATABASE_DEFAULTS.busyTimeoutMs,
      synchronous: 'NORMAL',
      foreignKeys: true, // none are declared; as better-sqlite3 opened it before
      migrations: MIGRATIONS,
      failure: (reason) => ({ tag: 'internal', val: `the kv store: ${reason}` }) satisfies KvError,
    });
    try {
      return new KvDatabase(db);
    } catch (err) {
      db.close();
      throw internalError(err);
    }
  }

  /** Closes the connection. */
  close(): void {
    this.#db.close();
  }

  /** The value stored under `key` in `namespace`. */
  get(namespace: string, key: Buffer): Uint8Array | undefined {
    const row = guarded(() => this.#get.get(namespace, key));
    return row ? new Uint8Array(row.value.buffer, row.value.byteOffset, row.value.byteLength) : undefined;
  }

  /** What `namespace` holds. */
  usage(namespace: string): KvUsage {
    return guarded(() => this.#usage.get(namespace) ?? { keys: 0, bytes: 0 });
  }

  /**
   * Stores `value` under `key`, checking the namespace's key-count and byte quotas in the same
   * transaction. Size limits of single keys and values are the caller's to check.
   *
   * @throws KvError `quota-exceeded`, or `internal`
   */
  set(namespace: string, key: Buffer, value: Buffer, quota: KvQuota): void {
    guarded(() => this.#setTx.immediate(namespace, key, value, quota));
  }

  /**
   * Removes `key`.
   *
   * @returns whether it existed
   * @throws KvError `internal`
   */
  delete(namespace: string, key: Buffer): boolean {
    return guarded(() => this.#deleteTx.immediate(namespace, key));
  }

  /** The keys of `namespace` that start with `prefix`, in byte order, at most `limit`. */
  listKeys(namespace: string, prefix: Buffer, limit: number): Buffer[] {
    if (limit <= 0) return [];
    return guarded(() => this.#list.all(namespace, prefix, prefixEnd(prefix), limit).map((row) => row.key));
  }

  /** The component `namespace` belongs to; null while nobody claimed it. */
  owner(namespace: string): string | null {
    return guarded(() => this.#owner.get(namespace)?.owner ?? null);
  }

  /**
   * Records `owner` as the owner of `namespace` unless it has one already (committed before it
   * returns, so it survives a crash of the host process).
   *
   * @returns the owner after the claim: `owner`, or whoever claimed it first
   * @throws KvError `internal`
   */
  claim(namespace: string, owner: string): string {
    return guarded(() => {
      this.#claim.run(namespace, owner);
      return this.#owner.get(namespace)!.owner;
    });
  }
}
