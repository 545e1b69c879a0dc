// Issue 14, item 2: a kv namespace belongs to the component that first claimed it. Through the
// real deploy path (VersionManager, telemetry-c in real workers, the real kv.sqlite3): a second
// plugin naming the first one's namespace is refused with LN_ERR_CAP_KV_NAMESPACE_OWNED and
// claims nothing; the owner keeps it across redeploy, rollback and a reopen of the data dir;
// policy.kv.shared lets the second one in, and the capability diff says whose namespace it is.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { KV_DATABASE_FILE } from '../../host/capabilities/grant-resolver.js';
import { type OperatorPolicy, parsePolicy } from '../../host/capabilities/policy.js';
import { Engine } from '../../host/engine/engine.js';
import type { PluginEvent } from '../../host/engine/plugin-event.js';
import { parseManifest } from '../../host/versions/manifest.js';
import { VersionManager } from '../../host/versions/version-manager.js';
import { fixture } from '../helpers/cli.js';

/** Writes `kv.set("last", <event data>)` into its kv namespace on every event. */
const TELEMETRY = readFileSync(fixture('telemetry-c'));
const engine = new Engine({ cacheDir: mkdtempSync(join(tmpdir(), 'lnano-kv-owner-cache-')) });
const managers: VersionManager[] = [];
afterAll(async () => {
  await Promise.all(managers.map((m) => m.close()));
});

async function open(dataDir: string, policy?: OperatorPolicy): Promise<VersionManager> {
  const manager = new VersionManager({ dataDir, engine, ...(policy ? { policy } : {}) });
  managers.push(manager);
  await manager.restore();
  return manager;
}

async function deploy(m: VersionManager, name: string, version: string, namespace: string, approve = true) {
  const { digest } = await m.storeArtifact(TELEMETRY);
  const manifest = parseManifest(
    { name, version, capabilities: { kv: { namespace } }, limits: { concurrency: 1, timeout: '5s' } },
    `${name}@${version} (test)`,
    tmpdir(),
  );
  return m.deploy({ manifest, digest, actor: 'test', approveCapabilities: approve });
}

function event(text: string): PluginEvent {
  return { id: text, type: 'reading', source: '/test', time: undefined, datacontenttype: 'text/plain', data: new TextEncoder().encode(text), extensions: [] };
}

/** What the kv database says: the owner of `namespace` and its `last` value. */
function stored(dataDir: string, namespace: string): { owner: string | null; last: string | null } {
  const db = new Database(join(dataDir, KV_DATABASE_FILE), { readonly: true });
  try {
    const owner = db.prepare('SELECT owner FROM kv_owners WHERE namespace = ?').get(namespace) as { owner: string } | undefined;
    const last = db.prepare("SELECT CAST(value AS TEXT) AS v FROM kv_entries WHERE namespace = ? AND key = CAST('last' AS BLOB)").get(namespace) as
      | { v: string }
      | undefined;
    return { owner: owner?.owner ?? null, last: last?.v ?? null };
  } finally {
    db.close();
  }
}

describe('a kv namespace belongs to its component (issue 14)', () => {
  it('refuses another plugin the namespace, keeps it for the owner across redeploy, rollback and a reopen, and shares it only by policy', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lnano-kv-owner-'));
    const first = await open(dataDir);

    // The first claim: the diff says the namespace is unclaimed and becomes alpha's.
    const a1 = await deploy(first, 'alpha', '1.0.0', 'readings');
    expect(a1.capabilities?.added).toContainEqual({ capability: 'key-value', grant: "namespace readings (unclaimed, becomes alpha's)" });
    expect((await first.call('alpha', event('from alpha'))).ok).toBe(true);
    expect(stored(dataDir, 'readings')).toEqual({ owner: 'alpha', last: 'from alpha' });

    // Another plugin naming it is refused at capability-check: audited, nothing bound, nothing claimed.
    const refused = await deploy(first, 'beta', '1.0.0', 'readings').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'LN_ERR_VERSION_DEPLOY_FAILED', details: { step: 'capability-check', causeCode: 'LN_ERR_CAP_KV_NAMESPACE_OWNED' } });
    expect((refused as Error).message).toContain('The kv namespace "readings" belongs to the component "alpha"; "beta" may not use it');
    expect(first.registry.versions('beta')).toEqual([]);
    expect(first.audit({ name: 'beta' }).entries.map((e) => e.action)).toEqual(['refused']);
    expect(stored(dataDir, 'readings')).toEqual({ owner: 'alpha', last: 'from alpha' });

    // A refused deploy claims nothing: beta asking for a free namespace of its own still works later.
    const unclaimed = await deploy(first, 'beta', '1.0.0', 'beta-own', false).catch((e: unknown) => e);
    expect(unclaimed).toMatchObject({ code: 'LN_ERR_VERSION_APPROVAL_REQUIRED' });
    expect(stored(dataDir, 'beta-own').owner).toBeNull();

    // The owner redeploys and rolls back: still its own, no change in grants.
    const a2 = await deploy(first, 'alpha', '1.1.0', 'readings', false);
    expect(a2.capabilities).toEqual({ added: [], removed: [], changed: [] });
    await first.rollback('alpha', { actor: 'test' });
    expect(first.registry.get('alpha')?.active).toBe('1.0.0');
    await first.close();

    // Reopen the data dir: the active alpha starts again (its own), beta is still refused.
    const second = await open(dataDir);
    expect(second.plugins().map((p) => p.name)).toEqual(['alpha']);
    expect(await deploy(second, 'beta', '1.0.0', 'readings').catch((e: { details: unknown }) => e.details)).toMatchObject({
      causeCode: 'LN_ERR_CAP_KV_NAMESPACE_OWNED',
    });
    await second.close();

    // The operator shares it: beta may use it; the approval and the diff name alpha as the owner.
    const policy = parsePolicy({ kv: { shared: { readings: ['alpha', 'beta'] } } }, '/etc/lnano.json', tmpdir());
    const third = await open(dataDir, policy);
    const approval = await deploy(third, 'beta', '1.0.0', 'readings', false).catch((e: unknown) => e);
    expect(approval).toMatchObject({ code: 'LN_ERR_VERSION_APPROVAL_REQUIRED' });
    expect((approval as Error).message).toContain('+ key-value: namespace readings (owned by alpha, shared by the operator policy)');
    const b1 = await deploy(third, 'beta', '1.0.0', 'readings');
    expect(b1.outcome).toBe('deployed');
    expect((await third.call('beta', event('from beta'))).ok).toBe(true);
    expect(stored(dataDir, 'readings')).toEqual({ owner: 'alpha', last: 'from beta' });
  });

  it('a namespace shared with other components is still refused to one the policy does not list', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lnano-kv-owner-'));
    const policy = parsePolicy({ kv: { shared: { readings: ['beta'] } } }, '/etc/lnano.json', tmpdir());
    const m = await open(dataDir, policy);
    await deploy(m, 'alpha', '1.0.0', 'readings');
    expect((await deploy(m, 'beta', '1.0.0', 'readings')).outcome).toBe('deployed');
    const err = await deploy(m, 'gamma', '1.0.0', 'readings').catch((e: unknown) => e);
    expect(err).toMatchObject({ details: { step: 'capability-check', causeCode: 'LN_ERR_CAP_KV_NAMESPACE_OWNED' } });
    expect((err as Error).message).toContain('policy.kv.shared in /etc/lnano.json does not share it with "gamma"');
  });
});
