/** `wasi:random/*`, preview2-shim's own. */
import type { ImportBuilder } from '../capability.js';
import { nodeShim } from '../preview2-shim.js';

export const imports: ImportBuilder = () => ({
  'wasi:random/random': nodeShim.random.random,
  'wasi:random/insecure': nodeShim.random.insecure,
  'wasi:random/insecure-seed': nodeShim.random.insecureSeed,
});
