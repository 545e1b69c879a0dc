// The kv store under attack: a real guest (net-probe) filling quotas, oversizing keys and
// values, reaching into another namespace, and racing another instance of itself for the last
// slots of a quota. Every refusal must be a kv error value for the guest, never a host exception.
// A plugin naming another plugin's namespace (deployed, or by `lnano run --kv`) is refused before
// it runs (issue 14).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedGrants, type KvGrant } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { type Component, findExport } from '../../host/engine/component.js';
import { Engine } from '../../host/engine/engine.js';
import type { PluginEvent } from '../../host/engine/plugin-event.js';
import { Instance } from '../../host/sandbox/instance.js';
import { parseManifest } from '../../host/versions/manifest.js';
import { VersionManager } from '../../host/versions/version-manager.js';
import { fixture, runLnano } from '../helpers/cli.js';

let component: Component;
const instances: Instance[] = [];
const dir = mkdtempSync(join(tmpdir(), 'lnano-kv-security-'));
let dbCount = 0;

beforeAll(async () => {
  component = await new Engine().load(readFileSync(fixture('net-probe')), 'net-probe');
});
afterAll(async () => {
  await Promise.all(instances.map((i) => i.dispose()));
});

function kvGrant(overrides: Partial<KvGrant> = {}): KvGrant {
  return {
    namespace: 'probe',
    path: join(dir, `kv-${++dbCount}.sqlite3`),
    maxKeys: 100,
    maxKeyBytes: 64,
    maxValueBytes: 1024,
    maxTotalBytes: 64 * 1024,
    ...overrides,
  };
}

type Call = (name: string, ...args: unknown[]) => Promise<{ ok: boolean; value: unknown }>;

async function probe(kv: KvGrant | null): Promise<Call> {
  const base = closedGrants('net-probe');
  const instance = await Instance.start(component, { linker: linkerSpec({ ...base, plugin: { ...base.plugin, kv } }) });
  instances.push(instance);
  return async (name, ...args) => {
    const target = findExport(component.shape, name);
    if (!target) throw new Error(`net-probe has no export ${name}`);
    const outcome = await instance.call(target, args);
    return { ok: !outcome.errResult, value: outcome.value };
  };
}

/** What the database file really holds for `namespace`. */
function stored(path: string, namespace: string): { keys: number; bytes: number; usage: { keys: number; bytes: number } } {
  const db = new Database(path, { readonly: true });
  try {
    const actual = db
      .prepare('SELECT count(*) AS keys, coalesce(sum(length(key) + length(value)), 0) AS bytes FROM kv_entries WHERE namespace = ?')
      .get(namespace) as { keys: number; bytes: number };
    const usage = (db.prepare('SELECT keys, bytes FROM kv_usage WHERE namespace = ?').get(namespace) as { keys: number; bytes: number } | undefined) ?? {
      keys: 0,
      bytes: 0,
    };
    return { ...actual, usage };
  } finally {
    db.close();
  }
}

describe('kv: deny by default', () => {
  it('without a grant every operation is denied', async () => {
    const call = await probe(null);
    expect(await call('kv-get', 'k')).toEqual({ ok: false, value: 'denied' });
    expect(await call('kv-set', 'k', 'v')).toEqual({ ok: false, value: 'denied' });
    expect(await call('kv-delete', 'k')).toEqual({ ok: false, value: 'denied' });
    expect(await call('kv-list', '', 10)).toEqual({ ok: false, value: 'denied' });
  });

  it('the same component with a grant stores and reads back (no over-blocking)', async () => {
    const call = await probe(kvGrant());
    expect(await call('kv-set', 'greeting', 'hello')).toEqual({ ok: true, value: undefined });
    expect(await call('kv-get', 'greeting')).toEqual({ ok: true, value: 'hello' });
    expect(await call('kv-get', 'missing')).toEqual({ ok: true, value: undefined });
  });
});

