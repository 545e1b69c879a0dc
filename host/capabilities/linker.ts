/**
 * The linker module an instance's worker loads (see `linker-spec.ts`): turns the instance's grants
 * into the import object jco's bindings are instantiated with.
 */
import type { HostBridge } from '../sandbox/protocol.js';
import type { InstanceGrants } from './grants.js';
import { pluginImports } from './plugin-imports.js';
import { wasiImports } from './wasi-imports.js';

/** Builds an instance's imports from its grants. */
export function link(config: unknown, bridge: HostBridge): Record<string, unknown> {
  const grants = config as InstanceGrants;
  return { ...wasiImports(grants.wasi, bridge), ...pluginImports(grants.plugin, bridge) };
}
