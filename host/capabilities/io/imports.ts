/** `wasi:io/*`, preview2-shim's own. */
import type { ImportBuilder } from '../capability.js';
import { nodeShim } from '../preview2-shim.js';

export const imports: ImportBuilder = () => ({
  'wasi:io/error': nodeShim.io.error,
  'wasi:io/poll': nodeShim.io.poll,
  'wasi:io/streams': nodeShim.io.streams,
});
