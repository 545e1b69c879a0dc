/**
 * What a candidate version would be granted beyond (or short of) the active one. A deploy must
 * have every addition approved (`--approve-capabilities`); removals and unchanged grants need
 * nothing. A raised quota or timeout counts as an addition, a lowered one as a removal. Given
 * who owns the candidate's kv namespace, the namespace's line says whose it is.
 */
import { parseByteSize, parseDurationMs } from '../support/units.js';
import type { CapabilitySection } from './capability-manifest.js';
import { describeKvOwner, type KvNamespaceOwner } from './kv/kv-ownership.js';

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

function flatten(section: CapabilitySection | undefined, kv: KvNamespaceOwner | undefined): { atoms: Atoms; amounts: Amounts; env: Map<string, string> } {
  const atoms: Atoms = new Map();
  const amounts: Amounts = new Map();
  const add = (capability: string, grant: string): void => void atoms.set(`${capability}\0${grant}`, { capability, grant });
  const amount = (capability: string, name: string, text: string | number | undefined, parse: (t: string | number) => number): void => {
    if (text !== undefined) amounts.set(`${capability}\0${name}`, { capability, name, value: parse(text), text: String(text) });
  };
  const s = section ?? {};
  const env = new Map(Object.entries(s.env ?? {}));
  for (const name of env.keys()) add('environment', name);
  for (const m of s.fs ?? []) add('filesystem', `${m.guest} ← ${m.host} (${m.mode})`);
  if (s.cwd) add('environment', `cwd ${s.cwd}`);
  if (s.http) {
    for (const a of s.http.allow) add('outgoing HTTP', a.toLowerCase());
    amount('outgoing HTTP', 'maxResponse', s.http.maxResponse, (t) => parseByteSize(t, 'maxResponse', 'diff'));
    amount('outgoing HTTP', 'timeout', s.http.timeout, (t) => parseDurationMs(t, 'timeout', 'diff'));
    amount('outgoing HTTP', 'maxRequestsPerCall', s.http.maxRequestsPerCall, Number);
  }
  if (s.kv) {
    const namespace = s.kv.namespace ?? kv?.component.toLowerCase();
    const whose = kv && namespace === kv.namespace ? ` (${describeKvOwner(kv)})` : '';
    add('key-value', `namespace ${namespace ?? '(the component name)'}${whose}`);
    amount('key-value', 'maxKeys', s.kv.maxKeys, Number);
    amount('key-value', 'maxKeySize', s.kv.maxKeySize, (t) => parseByteSize(t, 'maxKeySize', 'diff'));
    amount('key-value', 'maxValueSize', s.kv.maxValueSize, (t) => parseByteSize(t, 'maxValueSize', 'diff'));
    amount('key-value', 'maxTotal', s.kv.maxTotal, (t) => parseByteSize(t, 'maxTotal', 'diff'));
  }
  return { atoms, amounts, env };
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
  for (const [name, value] of b.env) {
    if (a.env.has(name) && a.env.get(name) !== value) changed.push({ capability: 'environment', grant: `${name} (new value)` });
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
