/**
 * `wasi:http/outgoing-handler` for one instance, built from its HTTP grant. PLACEHOLDER: every
 * request is refused (the allow-list implementation replaces this file).
 */
import type { HostBridge } from '../sandbox/protocol.js';
import type { HttpGrant } from './grants.js';

/** The `wasi:http/outgoing-handler` import. */
export function outgoingHandler(grant: HttpGrant | null, bridge: HostBridge): { handle: (...args: unknown[]) => unknown } {
  void grant;
  return {
    handle(): never {
      bridge.hostCall('http');
      // A WASI error value, not an exception of the host: the guest sees HTTP-request-denied.
      throw { tag: 'HTTP-request-denied' };
    },
  };
}
