/**
 * The registry (host/capabilities/registry.ts) is the one list of capabilities: the catalog,
 * `lnano inspect`, the docs table, the manifest's JSON Schema, the operator policy, the grant flags
 * of `lnano run` and the linker are built from it. Each check compares the registry with what
 * users see from outside it (the committed JSON Schema, the CLI's help, the WIT package, the docs
 * page, the import object a worker gets), so a capability left out of one of them fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCapabilities, schemaKit } from '../../../host/capabilities/capability-manifest.js';
import { CAPABILITIES, capabilityOf, catalogTable } from '../../../host/capabilities/catalog.js';
import { closedGrants } from '../../../host/capabilities/grants.js';
import { link } from '../../../host/capabilities/linker.js';
import { OPEN_POLICY, parsePolicy } from '../../../host/capabilities/policy.js';
import { CAPABILITY_REGISTRY, REGISTERED } from '../../../host/capabilities/registry.js';
import { GRANT_OPTIONS } from '../../../host/cli/grant-flags.js';
import type { HostBridge } from '../../../host/sandbox/protocol.js';
import { manifestJsonSchema } from '../../../host/versions/manifest.js';
import { ROOT, runCli } from '../../helpers/cli.js';

const read = (path: string): string => readFileSync(new URL(path, `file://${ROOT}/`), 'utf8');

/** An interface name a catalog pattern stands for (`wasi:clocks/*` → `wasi:clocks/x`). */
const sample = (pattern: string): string => (pattern.endsWith('*') ? `${pattern.slice(0, -1)}x` : pattern);

/** The keys each capability owns in a manifest's `capabilities` section. */
function manifestKeys(): Map<string, string> {
  const owner = new Map<string, string>();
  for (const c of REGISTERED) {
    for (const key of Object.keys(c.manifest?.shape(schemaKit()) ?? {})) {
      expect(owner.get(key), `capabilities.${key} owned twice`).toBeUndefined();
      owner.set(key, c.name);
    }
  }
  return owner;
}

describe('capability registry', () => {
  it('the catalog and `lnano inspect` know every registered capability, once, by each of its interfaces', () => {
    expect(REGISTERED).toBe(CAPABILITY_REGISTRY);
    expect(CAPABILITIES.map((c) => c.capability)).toEqual(REGISTERED.map((c) => c.name));
    expect(new Set(REGISTERED.map((c) => c.name)).size).toBe(REGISTERED.length);
    for (const c of REGISTERED) {
      expect(c.interfaces.length, c.name).toBeGreaterThan(0);
      for (const pattern of c.interfaces) expect(capabilityOf(`${sample(pattern)}@0.2.3`)?.capability, pattern).toBe(c.name);
    }
  });

  it('every interface of the liquid-nano:plugin WIT package the host world imports is a registered capability', () => {
    const wit = read('wit/plugin.wit');
    const world = /world host-services \{([^}]*)\}/.exec(wit)?.[1] ?? '';
    const imported = [...world.matchAll(/import (\S+);/g)].map((m) => m[1]!);
    expect(imported.length).toBeGreaterThan(3);
    for (const name of [...imported, 'types']) expect(capabilityOf(`liquid-nano:plugin/${name}@0.1.0`), name).toBeDefined();
  });

  it('the manifest JSON Schema (committed and generated) has exactly the keys the capabilities own', () => {
    const owner = manifestKeys();
    type Schema = { properties: { capabilities: { properties: Record<string, unknown> } } };
    const committed = JSON.parse(read('docs/manifest.schema.json')) as Schema;
    const generated = manifestJsonSchema() as unknown as Schema;
    for (const schema of [committed, generated]) {
      expect(Object.keys(schema.properties.capabilities.properties).sort()).toEqual([...owner.keys()].sort());
    }
    // A key nobody owns is refused, as before the registry.
    expect(() => parseCapabilities({ nope: true }, 'm.json')).toThrow(/nope/);
  });

  it("every grant flag is an option of `lnano run`, in its help, builds its own capability's keys, and the catalog names one of them", async () => {
    const help = (await runCli(['run', '--help'])).stdout;
    const grants = help.slice(help.indexOf('Grants ('), help.indexOf('Limits:'));
    const helpFlags = [...grants.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]!);
    const owner = manifestKeys();
    const registered: string[] = [];
    for (const c of REGISTERED) {
      for (const flag of c.flags ?? []) {
        registered.push(`--${flag.name}`);
        expect(Object.hasOwn(GRANT_OPTIONS, flag.name), flag.name).toBe(true);
        expect(grants, flag.name).toContain(`  ${flag.usage}`);
        if (flag.key !== undefined) expect(owner.get(flag.key), flag.name).toBe(c.name);
      }
      if (c.grantFlag !== null)
        expect(
          (c.flags ?? []).map((f) => `--${f.name}`),
          c.name,
        ).toContain(c.grantFlag.split(' ')[0]);
    }
    expect(helpFlags.sort()).toEqual(registered.sort());
  });

  it('every policy key is in the policy schema, resolves to the open bound when empty, and every name can be denied', () => {
    const keys = REGISTERED.flatMap((c) => (c.policy ? [c.policy] : []));
    const names = keys.map((p) => p.key);
    expect(new Set([...names, 'deny', 'limits']).size).toBe(names.length + 2);
    const policy = parsePolicy({ ...Object.fromEntries(keys.map((p) => [p.key, {}])), deny: REGISTERED.map((c) => c.name) }, 'p.json', ROOT);
    for (const p of keys) {
      for (const [field, value] of Object.entries(p.open)) expect((policy as unknown as Record<string, unknown>)[field], field).toEqual(value);
      for (const field of Object.keys(p.open)) expect(Object.hasOwn(OPEN_POLICY, field), field).toBe(true);
    }
    expect(policy.deny).toEqual(REGISTERED.map((c) => c.name));
    expect(() => parsePolicy({ nope: {} }, 'p.json', ROOT)).toThrow(/nope/);
  });

  it("the linker provides each capability's interfaces from that capability, and nothing else", async () => {
    const bridge: HostBridge = { notify: () => {}, output: () => {}, hostCall: () => 1, hostCallLimit: () => undefined };
    const imports = link(closedGrants('probe'), bridge);
    for (const c of REGISTERED) {
      const build = await c.loadImports?.();
      const own = Object.keys(build?.(closedGrants('probe'), bridge) ?? {});
      for (const name of own) expect(capabilityOf(name)?.capability, name).toBe(c.name);
      for (const pattern of c.interfaces) {
        expect(
          own.some((name) => capabilityOf(name) === capabilityOf(sample(pattern))),
          `${c.name}: ${pattern}`,
        ).toBe(true);
      }
    }
    for (const name of Object.keys(imports)) expect(capabilityOf(name), name).toBeDefined();
  });

  it('docs/capabilities.md holds the catalog table as generated (npm run docs:capabilities)', () => {
    expect(read('docs/capabilities.md')).toContain(catalogTable());
  });
});
