/**
 * `wasi:sockets/*`: closed, with nothing to grant. Connect, bind and send fail with
 * `access-denied`, name lookups with `permanent-resolver-failure`; sockets can still be created
 * (the shim's own), at most `MAX_LIVE_SOCKETS` alive at once.
 */
import type { Capability } from '../capability.js';

export const socketsCapability: Capability = {
  name: 'sockets',
  interfaces: ['wasi:sockets/*'],
  withoutGrant: 'connect, bind and send fail with access-denied, name lookups with permanent-resolver-failure; at most 256 live sockets',
  grantFlag: null,
  grantManifest: null,
  loadImports: async () => (await import('./imports.js')).imports,
};
