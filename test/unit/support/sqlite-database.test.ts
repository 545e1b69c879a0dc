/**
 * Issue 16 item 3: one SQLite open/migrate for the registry and the kv store. Real files in a
 * temp dir: the pragmas, ordered migrations counted by user_version, the legacy version hook,
 * and the one failure path (a newer file, a file that is not a database, a failing migration).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteDatabase, type SqliteOpenOptions, schemaVersion } from '../../../host/support/sqlite-database.js';

class Failed extends Error {
  constructor(
    readonly reason: string,
    override readonly cause: unknown,
  ) {
    super(reason);
  }
}

const file = (): string => join(mkdtempSync(join(tmpdir(), 'lnano-sqlite-')), 'data', 'test.sqlite3');
const base: SqliteOpenOptions = {
  busyTimeoutMs: 1234,
  synchronous: 'FULL',
  foreignKeys: false,
  migrations: [],
  failure: (reason, cause) => new Failed(reason, cause),
};
/** Migrations that fail when run twice (no IF NOT EXISTS). */
const V1 = 'CREATE TABLE a (x INTEGER NOT NULL); INSERT INTO a VALUES (1);';
const V2 = 'CREATE TABLE b (y TEXT); INSERT INTO a VALUES (2);';

function failureOf(fn: () => unknown): Failed {
  try {
    fn();
  } catch (err) {
    if (err instanceof Failed) return err;
    throw err;
  }
  throw new Error('expected a failure, but it opened');
}

const tables = (db: Database.Database): string[] =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);

describe('openSqliteDatabase', () => {
  it('sets WAL, the synchronous level, foreign keys and the busy timeout', () => {
    const full = openSqliteDatabase(file(), { ...base, foreignKeys: true });
    expect(full.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(full.pragma('synchronous', { simple: true })).toBe(2);
    expect(full.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(full.pragma('busy_timeout', { simple: true })).toBe(1234);
    full.close();
    const normal = openSqliteDatabase(file(), { ...base, synchronous: 'NORMAL', foreignKeys: false });
    expect(normal.pragma('synchronous', { simple: true })).toBe(1);
    expect(normal.pragma('foreign_keys', { simple: true })).toBe(0);
    normal.close();
  });

  it('runs the migrations in order once, and only the new ones after one is appended', () => {
    const path = file();
    const first = openSqliteDatabase(path, { ...base, migrations: [V1] });
    expect(schemaVersion(first)).toBe(1);
    first.close();
    openSqliteDatabase(path, { ...base, migrations: [V1] }).close(); // V1 again would fail
    const second = openSqliteDatabase(path, { ...base, migrations: [V1, V2] });
    expect(schemaVersion(second)).toBe(2);
    expect(tables(second)).toEqual(['a', 'b']);
    expect(second.prepare('SELECT x FROM a ORDER BY x').all()).toEqual([{ x: 1 }, { x: 2 }]);
    second.close();
  });

  it('reads a legacy version only while user_version is 0', () => {
    const path = file();
    const asked: number[] = [];
    const legacyVersion = (db: Database.Database): number => {
      asked.push(schemaVersion(db));
      return tables(db).includes('a') ? 1 : 0;
    };
    const raw = openSqliteDatabase(path, base); // no migrations: user_version stays 0
    raw.exec(V1);
    raw.close();
    const db = openSqliteDatabase(path, { ...base, migrations: [V1, V2], legacyVersion });
    expect(schemaVersion(db)).toBe(2);
    expect(tables(db)).toEqual(['a', 'b']);
    db.close();
    openSqliteDatabase(path, { ...base, migrations: [V1, V2], legacyVersion }).close();
    expect(asked).toEqual([0]);
  });

  it('refuses a file of a newer schema, and closes the connection', () => {
    const path = file();
    openSqliteDatabase(path, { ...base, migrations: [V1, V2] }).close();
    const err = failureOf(() => openSqliteDatabase(path, { ...base, migrations: [V1] }));
    expect(err.reason).toMatch(/newer Liquid Nano \(schema 2; this host reads up to 1\)/);
    expect(err.reason).not.toContain(path);
    // Not left open holding a lock: a write from another connection goes through at once.
    const db = openSqliteDatabase(path, { ...base, busyTimeoutMs: 0, migrations: [V1, V2] });
    db.exec('INSERT INTO b VALUES (1)');
    db.close();
  });

  it('reports a file that is not a database, and a failing migration, through failure with the cause', () => {
    const junk = file();
    openSqliteDatabase(junk, base).close();
    writeFileSync(junk, 'not a database '.repeat(300));
    const notDb = failureOf(() => openSqliteDatabase(junk, { ...base, migrations: [V1] }));
    expect(notDb.reason).toMatch(/^it cannot be opened: SQLITE_NOTADB: /);
    expect(notDb.cause).toBeInstanceOf(Error);

    const path = file();
    openSqliteDatabase(path, { ...base, migrations: [V1] }).close();
    const bad = failureOf(() => openSqliteDatabase(path, { ...base, migrations: [V1, 'CREATE TABLE c (z); CREATE TABLE a (x);'] }));
    expect(bad.reason).toMatch(/^it cannot be opened: SQLITE_ERROR: table a already exists/);
    // The failed migration rolled back whole: no table c, still version 1.
    const db = openSqliteDatabase(path, { ...base, migrations: [V1] });
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).toEqual(['a']);
    db.close();
  });
});
