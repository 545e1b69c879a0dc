/**
 * What a candidate version would be granted beyond (or short of) the active one. A deploy must
 * have every addition approved (`--approve-capabilities`); removals and unchanged grants need
 * nothing. A raised quota or timeout counts as an addition, a lowered one as a removal. Given
 * who owns the candidate's kv namespace, the namespace's line says whose it is. What each grant
 * reads as is its capability's `diff` (see `registry.ts`).
 */
import type { CapabilitySection } from './capability-manifest.js';
import type { KvNamespaceOwner } from './kv/kv-ownership.js';
import { REGISTERED } from './registry.js';

/** One grant, for people: `outgoing HTTP: api.example.com:443`. */
export interface CapabilityChange {
  readonly capability: string;
  readonly grant: string;
}

export interface CapabilityDiff {
  readonly added: CapabilityChange[];
  readonly removed: CapabilityChange[];
  /** Same grant, other value (an environment variable's value); needs no approval. */
  readonly changed: CapabilityChange[];
}

type Atoms = Map<string, CapabilityChange>;
type Amounts = Map<string, { capability: string; name: string; value: number; text: string }>;
type Values = Map<string, { capability: string; name: string; value: string }>;

function flatten(section: CapabilitySection | undefined, kv: KvNamespaceOwner | undefined): { atoms: Atoms; amounts: Amounts; values: Values } {
  const atoms: Atoms = new Map();
  const amounts: Amounts = new Map();
  const values: Values = new Map();
  const s = section ?? {};
  for (const c of REGISTERED) {
    const items = c.diff?.(s, { kv });
    if (!items) continue;
    const capability = c.name;
    for (const grant of items.grants ?? []) atoms.set(`${capability}\0${grant}`, { capability, grant });
    for (const a of items.amounts ?? []) amounts.set(`${capability}\0${a.name}`, { capability, ...a });
    for (const [name, value] of items.values ?? []) values.set(`${capability}\0${name}`, { capability, name, value });
  }
  return { atoms, amounts, values };
}

/**
 * Compares the grants of the active version with a candidate's.
 *
 * @param active - the active version's section (undefined: a first deploy, everything is added)
 * @param kv - who owns the candidate's kv namespace (`checkKvNamespace`); the line of that
 *   namespace names its owner: `+ key-value: namespace telemetry (owned by telemetry, shared by the operator policy)`
 */
export function diffCapabilities(active: CapabilitySection | undefined, candidate: CapabilitySection, kv?: KvNamespaceOwner): CapabilityDiff {
  const a = flatten(active, kv);
  const b = flatten(candidate, kv);
  const added = [...b.atoms].filter(([k]) => !a.atoms.has(k)).map(([, v]) => v);
  const removed = [...a.atoms].filter(([k]) => !b.atoms.has(k)).map(([, v]) => v);
  const changed: CapabilityChange[] = [];
  for (const [key, next] of b.values) {
    const prev = a.values.get(key);
    if (prev && prev.value !== next.value) changed.push({ capability: next.capability, grant: `${next.name} (new value)` });
  }
  for (const [key, next] of b.amounts) {
    const prev = a.amounts.get(key);
    // A limit only matters while its capability stays granted in both.
    if (!prev || next.value === prev.value) continue;
    const change = { capability: next.capability, grant: `${next.name} ${prev.text} → ${next.text}` };
    (next.value > prev.value ? added : removed).push(change);
  }
  return { added, removed, changed };
}

/** One line per change, `+ outgoing HTTP: api.example.com`, for the CLI and the audit trail. */
export function formatDiff(diff: CapabilityDiff): string[] {
  return [
    ...diff.added.map((c) => `+ ${c.capability}: ${c.grant}`),
    ...diff.removed.map((c) => `- ${c.capability}: ${c.grant}`),
    ...diff.changed.map((c) => `~ ${c.capability}: ${c.grant}`),
  ];
}
