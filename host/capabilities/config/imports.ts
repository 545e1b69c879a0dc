/** `liquid-nano:plugin/config`: the instance's config values. */
import type { ImportBuilder } from '../capability.js';
import type { ConfigGrant } from './capability.js';

export const imports: ImportBuilder<ConfigGrant> = (grants) => {
  const config = new Map(grants.plugin.config.map(([k, v]) => [k, v]));
  return {
    'liquid-nano:plugin/config': {
      get: (key: string): string | undefined => config.get(key),
      getAll: (): Array<[string, string]> => [...config].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    },
  };
};