describe('kv: quotas', () => {
  it('filling past maxKeys stops at exactly maxKeys with quota-exceeded', async () => {
    const grant = kvGrant({ maxKeys: 25 });
    const call = await probe(grant);
    const r = await call('kv-fill', 'k', 1000, 1);
    expect(r.ok).toBe(false);
    expect(r.value).toMatch(/^after 25: quota-exceeded: /);
    expect((await call('kv-list', '', 1000)).value).toHaveLength(25);
    // Replacing an existing key is still allowed; deleting one frees a slot.
    expect((await call('kv-set', 'k0', 'new')).ok).toBe(true);
    expect((await call('kv-delete', 'k1')).value).toBe(true);
    expect((await call('kv-set', 'fresh', 'v')).ok).toBe(true);
    expect((await call('kv-set', 'one-more', 'v')).value).toMatch(/^quota-exceeded: /);
    expect(stored(grant.path, 'probe')).toMatchObject({ keys: 25, usage: { keys: 25 } });
  });

  it('filling past maxTotalBytes stops before the quota with quota-exceeded', async () => {
    const grant = kvGrant({ maxTotalBytes: 10_000 });
    const call = await probe(grant);
    const r = await call('kv-fill', 'k', 1000, 500);
    expect(r.ok).toBe(false);
    // Each entry is 500 value bytes plus a 2-3 byte key: 19 fit in 10 000 bytes, the 20th does not.
    expect(r.value).toMatch(/^after 19: quota-exceeded: /);
    const s = stored(grant.path, 'probe');
    expect(s.bytes).toBeLessThanOrEqual(10_000);
    expect(s.usage).toEqual({ keys: s.keys, bytes: s.bytes });
  });

  it('a key over maxKeyBytes or a value over maxValueBytes is too-large and stores nothing', async () => {
    const grant = kvGrant({ maxKeyBytes: 8, maxValueBytes: 100 });
    const call = await probe(grant);
    expect((await call('kv-set', 'k'.repeat(9), 'v')).value).toMatch(/^too-large: the key is 9 bytes/);
    // UTF-8 bytes count, not characters: four 2-byte characters fit, five do not.
    expect((await call('kv-set', 'é'.repeat(4), 'v')).ok).toBe(true);
    expect((await call('kv-set', 'é'.repeat(5), 'v')).value).toMatch(/^too-large: the key is 10 bytes/);
    expect((await call('kv-get', 'k'.repeat(9))).value).toMatch(/^too-large: /);
    expect((await call('kv-set-size', 'big', 101)).value).toMatch(/^too-large: the value is 101 bytes/);
    expect((await call('kv-set-size', 'edge', 100)).ok).toBe(true);
    expect(stored(grant.path, 'probe').keys).toBe(2);
  });
});

