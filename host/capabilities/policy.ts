/**
 * The operator policy: what any manifest or flag may be granted on this host. It lives in the
 * host config (`"policy": { ... }`); without one, grants are bounded only by their own schema.
 * Each registered capability owns its key (`fs`, `http`, `env`, `kv`; see `registry.ts`); `deny`
 * and `limits` are the policy's own. Asking beyond the policy is refused with `LN_ERR_CAP_POLICY`,
 * naming the capability, what was asked and the policy line (`policy.http.allow in /etc/lnano.json`).
 *
 * @example
 * { "fs": { "roots": ["/srv/plugin-data"], "write": false },
 *   "http": { "allow": ["*.example.com"], "allowPrivateNetworks": false },
 *   "env": { "allow": ["LEVEL", "TZ", "APP_*"] },
 *   "kv": { "maxTotal": "256MiB", "maxKeys": 100000, "shared": { "readings": ["ingest", "report"] } },
 *   "deny": ["sockets"] }
 */
import type { z } from 'zod';
import { LnError } from '../errors/ln-error.js';
import { describeIssues, lazySchema } from '../support/schema.js';
import type { PolicyBase, PolicyContext } from './capability.js';
import { schemaKit } from './capability-manifest.js';
import { REGISTERED, type RegisteredBound } from './registry.js';

export { beyondPolicy } from './capability.js';
export { envAllowed } from './environment/capability.js';
export { insideFsRoots } from './filesystem/capability.js';
export { httpAllowed } from './http/capability.js';

/**
 * The zod schema of the `policy` section. `limits` is checked by the resource manager. Built on
 * first use (see `lazySchema`).
 */
export const policySchema = lazySchema(() => {
  const kit = schemaKit();
  const { z: zod } = kit;
  const keys: Record<string, z.ZodType> = {};
  for (const c of REGISTERED) if (c.policy) keys[c.policy.key] = c.policy.schema(kit).optional().describe(`What any ${c.name} grant may be`);
  return zod.strictObject({
    ...keys,
    deny: zod.array(zod.string().min(1)).max(64).optional().describe('Capabilities no component may even import, e.g. ["sockets"]'),
    limits: zod.record(zod.string(), zod.unknown()).optional().describe("Maxima of every manifest's limits (the limits section's keys)"),
  });
});

/** A loaded operator policy, resolved (paths real, sizes in bytes): each capability's bound, plus: */
export type OperatorPolicy = PolicyBase &
  RegisteredBound & {
    /** Capability names (see `CAPABILITIES`) no component may even import. */
    readonly deny: readonly string[];
    /** The raw `limits` section, for the resource manager. */
    readonly limits: Record<string, unknown> | undefined;
  };

/** No policy configured: everything the grant schemas accept. */
export const OPEN_POLICY: OperatorPolicy = Object.freeze(
  Object.assign({ source: 'built-in defaults', deny: [], limits: undefined }, ...REGISTERED.map((c) => c.policy?.open ?? {})) as OperatorPolicy,
);

/**
 * Validates and resolves a `policy` section.
 *
 * @param source - the config file's name; relative fs roots resolve against `baseDir`
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the key and the file
 */
export function parsePolicy(value: unknown, source: string, baseDir: string): OperatorPolicy {
  const parsed = policySchema.safeParse(value ?? {});
  const invalid = (key: string, reason: string): LnError => new LnError('LN_ERR_CONFIG_INVALID', { key, source, reason });
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw invalid(['policy', ...first.path.map(String)].join('.'), describeIssues(parsed.error, 'policy'));
  }
  const p = parsed.data as Record<string, unknown> & { deny?: string[]; limits?: Record<string, unknown> };
  const known = new Set(REGISTERED.map((c) => c.name));
  for (const name of p.deny ?? []) {
    if (!known.has(name)) throw invalid('policy.deny', `unknown capability "${name}" (known: ${[...known].join(', ')})`);
  }
  const ctx: PolicyContext = { source, baseDir, invalid };
  const bounds = REGISTERED.map((c) => (c.policy ? c.policy.bound(p[c.policy.key], ctx) : {}));
  return Object.assign({ source }, ...bounds, { deny: p.deny ?? [], limits: p.limits }) as OperatorPolicy;
}
