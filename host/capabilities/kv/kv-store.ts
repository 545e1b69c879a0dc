/**
 * `liquid-nano:plugin/kv` for one instance, built from its kv grant. Runs inside the instance's
 * worker, which opens its own connection to the store's SQLite file on first use
 * (`kv-database.ts`).
 *
 * Errors reach the guest as WIT `error` values (thrown, as jco expects from a `result` import):
 * - `denied`: no kv grant;
 * - `too-large`: a key over `maxKeyBytes` (UTF-8) or a value over `maxValueBytes`;
 * - `quota-exceeded`: a new key past `maxKeys`, or a write that would take the namespace past
 *   `maxTotalBytes` (keys + values); checked in the write's own transaction;
 * - `internal`: the database failed (cannot be opened, busy past its timeout, disk full, ...).
 *
 * `list-keys` returns keys in UTF-8 byte order, at most `min(limit, maxKeys)` of them; a prefix
 * longer than `maxKeyBytes` matches nothing. Every operation counts as a `kv` host call.
 */
import type { HostBridge } from '../../sandbox/protocol.js';
import type { KvGrant } from './capability.js';
import { KvDatabase, type KvError } from './kv-database.js';

/** The kv error a plugin sees when no store is granted to it. */
const KV_DENIED: KvError = Object.freeze({ tag: 'denied' });

/** One connection per database file per worker (a worker runs one instance). */
const connections = new Map<string, KvDatabase>();

function connection(path: string): KvDatabase {
  let db = connections.get(path);
  if (!db) {
    // A failure is thrown (as `internal`) and not remembered: the next call tries again.
    db = KvDatabase.open(path);
    connections.set(path, db);
  }
  return db;
}

function tooLarge(what: 'key' | 'value', size: number, limit: number): KvError {
  return { tag: 'too-large', val: `the ${what} is ${size} bytes; the limit is ${limit}` };
}

function toBuffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** The `liquid-nano:plugin/kv` import functions. */
export interface KvImports {
  get(key: string): Uint8Array | undefined;
  set(key: string, value: Uint8Array): void;
  delete(key: string): boolean;
  listKeys(prefix: string, limit: number): string[];
}

/**
 * The `liquid-nano:plugin/kv` import.
 *
 * @param grant - the instance's kv grant; null fails every operation with `denied`
 * @param bridge - counts each operation as a `kv` host call of the running guest call
 */
export function kvImports(grant: KvGrant | null, bridge: HostBridge): KvImports {
  if (grant === null) {
    const denied = (): never => {
      bridge.hostCall('kv');
      throw KV_DENIED;
    };
    return { get: denied, set: denied, delete: denied, listKeys: denied };
  }
  const { namespace } = grant;
  const keyBytes = (key: string): Buffer => {
    const bytes = Buffer.from(key, 'utf8');
    if (bytes.length > grant.maxKeyBytes) throw tooLarge('key', bytes.length, grant.maxKeyBytes);
    return bytes;
  };
  return {
    get(key) {
      bridge.hostCall('kv');
      return connection(grant.path).get(namespace, keyBytes(key));
    },
    set(key, value) {
      bridge.hostCall('kv');
      const k = keyBytes(key);
      if (value.byteLength > grant.maxValueBytes) throw tooLarge('value', value.byteLength, grant.maxValueBytes);
      connection(grant.path).set(namespace, k, toBuffer(value), grant);
    },
    delete(key) {
      bridge.hostCall('kv');
      return connection(grant.path).delete(namespace, keyBytes(key));
    },
    listKeys(prefix, limit) {
      bridge.hostCall('kv');
      const p = Buffer.from(prefix, 'utf8');
      if (p.length > grant.maxKeyBytes) return [];
      const keys = connection(grant.path).listKeys(namespace, p, Math.min(limit, grant.maxKeys));
      return keys.map((k) => k.toString('utf8'));
    },
  };
}
