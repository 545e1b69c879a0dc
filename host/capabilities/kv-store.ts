/**
 * `liquid-nano:plugin/kv` for one instance, built from its kv grant. PLACEHOLDER: every operation
 * fails with `error.denied` (the SQLite-backed store replaces this file).
 */
import type { HostBridge } from '../sandbox/protocol.js';
import type { KvGrant } from './grants.js';

/** The kv error a plugin sees when no store is granted to it. */
const KV_DENIED = { tag: 'denied' } as const;

/** The `liquid-nano:plugin/kv` import. */
export function kvImports(grant: KvGrant | null, bridge: HostBridge): Record<string, (...args: never[]) => unknown> {
  void grant;
  const denied = (): never => {
    bridge.hostCall('kv');
    throw KV_DENIED;
  };
  return { get: denied, set: denied, delete: denied, listKeys: denied };
}
