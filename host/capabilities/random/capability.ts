/** `wasi:random/*`: secure and insecure randomness, preview2-shim's own. Always available. */
import type { Capability } from '../capability.js';
import { nodeShim } from '../preview2-shim.js';

export const randomCapability: Capability = {
  name: 'random',
  interfaces: ['wasi:random/*'],
  withoutGrant: 'available',
  grantFlag: null,
  grantManifest: null,
  imports: () => ({
    'wasi:random/random': nodeShim.random.random,
    'wasi:random/insecure': nodeShim.random.insecure,
    'wasi:random/insecure-seed': nodeShim.random.insecureSeed,
  }),
};
