import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { KvDatabase, type KvError, type KvQuota } from '../../../host/capabilities/kv/kv-database.js';

const QUOTA: KvQuota = { maxKeys: 4, maxKeyBytes: 64, maxValueBytes: 1024, maxTotalBytes: 100 };
const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const opened: KvDatabase[] = [];
function open(path = join(mkdtempSync(join(tmpdir(), 'lnano-kvdb-')), 'kv.sqlite')): KvDatabase {
  const db = KvDatabase.open(path);
  opened.push(db);
  return db;
}
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

/** The KvError `fn` throws, or 'ok'. */
function errorOf(fn: () => unknown): KvError | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e as KvError;
  }
}

describe('KvDatabase', () => {
  it('creates the file and its parent folders, and reads back what it wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnano-kvdb-'));
    const db = open(join(dir, 'a', 'b', 'kv.sqlite'));
    expect(db.get('ns', b('k'))).toBeUndefined();
    db.set('ns', b('k'), Buffer.from([0, 1, 255]), QUOTA);
    expect([...db.get('ns', b('k'))!]).toEqual([0, 1, 255]);
    const raw = new Database(join(dir, 'a', 'b', 'kv.sqlite'), { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('keeps usage exact through inserts, replacements and deletes', () => {
    const db = open();
    db.set('ns', b('ab'), b('1234'), QUOTA);
    db.set('ns', b('cd'), b('12'), QUOTA);
    expect(db.usage('ns')).toEqual({ keys: 2, bytes: 10 });
    db.set('ns', b('ab'), b('1'), QUOTA);
    expect(db.usage('ns')).toEqual({ keys: 2, bytes: 7 });
    expect(db.delete('ns', b('ab'))).toBe(true);
    expect(db.delete('ns', b('ab'))).toBe(false);
    expect(db.usage('ns')).toEqual({ keys: 1, bytes: 4 });
    expect(db.usage('other')).toEqual({ keys: 0, bytes: 0 });
  });

  it('refuses a new key past maxKeys but lets existing keys be replaced', () => {
    const db = open();
    for (let i = 0; i < 4; i++) db.set('ns', b(`k${i}`), b('v'), QUOTA);
    expect(errorOf(() => db.set('ns', b('k4'), b('v'), QUOTA))).toMatchObject({ tag: 'quota-exceeded' });
    expect(errorOf(() => db.set('ns', b('k0'), b('vv'), QUOTA))).toBe('ok');
    expect(db.usage('ns').keys).toBe(4);
    expect(db.get('ns', b('k4'))).toBeUndefined();
  });

  it('counts keys and values against maxTotalBytes, up to the byte', () => {
    const db = open();
    db.set('ns', b('a'), Buffer.alloc(49), QUOTA); // 50 bytes
    db.set('ns', b('b'), Buffer.alloc(49), QUOTA); // 100 bytes: exactly the quota
    expect(db.usage('ns').bytes).toBe(100);
    const err = errorOf(() => db.set('ns', b('c'), Buffer.alloc(0), QUOTA));
    expect(err).toMatchObject({ tag: 'quota-exceeded' });
    expect((err as { val: string }).val).toContain('101 bytes');
    expect(errorOf(() => db.set('ns', b('a'), Buffer.alloc(50), QUOTA))).toMatchObject({ tag: 'quota-exceeded' });
    expect(db.usage('ns').bytes).toBe(100);
  });

  it('lets an entry shrink when a lowered quota is already passed', () => {
    const db = open();
    db.set('ns', b('a'), Buffer.alloc(90), QUOTA);
    const lowered = { ...QUOTA, maxTotalBytes: 10, maxKeys: 0 };
    expect(errorOf(() => db.set('ns', b('a'), Buffer.alloc(50), lowered))).toBe('ok');
    expect(errorOf(() => db.set('ns', b('a'), Buffer.alloc(60), lowered))).toMatchObject({ tag: 'quota-exceeded' });
    expect(errorOf(() => db.set('ns', b('b'), Buffer.alloc(0), lowered))).toMatchObject({ tag: 'quota-exceeded' });
  });

  it('keeps namespaces apart', () => {
    const db = open();
    db.set('a', b('k'), b('from a'), QUOTA);
    db.set('b', b('k'), b('from b'), QUOTA);
    expect(Buffer.from(db.get('a', b('k'))!).toString()).toBe('from a');
    expect(db.listKeys('b', b(''), 10).map(String)).toEqual(['k']);
    expect(db.delete('a', b('k'))).toBe(true);
    expect(Buffer.from(db.get('b', b('k'))!).toString()).toBe('from b');
    // Quotas are per namespace: a full namespace does not stop another.
    for (let i = 0; i < 4; i++) db.set('full', b(`k${i}`), b(''), QUOTA);
    expect(errorOf(() => db.set('empty', b('k'), b(''), QUOTA))).toBe('ok');
  });

  it('lists by prefix in byte order, bounded, with prefixes that look like patterns', () => {
    const db = open();
    const keys = ['a', 'a%', 'a_b', 'ab', 'ab\u00ff', 'ab\u{1F600}', 'abc', 'ac', 'b', '', 'A'];
    for (const k of keys) db.set('ns', b(k), b(''), { ...QUOTA, maxKeys: 100 });
    const list = (prefix: string, limit = 100): string[] => db.listKeys('ns', b(prefix), limit).map((k) => k.toString('utf8'));
    expect(list('')).toEqual([...keys].sort((x, y) => Buffer.compare(b(x), b(y))));
    expect(list('ab')).toEqual(['ab', 'abc', 'ab\u00ff', 'ab\u{1F600}']);
    expect(list('a%')).toEqual(['a%']);
    expect(list('a_')).toEqual(['a_b']);
    expect(list('ab', 2)).toEqual(['ab', 'abc']);
    expect(list('ab', 0)).toEqual([]);
    expect(list('zz')).toEqual([]);
  });

  it('persists across connections', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lnano-kvdb-')), 'kv.sqlite');
    const first = KvDatabase.open(path);
    first.set('ns', b('k'), b('v'), QUOTA);
    first.close();
    const second = open(path);
    expect(Buffer.from(second.get('ns', b('k'))!).toString()).toBe('v');
    expect(second.usage('ns')).toEqual({ keys: 1, bytes: 2 });
  });

  it('fails with internal, never an exception, when the file cannot be a database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnano-kvdb-'));
    writeFileSync(join(dir, 'junk.sqlite'), 'this is not a database, just some text that is long enough '.repeat(20));
    expect(errorOf(() => KvDatabase.open(join(dir, 'junk.sqlite')))).toMatchObject({ tag: 'internal' });
    mkdirSync(join(dir, 'dir.sqlite'));
    expect(errorOf(() => KvDatabase.open(join(dir, 'dir.sqlite')))).toMatchObject({ tag: 'internal' });
    writeFileSync(join(dir, 'file'), '');
    expect(errorOf(() => KvDatabase.open(join(dir, 'file', 'kv.sqlite')))).toMatchObject({ tag: 'internal' });
  });

  it.skipIf(process.getuid?.() === 0)('fails with internal in a read-only folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnano-kvdb-'));
    chmodSync(dir, 0o500);
    expect(errorOf(() => KvDatabase.open(join(dir, 'kv.sqlite')))).toMatchObject({ tag: 'internal' });
  });

  it('refuses a store written by a newer schema', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lnano-kvdb-')), 'kv.sqlite');
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    const err = errorOf(() => KvDatabase.open(path));
    expect(err).toMatchObject({ tag: 'internal' });
    expect((err as { val: string }).val).toContain('schema 99');
  });

  it('records the first claim of a namespace as its owner, and the claim survives a reopen', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lnano-kvdb-')), 'kv.sqlite');
    const db = open(path);
    expect(db.owner('ns')).toBeNull();
    expect(db.claim('ns', 'alpha')).toBe('alpha');
    expect(db.claim('ns', 'beta')).toBe('alpha');
    expect(db.claim('other', 'beta')).toBe('beta');
    db.close();
    opened.splice(opened.indexOf(db), 1);
    expect(open(path).owner('ns')).toBe('alpha');
  });

  it('upgrades a store of schema 1 (no owners) with its data intact', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lnano-kvdb-')), 'kv.sqlite');
    const raw = new Database(path);
    raw.exec(`CREATE TABLE kv_entries (namespace TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, PRIMARY KEY (namespace, key)) WITHOUT ROWID;
      CREATE TABLE kv_usage (namespace TEXT PRIMARY KEY, keys INTEGER NOT NULL, bytes INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO kv_entries VALUES ('ns', CAST('k' AS BLOB), CAST('v' AS BLOB)); INSERT INTO kv_usage VALUES ('ns', 1, 2);`);
    raw.pragma('user_version = 1');
    raw.close();
    const db = open(path);
    expect(Buffer.from(db.get('ns', b('k'))!).toString()).toBe('v');
    expect(db.owner('ns')).toBeNull();
    expect(db.claim('ns', 'alpha')).toBe('alpha');
  });

  it("a write waiting for another connection's lock fails with internal after the busy timeout", () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lnano-kvdb-')), 'kv.sqlite');
    const waiter = KvDatabase.open(path, { busyTimeoutMs: 50 });
    opened.push(waiter);
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const err = errorOf(() => waiter.set('ns', b('k'), b('v'), QUOTA));
      expect(err).toMatchObject({ tag: 'internal' });
      expect((err as { val: string }).val).toMatch(/SQLITE_BUSY/);
      // Readers are not blocked by the writer (WAL).
      expect(waiter.get('ns', b('k'))).toBeUndefined();
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });
});
