/**
 * `wasi:cli/exit`: a guest's exit ends only its call, reported as the call's result
 * (`sandbox/guest-exit.ts`), never `process.exit`. Nothing to grant.
 */
import type { Capability } from '../capability.js';

export const exitCapability: Capability = {
  name: 'exit',
  interfaces: ['wasi:cli/exit'],
  withoutGrant: 'exit ends only the guest call, reported as its result',
  grantFlag: null,
  grantManifest: null,
  loadImports: async () => (await import('./imports.js')).imports,
};
