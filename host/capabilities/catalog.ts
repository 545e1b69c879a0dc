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
  /** How to grant it on the command line, or null if there is nothing to grant. */
  readonly flag: string | null;
  /** How to grant it in a manifest's `capabilities` section, or null. */
  readonly manifest: string | null;
}

export const CAPABILITIES: readonly CapabilityEntry[] = [
  { capability: 'environment', interfaces: ['wasi:cli/environment'], withoutGrant: 'no variables, argv0 only, no cwd', flag: '--env K[=V]', manifest: '"env": { "K": "V" }' },
  { capability: 'exit', interfaces: ['wasi:cli/exit'], withoutGrant: 'exit ends only the guest call, reported as its result', flag: null, manifest: null },
  { capability: 'stdio', interfaces: ['wasi:cli/stdin', 'wasi:cli/stdout', 'wasi:cli/stderr', 'wasi:cli/terminal-*'], withoutGrant: 'stdin at end of stream; stdout/stderr: with `lnano serve` into the host log, rate-limited per instance; with `lnano run` the command\'s own stdout/stderr, every byte', flag: '--stdin <file|->', manifest: null },
  { capability: 'clocks', interfaces: ['wasi:clocks/*'], withoutGrant: 'available', flag: null, manifest: null },
  { capability: 'random', interfaces: ['wasi:random/*'], withoutGrant: 'available', flag: null, manifest: null },
  { capability: 'io', interfaces: ['wasi:io/*'], withoutGrant: 'available (streams of granted resources)', flag: null, manifest: null },
  { capability: 'filesystem', interfaces: ['wasi:filesystem/*'], withoutGrant: 'no preopened directories: every path fails', flag: '--dir <host-dir>::<guest-dir>[:ro|:rw]', manifest: '"fs": [{ "host": "./data", "guest": "/data", "mode": "ro" }]' },
  { capability: 'sockets', interfaces: ['wasi:sockets/*'], withoutGrant: 'connect, bind and send fail with access-denied, name lookups with permanent-resolver-failure; at most 256 live sockets', flag: null, manifest: null },
  { capability: 'outgoing HTTP', interfaces: ['wasi:http/outgoing-handler', 'wasi:http/types'], withoutGrant: 'every request fails with HTTP-request-denied', flag: '--allow-http <host>[:port]', manifest: '"http": { "allow": ["api.example.com"] }' },
  { capability: 'log', interfaces: ['liquid-nano:plugin/log'], withoutGrant: 'available, into the host log (rate-limited)', flag: null, manifest: null },
  { capability: 'config', interfaces: ['liquid-nano:plugin/config'], withoutGrant: 'available, no values', flag: '--plugin-config K=V', manifest: 'top-level "config": { "K": "V" }' },
  { capability: 'key-value', interfaces: ['liquid-nano:plugin/kv'], withoutGrant: 'every operation fails with error.denied', flag: '--kv <namespace>', manifest: '"kv": { "namespace": "name" }' },
  { capability: 'metrics', interfaces: ['liquid-nano:plugin/metrics'], withoutGrant: 'available', flag: null, manifest: null },
  { capability: 'events', interfaces: ['liquid-nano:plugin/events'], withoutGrant: 'available', flag: null, manifest: null },
  { capability: 'plugin types', interfaces: ['liquid-nano:plugin/types'], withoutGrant: 'available', flag: null, manifest: null },
];

function matches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** Versions of each package this host provides; an import of another version is not linkable. */
const PROVIDED_VERSIONS: ReadonlyArray<readonly [string, RegExp, string]> = [
  ['wasi:', /^0\.2\.\d+$/, '0.2.x'],
  ['liquid-nano:plugin/', /^0\.1\.\d+$/, '0.1.x'],
];

/**
 * Why this host cannot provide an import at its version, or null when the version is provided
 * (or the import names none).
 */
export function unsupportedVersion(importName: string): string | null {
  const at = importName.lastIndexOf('@');
  if (at === -1) return null;
  const version = importName.slice(at + 1);
  const entry = PROVIDED_VERSIONS.find(([prefix]) => importName.startsWith(prefix));
  if (!entry || entry[1].test(version)) return null;
  return `version ${version} (this host provides ${entry[2]})`;
}

/** The catalog entry of an import (`wasi:cli/environment@0.2.3` → environment), if the host knows it. */
export function capabilityOf(importName: string): CapabilityEntry | undefined {
  const bare = unversionedName(importName);
  return CAPABILITIES.find((c) => c.interfaces.some((p) => matches(p, bare)));
}
