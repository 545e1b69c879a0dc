/**
 * The linker module an instance's worker loads (see `linker-spec.ts`): turns the instance's grants
 * into the import object jco's bindings are instantiated with, each registered capability
 * (`registry.ts`) building the imports of its interfaces.
 */
import type { HostBridge } from '../sandbox/protocol.js';
import type { ImportBuilder } from './capability.js';
import type { InstanceGrants } from './grants.js';
import { REGISTERED } from './registry.js';

/**
 * Every capability's import builder, loaded with this module (the worker awaits its import before
 * calling `link`), so `link` stays synchronous and the host side never loads them.
 */
const BUILDERS: readonly ImportBuilder[] = await Promise.all(REGISTERED.flatMap((c) => (c.loadImports ? [c.loadImports()] : [])));

/** Builds an instance's imports from its grants. */
export function link(config: unknown, bridge: HostBridge): Record<string, unknown> {
  const grants = config as InstanceGrants;
  const imports: Record<string, unknown> = {};
  for (const build of BUILDERS) Object.assign(imports, build(grants, bridge));
  return imports;
}
