/**
 * The linker module an instance's worker loads (see `linker-spec.ts`): turns the instance's grants
 * into the import object jco's bindings are instantiated with, each registered capability
 * (`registry.ts`) building the imports of its interfaces.
 */
import type { HostBridge } from '../sandbox/protocol.js';
import type { InstanceGrants } from './grants.js';
import { REGISTERED } from './registry.js';

/** Builds an instance's imports from its grants. */
export function link(config: unknown, bridge: HostBridge): Record<string, unknown> {
  const grants = config as InstanceGrants;
  const imports: Record<string, unknown> = {};
  for (const capability of REGISTERED) {
    if (capability.imports) Object.assign(imports, capability.imports(grants, bridge));
  }
  return imports;
}
