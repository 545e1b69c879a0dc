/**
 * Turns a `capabilities` section (from a manifest, CLI flags or both) into the resolved grants of
 * an instance: each registered capability resolves its part (see `registry.ts`), checking it
 * against the operator policy.
 */

import type { GrantSource } from './capability.js';
import type { CapabilitySection } from './capability-manifest.js';
import { composeGrants, type InstanceGrants } from './grants.js';
import type { OperatorPolicy } from './policy.js';
import { REGISTERED } from './registry.js';

export { KV_DATABASE_FILE, kvNamespaceOf } from './kv/kv-namespace.js';

/** Everything besides the section that resolving grants needs. */
export interface GrantContext extends GrantSource {
  readonly policy: OperatorPolicy;
}

/**
 * Resolves a section into an instance's grants.
 *
 * @throws LnError `LN_ERR_CAP_POLICY` for a grant beyond the operator policy,
 *   `LN_ERR_MANIFEST_INVALID` / `LN_ERR_CONFIG_INVALID` for one that cannot be resolved
 */
export function resolveGrants(section: CapabilitySection, ctx: GrantContext): InstanceGrants {
  return composeGrants(
    ctx.name,
    REGISTERED.flatMap((c) => {
      if (c.resolve) return [c.resolve(section, ctx, ctx.policy)];
      return c.closed ? [c.closed(ctx.name)] : [];
    }),
  );
}
