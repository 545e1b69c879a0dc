/** `wasi:clocks/*`, preview2-shim's own. */
import type { ImportBuilder } from '../capability.js';
import { nodeShim } from '../preview2-shim.js';

export const imports: ImportBuilder = () => ({
  'wasi:clocks/monotonic-clock': nodeShim.clocks.monotonicClock,
  'wasi:clocks/wall-clock': nodeShim.clocks.wallClock,
});
