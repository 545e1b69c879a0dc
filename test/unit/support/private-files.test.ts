/**
 * Issue 14 item 12: data at rest is private. The kv store (a real SQLite database through
 * KvDatabase) and any database opened through `openSqliteDatabase` get a 0700 folder and 0600
 * files, `-wal` and `-shm` included; files an older host left world-readable are tightened.
 */
import { chmodSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KvDatabase } from '../../../host/capabilities/kv/kv-database.js';
import { ensurePrivateDir } from '../../../host/support/private-files.js';
import { openSqliteDatabase } from '../../../host/support/sqlite-database.js';

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

describe('private files', () => {
  it('creates the kv database private, -wal and -shm included', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'lnano-private-')), 'data'); // does not exist yet
    const file = join(dataDir, 'kv.sqlite3');
    const db = KvDatabase.open(file);
    try {
      db.set('ns', Buffer.from('k'), Buffer.from('v'), { maxKeys: 10, maxKeyBytes: 100, maxValueBytes: 100, maxTotalBytes: 1000 });
      expect(mode(dataDir)).toBe('700');
      const files = readdirSync(dataDir);
      expect(files).toEqual(expect.arrayContaining(['kv.sqlite3', 'kv.sqlite3-wal', 'kv.sqlite3-shm']));
      for (const f of files) expect(mode(join(dataDir, f)), f).toBe('600');
    } finally {
      db.close();
    }
  });

  it('tightens an existing world-readable data dir and database', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lnano-private-'));
    chmodSync(dataDir, 0o755);
    const file = join(dataDir, 'old.sqlite3');
    writeFileSync(file, '', { mode: 0o644 });
    chmodSync(file, 0o644);
    openSqliteDatabase(file, { busyTimeoutMs: 100, synchronous: 'NORMAL', foreignKeys: false, migrations: [], failure: (reason) => new Error(reason) }).close();
    expect(mode(dataDir)).toBe('700');
    expect(mode(file)).toBe('600');
    const nested = join(dataDir, 'a', 'b');
    ensurePrivateDir(nested);
    expect(mode(join(dataDir, 'a'))).toBe('700');
    expect(mode(nested)).toBe('700');
  });
});
