/**
 * `wasi:io/*`: streams, pollables and errors, preview2-shim's own (jco's bindings check
 * `instanceof` against them). Always available; a stream exists only for a granted resource.
 */
import type { Capability } from '../capability.js';

export const ioCapability: Capability = {
  name: 'io',
  interfaces: ['wasi:io/*'],
  withoutGrant: 'available (streams of granted resources)',
  grantFlag: null,
  grantManifest: null,
  loadImports: async () => (await import('./imports.js')).imports,
};
