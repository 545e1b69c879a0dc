/**
 * Who a kv namespace belongs to. A namespace belongs to the component that first claimed it;
 * sharing it is the operator policy's call (`policy.kv.shared`).
 *
 * The owner is recorded in the kv database itself (`kv_owners` in `kv.sqlite3` in the data dir,
 * next to the data it guards), committed before the claim returns, so it survives a crash or a
 * restart of the host. A namespace is claimed, under the component's name:
 * - by a deploy, when the registry binds the version (a refused deploy claims nothing; one that
 *   fails later, at prepare, warm or probe, keeps its claim: its `init` may have written already);
 * - by a retained version starting again (restart, rollback): a no-op for the owner;
 * - by `lnano run`, whose identity is the component's name (the manifest's `name`, else the file
 *   name without `.wasm`), the same name its default namespace comes from.
 *
 * Any other component naming the namespace is refused with `LN_ERR_CAP_KV_NAMESPACE_OWNED`,
 * unless `policy.kv.shared` lists it under the namespace. The owner may always use it.
 */
import { join } from 'node:path';
import { LnError } from '../../errors/ln-error.js';
import type { PolicyBase } from '../capability.js';
import type { KvBound, KvGrant, KvSection } from './capability.js';
import { internalError, KvDatabase } from './kv-database.js';
import { KV_DATABASE_FILE, kvNamespaceOf } from './kv-namespace.js';

/** What of the operator policy ownership checks read. */
type OperatorPolicy = Pick<KvBound, 'kvShared'> & PolicyBase;

/** Who owns a namespace, and whether the component asking may use it. */
export interface KvNamespaceOwner {
  readonly namespace: string;
  /** The component it belongs to; null while nobody claimed it. */
  readonly owner: string | null;
  /** The component asking. */
  readonly component: string;
}

function withDatabase<T>(grant: Pick<KvGrant, 'path' | 'namespace'>, fn: (db: KvDatabase) => T): T {
  let db: KvDatabase | undefined;
  try {
    db = KvDatabase.open(grant.path);
    return fn(db);
  } catch (err) {
    const error = internalError(err);
    throw new LnError('LN_ERR_CAP_KV_DATABASE', { path: grant.path, namespace: grant.namespace, reason: 'val' in error ? error.val : error.tag });
  } finally {
    db?.close();
  }
}

/** Whether `component` may use a namespace owned by `owner` (null: unclaimed). */
function mayUse(policy: OperatorPolicy, namespace: string, owner: string | null, component: string): boolean {
  return owner === null || owner === component || (policy.kvShared.get(namespace) ?? []).includes(component);
}

function refuse(policy: OperatorPolicy, o: KvNamespaceOwner & { owner: string }): LnError {
  return new LnError('LN_ERR_CAP_KV_NAMESPACE_OWNED', { namespace: o.namespace, owner: o.owner, component: o.component, policy: policy.source });
}

/**
 * Checks that `component` may use the grant's namespace, without claiming it.
 *
 * @throws LnError `LN_ERR_CAP_KV_NAMESPACE_OWNED` (another component's, not shared with it),
 *   `LN_ERR_CAP_KV_DATABASE` (the database cannot be opened or read)
 */
export function checkKvNamespace(grant: KvGrant, component: string, policy: OperatorPolicy): KvNamespaceOwner {
  const owner = withDatabase(grant, (db) => db.owner(grant.namespace));
  const found = { namespace: grant.namespace, owner, component };
  if (owner !== null && !mayUse(policy, grant.namespace, owner, component)) throw refuse(policy, { ...found, owner });
  return found;
}

/**
 * Claims the grant's namespace for `component` unless it has an owner, then checks that
 * `component` may use it (another deploy may have claimed it since the check).
 *
 * @throws LnError `LN_ERR_CAP_KV_NAMESPACE_OWNED`, `LN_ERR_CAP_KV_DATABASE`
 */
export function claimKvNamespace(grant: KvGrant, component: string, policy: OperatorPolicy): KvNamespaceOwner {
  const owner = withDatabase(grant, (db) => db.claim(grant.namespace, component));
  if (!mayUse(policy, grant.namespace, owner, component)) throw refuse(policy, { namespace: grant.namespace, owner, component });
  return { namespace: grant.namespace, owner, component };
}

/**
 * Who owns the kv namespace a capabilities section names for `component`, without checking or
 * claiming anything (a preview of the capability diff).
 *
 * @returns undefined when the section grants no kv
 * @throws LnError `LN_ERR_CAP_KV_DATABASE`
 */
export function kvNamespaceOwner(section: KvSection, component: string, dataDir: string): KvNamespaceOwner | undefined {
  if (!section.kv) return undefined;
  const namespace = kvNamespaceOf(section.kv, component);
  const owner = withDatabase({ path: join(dataDir, KV_DATABASE_FILE), namespace }, (db) => db.owner(namespace));
  return { namespace, owner, component };
}

/** Whose the namespace is, for the capability diff: `telemetry's own`, `owned by telemetry, shared by the operator policy`. */
export function describeKvOwner(o: KvNamespaceOwner): string {
  if (o.owner === null) return `unclaimed, becomes ${o.component}'s`;
  if (o.owner === o.component) return `${o.owner}'s own`;
  return `owned by ${o.owner}, shared by the operator policy`;
}
