import { unversionedName } from '../engine/component.js';

import { REGISTERED } from './registry.js';

/**
 * What each importable interface means as a capability: always available (closed or harmless by
 * default), or gated behind a grant — and how to grant it. `lnano inspect`, the link check and
 * the docs table (`scripts/write-capabilities-doc.mjs`) read this one table, derived from the
 * registered capabilities (`registry.ts`).
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

export const CAPABILITIES: readonly CapabilityEntry[] = REGISTERED.map((c) =>
  Object.freeze({
    capability: c.name,
    interfaces: c.interfaces,
    withoutGrant: c.withoutGrant,
    flag: c.grantFlag,
    manifest: c.grantManifest,
  }),
);

function matches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** Versions of each package this host provides; an import of another version is not linkable. */
const PROVIDED_VERSIONS: ReadonlyArray<readonly [string, RegExp, string]> = [
  ['wasi:', /^0\.2\.\d+$/, '0.2.x'],
  ['liquid-nano:plugin/', /^0\.[12]\.\d+$/, '0.1.x and 0.2.x'],
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

/** The header of the catalog's table in docs/capabilities.md. */
export const CATALOG_TABLE_HEADER = '| capability | interfaces | grant with (flag) | grant in a manifest | without a grant the guest sees |';

/**
 * The catalog as the Markdown table of docs/capabilities.md (`scripts/write-capabilities-doc.mjs`
 * writes it there; a test checks the page holds exactly this). An interface of the same package
 * as the one before it is written without the package (`wasi:cli/stdin`, `stdout`).
 */
export function catalogTable(): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  const code = (text: string | null): string => (text === null ? '—' : `\`${cell(text)}\``);
  const rows = CAPABILITIES.map((c) => {
    const interfaces = c.interfaces.map((name, i) => {
      const pkg = name.slice(0, name.indexOf('/') + 1);
      return i > 0 && c.interfaces[i - 1]!.startsWith(pkg) ? name.slice(pkg.length) : name;
    });
    return `| ${c.capability} | ${interfaces.map(code).join(', ')} | ${code(c.flag)} | ${code(c.manifest)} | ${cell(c.withoutGrant)} |`;
  });
  return [CATALOG_TABLE_HEADER, '|---|---|---|---|---|', ...rows].join('\n');
}
