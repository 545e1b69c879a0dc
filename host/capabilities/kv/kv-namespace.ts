/** What a kv namespace may be called, which one a grant names, and where every namespace lives. */

/** What a kv namespace may be called. */
export const KV_NAMESPACE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The file the key-value store of every component lives in, inside the data dir. */
export const KV_DATABASE_FILE = 'kv.sqlite3';

/** The kv namespace a `kv` grant of `component` names: its own, or by default the component's name. */
export function kvNamespaceOf(kv: { readonly namespace?: string | undefined }, component: string): string {
  return kv.namespace ?? component.toLowerCase();
}
