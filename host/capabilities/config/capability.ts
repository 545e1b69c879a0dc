/**
 * `liquid-nano:plugin/config`: the manifest's top-level `config` values (and `lnano run
 * --plugin-config K=V`), read-only. Always available; without values, every key is absent.
 */
import { type Capability, type Pair, sortedPairs } from '../capability.js';

/** The guest's config values. */
export interface ConfigGrant {
  readonly plugin: {
    /** The manifest's `config` values, sorted by key. */
    readonly config: readonly Pair[];
  };
}

export const configCapability: Capability<object, ConfigGrant> = {
  name: 'config',
  interfaces: ['liquid-nano:plugin/config'],
  withoutGrant: 'available, no values',
  grantFlag: '--plugin-config K=V',
  grantManifest: 'top-level "config": { "K": "V" }',
  flags: [
    // Read by `configFromFlags` (host/cli/grant-flags.ts): the values go to `GrantSource.config`.
    {
      name: 'plugin-config',
      multiple: true,
      usage: '--plugin-config K=V',
      helpRank: 4,
      help: ['a config value the plugin reads through liquid-nano:plugin/config'],
    },
  ],
  closed: () => ({ plugin: { config: [] } }),
  resolve: (_section, source) => ({ plugin: { config: sortedPairs(source.config) } }),
  loadImports: async () => (await import('./imports.js')).imports,
};
