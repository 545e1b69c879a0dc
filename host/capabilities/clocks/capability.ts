/** `wasi:clocks/*`: the wall and monotonic clocks, preview2-shim's own. Always available. */
import type { Capability } from '../capability.js';
import { nodeShim } from '../preview2-shim.js';

export const clocksCapability: Capability = {
  name: 'clocks',
  interfaces: ['wasi:clocks/*'],
  withoutGrant: 'available',
  grantFlag: null,
  grantManifest: null,
  imports: () => ({
    'wasi:clocks/monotonic-clock': nodeShim.clocks.monotonicClock,
    'wasi:clocks/wall-clock': nodeShim.clocks.wallClock,
  }),
};
