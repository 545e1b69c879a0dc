/** The guest's `wasi:cli/environment`, built inside its worker. */
import type { ImportBuilder } from '../capability.js';
import { nodeShim } from '../preview2-shim.js';
import type { EnvironmentGrant } from './capability.js';

export const imports: ImportBuilder<EnvironmentGrant> = (grants) => {
  const env = grants.wasi.env.map(([k, v]) => [k, v] as [string, string]);
  const args = [...grants.wasi.args];
  // Also reset the shim's own module-global defaults, which hold the host's env, argv and cwd.
  nodeShim.cli._setEnv({});
  nodeShim.cli._setArgs([]);
  return {
    'wasi:cli/environment': {
      getEnvironment: () => env.map(([k, v]) => [k, v]),
      getArguments: () => [...args],
      initialCwd: () => grants.wasi.cwd,
    },
  };
};
