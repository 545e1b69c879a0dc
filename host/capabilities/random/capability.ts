/** `wasi:random/*`: secure and insecure randomness, preview2-shim's own. Always available. */
import type { Capability } from '../capability.js';

export const randomCapability: Capability = {
  name: 'random',
  interfaces: ['wasi:random/*'],
  withoutGrant: 'available',
  grantFlag: null,
  grantManifest: null,
  loadImports: async () => (await import('./imports.js')).imports,
};
