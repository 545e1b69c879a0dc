/**
 * `liquid-nano:plugin/events`: a guest emits events; the event runtime routes them after the
 * call returns. Always available, within the call's `emit` limit (fan-out and depth guards).
 */
import type { Capability } from '../capability.js';

export const eventsCapability: Capability = {
  name: 'events',
  interfaces: ['liquid-nano:plugin/events'],
  withoutGrant: 'available',
  grantFlag: null,
  grantManifest: null,
  loadImports: async () => (await import('./imports.js')).imports,
};
