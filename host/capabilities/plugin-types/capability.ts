/** `liquid-nano:plugin/types`: the types the plugin world shares (no functions). Always available. */
import type { Capability } from '../capability.js';

export const pluginTypesCapability: Capability = {
  name: 'plugin types',
  interfaces: ['liquid-nano:plugin/types'],
  withoutGrant: 'available',
  grantFlag: null,
  grantManifest: null,
  loadImports: async () => (await import('./imports.js')).imports,
};