describe('kv: isolation and concurrency', () => {
  it("two namespaces in one database never see each other's keys", async () => {
    const shared = kvGrant({ maxKeys: 5 });
    const a = await probe({ ...shared, namespace: 'alpha' });
    const b = await probe({ ...shared, namespace: 'beta' });
    expect((await a('kv-set', 'secret', 'from alpha')).ok).toBe(true);
    expect(await b('kv-get', 'secret')).toEqual({ ok: true, value: undefined });
    expect(await b('kv-list', '', 100)).toEqual({ ok: true, value: [] });
    expect(await b('kv-delete', 'secret')).toEqual({ ok: true, value: false });
    // Quotas are per namespace: alpha full does not stop beta.
    expect((await a('kv-fill', 'a', 10, 1)).value).toMatch(/^after 4: quota-exceeded/);
    expect(await b('kv-fill', 'b', 5, 1)).toEqual({ ok: true, value: 5 });
    expect(await a('kv-get', 'secret')).toEqual({ ok: true, value: 'from alpha' });
    expect(await a('kv-list', 'b', 100)).toEqual({ ok: true, value: [] });
  });

  it('two instances filling one namespace at once never pass its key quota', async () => {
    const grant = kvGrant({ maxKeys: 400 });
    const [a, b] = await Promise.all([probe(grant), probe(grant)]);
    const [ra, rb] = await Promise.all([a('kv-fill', 'a', 1000, 1), b('kv-fill', 'b', 1000, 1)]);
    const written = [ra, rb].map((r) => {
      expect(r.ok).toBe(false);
      return Number(/^after (\d+): quota-exceeded/.exec(r.value as string)?.[1]);
    });
    expect(written[0]! + written[1]!).toBe(400);
    expect(stored(grant.path, 'probe')).toMatchObject({ keys: 400, usage: { keys: 400 } });
  });

  it('two instances filling one namespace at once never pass its byte quota', async () => {
    const grant = kvGrant({ maxKeys: 10_000, maxTotalBytes: 20_000 });
    const [a, b] = await Promise.all([probe(grant), probe(grant)]);
    const [ra, rb] = await Promise.all([a('kv-fill', 'a', 1000, 300), b('kv-fill', 'b', 1000, 300)]);
    expect(ra.ok || rb.ok).toBe(false);
    const s = stored(grant.path, 'probe');
    expect(s.bytes).toBeLessThanOrEqual(20_000);
    expect(s.bytes).toBeGreaterThan(20_000 - 303); // full: the next entry would not fit
    expect(s.usage).toEqual({ keys: s.keys, bytes: s.bytes });
  });
});

describe("kv: another component's namespace (issue 14)", () => {
  it("a thief naming the victim's namespace is refused at deploy and at lnano run, even approved; the owner reads its data", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lnano-kv-thief-'));
    const versions = new VersionManager({ dataDir, engine: new Engine() });
    try {
      await versions.restore();
      // telemetry-c writes kv.set("last", <event data>) into its namespace on every event.
      const { digest } = await versions.storeArtifact(readFileSync(fixture('telemetry-c')));
      const deploy = (name: string, kv: Record<string, unknown>) =>
        versions.deploy({
          manifest: parseManifest({ name, version: '1.0.0', capabilities: { kv }, limits: { concurrency: 1 } }, `${name} (test)`, dir),
          digest,
          actor: 'test',
          approveCapabilities: true,
        });
      await deploy('vault', {});
      const secret: PluginEvent = {
        id: 's',
        type: 'secret',
        source: '/t',
        time: undefined,
        datacontenttype: 'text/plain',
        data: new TextEncoder().encode('s3cret'),
        extensions: [],
      };
      expect((await versions.call('vault', secret)).ok).toBe(true);

      const stolen = await deploy('thief', { namespace: 'vault' }).catch((e: unknown) => e);
      expect(stolen).toMatchObject({ code: 'LN_ERR_VERSION_DEPLOY_FAILED', details: { step: 'capability-check', causeCode: 'LN_ERR_CAP_KV_NAMESPACE_OWNED' } });
      expect(versions.plugins().map((p) => p.name)).toEqual(['vault']);

      // A one-shot run is the component of its name: net-probe's file is not the vault.
      const probeFile = fixture('net-probe');
      const run = (...args: string[]) => runLnano(['run', '--data-dir', dataDir, ...args, '--kv', 'vault', '--invoke', 'kv-get("last")'], dir);
      const thief = await run(probeFile);
      expect(thief.code).toBe(2);
      expect(thief.stderr).toContain('LN_ERR_CAP_KV_NAMESPACE_OWNED');
      expect(thief.stdout + thief.stderr).not.toContain('s3cret');
      // No over-blocking: run under the owner's name (a manifest named vault), it reads the data.
      const manifest = join(dir, 'vault.json');
      writeFileSync(manifest, JSON.stringify({ name: 'vault', version: '1.0.0', component: probeFile }));
      const owner = await run('--manifest', manifest);
      expect(owner.code, owner.stderr).toBe(0);
      expect(owner.stdout).toContain('s3cret');
    } finally {
      await versions.close();
    }
  });
});
