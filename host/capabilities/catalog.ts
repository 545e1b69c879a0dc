import { unversionedName } from '../engine/component.js';

/**
 * What each importable interface means as a capability: always available (closed or harmless by
 * default), or gated behind a grant — and how to grant it. `lnano inspect` and the link check
 * read this one table.
 */

/** One capability and the interfaces that belong to it. */
export interface CapabilityEntry {
  /** A short name shown to users, e.g. `environment`. */
  readonly capability: string;
  /** Interface names without version; a trailing `/*` matches a whole package. */
  readonly interfaces: readonly string[];
  /** What the guest sees when nothing is granted. */
  readonly withoutGrant: string;
  /** How to grant it on the command line, or null if this host never grants it. */
  readonly flag: string | null;
}

export const CAPABILITIES: readonly CapabilityEntry[] = [
  { capability: 'environment', interfaces: ['wasi:cli/environment'], withoutGrant: 'no variables, argv0 only, no cwd', flag: '--env K[=V]' },
  { capability: 'exit', interfaces: ['wasi:cli/exit'], withoutGrant: 'exit ends only the guest call, reported as its result', flag: null },
  { capability: 'stdio', interfaces: ['wasi:cli/stdin', 'wasi:cli/stdout', 'wasi:cli/stderr', 'wasi:cli/terminal-*'], withoutGrant: 'stdin at end of stream; stdout/stderr captured by the host', flag: null },
  { capability: 'clocks', interfaces: ['wasi:clocks/*'], withoutGrant: 'available', flag: null },
  { capability: 'random', interfaces: ['wasi:random/*'], withoutGrant: 'available', flag: null },
  { capability: 'io', interfaces: ['wasi:io/*'], withoutGrant: 'available (streams of granted resources)', flag: null },
  { capability: 'filesystem', interfaces: ['wasi:filesystem/*'], withoutGrant: 'no preopened directories', flag: null },
  { capability: 'sockets', interfaces: ['wasi:sockets/*'], withoutGrant: 'every socket operation fails with access-denied', flag: null },
  { capability: 'outgoing HTTP', interfaces: ['wasi:http/outgoing-handler', 'wasi:http/types'], withoutGrant: 'every request fails with HTTP-request-denied', flag: null },
  { capability: 'log', interfaces: ['liquid-nano:plugin/log'], withoutGrant: 'available, into the host log', flag: null },
  { capability: 'config', interfaces: ['liquid-nano:plugin/config'], withoutGrant: 'available, no values', flag: null },
  { capability: 'key-value', interfaces: ['liquid-nano:plugin/kv'], withoutGrant: 'every operation fails with error.denied', flag: null },
  { capability: 'metrics', interfaces: ['liquid-nano:plugin/metrics'], withoutGrant: 'available', flag: null },
  { capability: 'events', interfaces: ['liquid-nano:plugin/events'], withoutGrant: 'available', flag: null },
  { capability: 'plugin types', interfaces: ['liquid-nano:plugin/types'], withoutGrant: 'available', flag: null },
];

function matches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** The catalog entry of an import (`wasi:cli/environment@0.2.3` → environment), if the host knows it. */
export function capabilityOf(importName: string): CapabilityEntry | undefined {
  const bare = unversionedName(importName);
  return CAPABILITIES.find((c) => c.interfaces.some((p) => matches(p, bare)));
}
