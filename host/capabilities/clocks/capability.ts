/** `wasi:clocks/*`: the wall and monotonic clocks, preview2-shim's own. Always available. */
import type { Capability } from '../capability.js';

export const clocksCapability: Capability = {
  name: 'clocks',
  interfaces: ['wasi:clocks/*'],
  withoutGrant: 'available',
  grantFlag: null,
  grantManifest: null,
  loadImports: async () => (await import('./imports.js')).imports,
};
