// The version manager end to end, in process, with real components in real workers: the deploy
// pipeline and its refusals, strategies (immediate, canary, blue-green), rollback, automatic
// rollback, state handoff, serialized deploys, restart recovery and retention.
// (Swaps under continuous load: version-swap-load.test.ts.)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parsePolicy } from '../../host/capabilities/policy.js';
import { Engine } from '../../host/engine/engine.js';
import type { PluginEvent } from '../../host/engine/plugin-event.js';
import { type Manifest, parseManifest } from '../../host/versions/manifest.js';
import { HEALTH_ACTOR, VersionManager, type VersionManagerOptions } from '../../host/versions/version-manager.js';
import { example, fixture } from '../helpers/cli.js';
import { codeOfAsync } from '../helpers/errors.js';

const ECHO = readFileSync(example('echo-c'));
const BROKEN = readFileSync(fixture('echo-broken'));
const COUNTER = readFileSync(fixture('counter-c'));

/** One transpile cache for the whole file: each test has its own data dir, not its own transpiles. */
const cacheDir = mkdtempSync(join(tmpdir(), 'lnano-vm-cache-'));
const engine = new Engine({ cacheDir });
const managers: VersionManager[] = [];
afterAll(async () => {
  await Promise.all(managers.map((m) => m.close()));
});

async function open(options: Partial<VersionManagerOptions> = {}): Promise<VersionManager> {
  const manager = new VersionManager({ dataDir: mkdtempSync(join(tmpdir(), 'lnano-vm-')), engine, ...options });
  managers.push(manager);
  await manager.restore();
  return manager;
}

function manifest(name: string, version: string, extra: Record<string, unknown> = {}): Manifest {
  return parseManifest({ name, version, limits: { concurrency: 2, timeout: '5s' }, ...extra }, `${name}@${version} (test)`, tmpdir());
}

function event(i: number, type = 'reading'): PluginEvent {
  return { id: `e${i}`, type, source: '/test', time: undefined, datacontenttype: 'text/plain', data: new TextEncoder().encode(`n=${i}`), extensions: [] };
}

function leb(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
}

/** The component with a custom section appended: another digest, the same behaviour. */
function variant(bytes: Uint8Array, tag: string): Uint8Array {
  const name = Buffer.from('lnano-test');
  const body = Buffer.concat([leb(name.length), name, Buffer.from(tag)]);
  return new Uint8Array(Buffer.concat([bytes, Buffer.from([0]), leb(body.length), body]));
}

async function deployed(
  m: VersionManager,
  name: string,
  version: string,
  bytes: Uint8Array,
  extra: Partial<Parameters<VersionManager['deploy']>[0]> = {},
  manifestExtra: Record<string, unknown> = {},
) {
  const { digest } = await m.storeArtifact(bytes);
  return m.deploy({ manifest: manifest(name, version, manifestExtra), digest, actor: 'test', ...extra });
}

function actions(m: VersionManager, name: string): string[] {
  return m
    .history(name, { limit: 1000 })
    .entries.map((e) => e.action)
    .reverse();
}

/** Polls until `check` holds (automatic actions run in the background); gives up after 20 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`gave up waiting for ${what}`);
}

/** A deterministic [0, 1) sequence (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('deploy pipeline', () => {
  it('runs every step in order, serves the version, and a second deploy of the same version and digest is a no-op', async () => {
    const m = await open();
    const steps: string[] = [];
    const result = await deployed(m, 'echo', '1.0.0', ECHO, { onProgress: (step) => steps.push(step) });
    expect(steps).toEqual(['validate', 'capability-check', 'prepare', 'warm', 'probe', 'swap', 'drain', 'retire']);
    expect(result).toMatchObject({ outcome: 'deployed', from: null, deployment: { active: '1.0.0', deploy: { status: 'deployed', step: 'retire' } } });
    const outcome = await m.call('echo', event(1));
    expect(outcome).toMatchObject({ plugin: 'echo', version: '1.0.0', ok: true, events: [{ id: 'e1-echo', type: 'reading.echoed', data: 'n=1' }] });
    expect(m.plugins()).toEqual([{ name: 'echo', version: '1.0.0', events: ['*'], priority: 0 }]);

    const before = m.audit().entries.length;
    const again = await deployed(m, 'echo', '1.0.0', ECHO);
    expect(again.outcome).toBe('unchanged');
    expect(m.audit().entries.length).toBe(before);
    expect(actions(m, 'echo')).toEqual(['deploy-started', 'deployed']);
  });

  it('refuses at validate what is not a stored, intact plugin named as the request says (audited, nothing bound)', async () => {
    const m = await open();
    const missing = `sha256:${'0'.repeat(64)}`;
    const err = await m.deploy({ manifest: manifest('echo', '1.0.0'), digest: missing, actor: 'test' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LN_ERR_VERSION_DEPLOY_FAILED', details: { step: 'validate', causeCode: 'LN_ERR_LOAD_NOT_FOUND' } });
    const { digest } = await m.storeArtifact(readFileSync(fixture('strings')));
    expect(await m.deploy({ manifest: manifest('lib', '1.0.0'), digest, actor: 'test' }).catch((e: { details: unknown }) => e.details)).toMatchObject({
      step: 'validate',
      reason: expect.stringContaining('not a plugin'),
    });
    const async = await m.storeArtifact(readFileSync(fixture('async-command')));
    expect(
      await m.deploy({ manifest: manifest('lib', '1.0.0'), digest: async.digest, actor: 'test' }).catch((e: { details: unknown }) => e.details),
    ).toMatchObject({ step: 'validate', causeCode: 'LN_ERR_LOAD_ASYNC_UNSUPPORTED' });
    const echo = await m.storeArtifact(ECHO);
    const mismatch = manifest('echo', '1.0.0', { digest });
    expect(await m.deploy({ manifest: mismatch, digest: echo.digest, actor: 'test' }).catch((e: { details: unknown }) => e.details)).toMatchObject({
      step: 'validate',
    });
    expect(m.registry.versions('echo')).toEqual([]);
    expect(m.audit({ name: 'echo' }).entries.map((e) => [e.action, e.actor])).toEqual([
      ['refused', 'test'],
      ['refused', 'test'],
    ]);
    expect(await codeOfAsync(m.storeArtifact(new Uint8Array([1, 2, 3])))).toBe('LN_ERR_LOAD_NOT_WASM');
    expect(await codeOfAsync(m.call('echo', event(1)))).toBe('LN_ERR_VERSION_STATE');
  });

  it('grants the active version does not have need approval; the approval is audited with the deploy', async () => {
    const m = await open();
    await deployed(m, 'echo', '1.0.0', ECHO);
    const env = { capabilities: { env: { LEVEL: 'info' } } };
    const refused = await deployed(m, 'echo', '1.1.0', ECHO, {}, env).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'LN_ERR_VERSION_APPROVAL_REQUIRED', details: { added: '+ environment: LEVEL' } });
    expect(m.status('echo').deployment.active).toBe('1.0.0');
    const ok = await deployed(m, 'echo', '1.1.0', ECHO, { approveCapabilities: true }, env);
    expect(ok.capabilities?.added).toEqual([{ capability: 'environment', grant: 'LEVEL' }]);
    expect(actions(m, 'echo')).toEqual(['deploy-started', 'deployed', 'refused', 'grants-approved', 'deploy-started', 'deployed']);
    // Dropping the grant again needs nothing.
    expect((await deployed(m, 'echo', '1.2.0', ECHO)).capabilities?.removed).toEqual([{ capability: 'environment', grant: 'LEVEL' }]);
  });

  it('a grant beyond the operator policy fails at capability-check', async () => {
    const policy = parsePolicy({ env: { allow: ['TZ'] } }, 'test-policy.json', tmpdir());
    const m = await open({ policy });
    const err = await deployed(m, 'echo', '1.0.0', ECHO, { approveCapabilities: true }, { capabilities: { env: { LEVEL: 'x' } } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LN_ERR_VERSION_DEPLOY_FAILED', details: { step: 'capability-check', causeCode: 'LN_ERR_CAP_POLICY' } });
  });

  it('a failing probe (init refuses, or the probe event fails) leaves the active version serving', async () => {
    const m = await open();
    await deployed(m, 'echo', '1.0.0', ECHO);
    const initFails = await deployed(m, 'echo', '2.0.0', COUNTER, {}, { config: { 'fail-init': 'no database' } }).catch((e: unknown) => e);
    expect(initFails).toMatchObject({
      code: 'LN_ERR_VERSION_DEPLOY_FAILED',
      details: { step: 'probe', causeCode: 'LN_ERR_GUEST_INIT', reason: expect.stringContaining('no database') },
    });
    expect(m.status('echo').deployment).toMatchObject({ active: '1.0.0', deploy: { version: '2.0.0', status: 'failed', step: 'probe' } });
    expect((await m.call('echo', event(2))).version).toBe('1.0.0');
    const probeFails = await deployed(m, 'echo', '3.0.0', ECHO, { probe: event(3, 'fail') }).catch((e: unknown) => e);
    expect(probeFails).toMatchObject({ details: { step: 'probe', reason: expect.stringContaining('asked to fail') } });
    expect((await deployed(m, 'echo', '3.0.1', ECHO, { probe: event(3) })).outcome).toBe('deployed');
    expect(actions(m, 'echo').filter((a) => a === 'deploy-failed')).toHaveLength(2);
    expect(m.status('echo').standby).toBeNull();
  });
});

describe('strategies', () => {
  it('canary: calls split by weight; the weight can change; promote makes it active; abort drops it', async () => {
    const m = await open({ random: seeded(7) });
    await deployed(m, 'echo', '1.0.0', ECHO);
    const canary = await deployed(m, 'echo', '2.0.0', variant(ECHO, 'v2'), { strategy: 'canary', canaryWeight: 30 });
    expect(canary).toMatchObject({ outcome: 'canary', deployment: { active: '1.0.0', deploy: { status: 'canary', weight: 30 } } });
    const served = async (n: number): Promise<Record<string, number>> => {
      const counts: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const o = await m.call('echo', event(i));
        expect(o.ok).toBe(true);
        counts[o.version] = (counts[o.version] ?? 0) + 1;
      }
      return counts;
    };
    const split = await served(200);
    expect(split['2.0.0']).toBeGreaterThan(30);
    expect(split['2.0.0']).toBeLessThan(90);
    await m.setCanaryWeight('echo', 100, 'test');
    expect(await served(20)).toEqual({ '2.0.0': 20 });
    expect(m.status('echo').candidate).toMatchObject({ version: '2.0.0', weight: 100 });
    await m.promote('echo', 'test');
    expect(m.status('echo')).toMatchObject({
      deployment: { active: '2.0.0', previous: '1.0.0', deploy: { status: 'deployed' } },
      candidate: null,
      standby: null,
    });

    await deployed(m, 'echo', '3.0.0', variant(ECHO, 'v3'), { strategy: 'canary', canaryWeight: 50 });
    await m.abort('echo', 'test', 'not today');
    expect(await served(10)).toEqual({ '2.0.0': 10 });
    expect(m.status('echo').deployment.deploy).toMatchObject({ version: '3.0.0', status: 'aborted' });
    expect(await codeOfAsync(m.promote('echo', 'test'))).toBe('LN_ERR_VERSION_STATE');
    expect(actions(m, 'echo')).toEqual([
      'deploy-started',
      'deployed',
      'deploy-started',
      'canary-weight',
      'canary-weight',
      'promoted',
      'deploy-started',
      'canary-weight',
      'aborted',
      'refused',
    ]);
  });

  it('blue-green keeps the old version warm: rolling back starts nothing', async () => {
    const m = await open();
    await deployed(m, 'echo', '1.0.0', ECHO);
    await deployed(m, 'echo', '2.0.0', variant(ECHO, 'bg2'), { strategy: 'blue-green' });
    const standby = m.status('echo').standby!;
    expect(standby).toMatchObject({ version: '1.0.0', pool: { instances: 1 }, watched: false });
    const rolled = await m.rollback('echo', { actor: 'test' });
    expect(rolled).toMatchObject({ from: '2.0.0', to: '1.0.0', source: 'standby' });
    const after = m.status('echo');
    expect(after.active).toMatchObject({ version: '1.0.0', pool: { started: standby.pool.started } });
    expect(after.standby?.version).toBe('2.0.0'); // blue-green: the version left stays warm too
    expect((await m.call('echo', event(1))).version).toBe('1.0.0');
  });

  // Issue 15 item 7: an idle standby costs almost nothing; a rollback to it re-instantiates.
  it('a blue-green standby past its warm window is parked (no instances) and still takes a rollback', async () => {
    const m = await open({ standbyWarmMs: 0 });
    await deployed(m, 'echo', '1.0.0', ECHO);
    await deployed(m, 'echo', '2.0.0', variant(ECHO, 'bg-park'), { strategy: 'blue-green' });
    await vi.waitFor(() => expect(m.status('echo').standby).toMatchObject({ version: '1.0.0', pool: { instances: 0 } }));
    const rolled = await m.rollback('echo', { actor: 'test' });
    expect(rolled).toMatchObject({ from: '2.0.0', to: '1.0.0', source: 'standby' });
    expect(m.status('echo').active).toMatchObject({ version: '1.0.0', pool: { instances: 1 } });
    expect((await m.call('echo', event(1))).version).toBe('1.0.0');
    await vi.waitFor(() => expect(m.status('echo').standby).toMatchObject({ version: '2.0.0', pool: { instances: 0 } }));
  });

  it('rollback starts an earlier version from the cache (no transpile), to the previous one or any retained one', async () => {
    const m = await open();
    await deployed(m, 'echo', '1.0.0', ECHO);
    await deployed(m, 'echo', '2.0.0', variant(ECHO, 'rb2'));
    await deployed(m, 'echo', '3.0.0', variant(ECHO, 'rb3'));
    expect(m.status('echo').standby).toBeNull();
    const back = await m.rollback('echo', { actor: 'test', reason: 'bad numbers' });
    expect(back).toMatchObject({ from: '3.0.0', to: '2.0.0' });
    expect(back.source).not.toBe('transpiled');
    const first = await m.rollback('echo', { to: '1.0.0', actor: 'test' });
    expect(first).toMatchObject({ from: '2.0.0', to: '1.0.0' });
    expect((await m.call('echo', event(1))).version).toBe('1.0.0');
    expect(await codeOfAsync(m.rollback('echo', { to: '9.9.9', actor: 'test' }))).toBe('LN_ERR_VERSION_NOT_FOUND');
    expect(await codeOfAsync(m.rollback('echo', { to: '1.0.0', actor: 'test' }))).toBe('LN_ERR_VERSION_STATE');
    expect(
      m
        .history('echo')
        .entries.slice(0, 4)
        .map((e) => [e.action, e.version, e.reason]),
    ).toEqual([
      ['refused', '1.0.0', expect.stringContaining('already active')],
      ['refused', '9.9.9', expect.stringContaining('No version 9.9.9')],
      ['rolled-back', '1.0.0', null],
      ['rolled-back', '2.0.0', 'bad numbers'],
    ]);
  });
});

describe('automatic rollback', () => {
  const health = { windowCalls: 20, minCalls: 10, maxErrorRate: 0.5 };

  it('an unhealthy canary is aborted by itself, with the error rate as the reason', async () => {
    const m = await open({ health, random: seeded(3) });
    await deployed(m, 'echo', '1.0.0', ECHO);
    await deployed(m, 'echo', '2.0.0', BROKEN, { strategy: 'canary', canaryWeight: 50 });
    const failedOn = new Set<string>();
    for (let i = 0; i < 200 && m.status('echo').candidate; i++) {
      const o = await m.call('echo', event(i));
      if (!o.ok) failedOn.add(o.version);
    }
    await until(() => m.status('echo').candidate === null, 'the canary to be aborted');
    expect(failedOn).toEqual(new Set(['2.0.0']));
    expect(m.status('echo')).toMatchObject({ candidate: null, deployment: { active: '1.0.0', deploy: { version: '2.0.0', status: 'aborted' } } });
    const aborted = m.history('echo').entries.find((e) => e.action === 'aborted')!;
    expect(aborted).toMatchObject({
      actor: HEALTH_ACTOR,
      reason: expect.stringMatching(/^error rate [01]\.\d\d \(\d+ of the last \d+ calls\) passed the limit of 0\.5$/),
    });
    for (let i = 0; i < 20; i++) expect((await m.call('echo', event(i))).ok).toBe(true);
  });

  it('an unhealthy version just swapped in is rolled back by itself; one that was not swapped in is left alone', async () => {
    const m = await open({ health });
    await deployed(m, 'echo', '1.0.0', ECHO);
    await deployed(m, 'echo', '2.0.0', BROKEN);
    for (let i = 0; i < 100 && m.status('echo').deployment.active === '2.0.0'; i++) await m.call('echo', event(i));
    await until(() => m.status('echo').deployment.active === '1.0.0', 'the automatic rollback');
    expect(m.status('echo').deployment).toMatchObject({ active: '1.0.0', previous: '2.0.0', deploy: { status: 'rolled-back' } });
    expect(m.history('echo').entries.find((e) => e.action === 'auto-rolled-back')).toMatchObject({
      action: 'auto-rolled-back',
      actor: HEALTH_ACTOR,
      version: '1.0.0',
      fromVersion: '2.0.0',
      details: { automatic: true },
    });

    // Made active by hand (a rollback), the broken version is not second-guessed.
    await m.rollback('echo', { actor: 'test' });
    for (let i = 0; i < 30; i++) await m.call('echo', event(i));
    // Changes to a name run one at a time: once this (refused) one has run, an automatic rollback
    // queued by those calls would have run too.
    expect(await codeOfAsync(m.setCanaryWeight('echo', 5, 'test'))).toBe('LN_ERR_VERSION_STATE');
    expect(m.status('echo').deployment.active).toBe('2.0.0');
    expect(m.status('echo').active?.watched).toBe(false);
    expect(m.status('echo').active?.health).toMatchObject({ errorRate: 1, windowCalls: 20 });
  });
});

describe('state handoff', () => {
  const count = async (m: VersionManager, i: number): Promise<{ version: string; count: string }> => {
    const o = await m.call('counter', event(i));
    if (!o.ok) throw new Error(JSON.stringify(o));
    return { version: o.version, count: String(o.events[0]!.data) };
  };

  it('moves the state when both versions export it, starts fresh otherwise, and a refused restore fails the deploy', async () => {
    const m = await open();
    await deployed(m, 'counter', '1.0.0', COUNTER);
    for (let i = 1; i <= 3; i++) expect(await count(m, i)).toEqual({ version: '1.0.0', count: String(i) });
    const v2 = await deployed(m, 'counter', '2.0.0', variant(COUNTER, 'c2'));
    expect(v2.handoff).toEqual({ kind: 'state', from: '1.0.0', bytes: 'counter-v1:3'.length, instances: 1 });
    expect(await count(m, 4)).toEqual({ version: '2.0.0', count: '4' });

    const refused = await deployed(m, 'counter', '2.1.0', COUNTER, {}, { config: { 'reject-restore': 'format changed' } }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'LN_ERR_VERSION_DEPLOY_FAILED', details: { step: 'probe', reason: expect.stringContaining('format changed') } });
    expect(await count(m, 5)).toEqual({ version: '2.0.0', count: '5' });

    const echo = await deployed(m, 'counter', '3.0.0', ECHO);
    expect(echo.handoff).toMatchObject({ kind: 'fresh', reason: expect.stringContaining('counter@3.0.0 does not export liquid-nano:plugin/state') });
    // Back to a stateful version: it starts from what it had, there is no state to take from echo.
    const back = await m.rollback('counter', { actor: 'test' });
    expect(back.handoff.kind).toBe('fresh');
    expect((await count(m, 6)).count).toBe('1');
  });

  it('holds calls during the handoff so none of their effects is lost', async () => {
    const m = await open();
    await deployed(m, 'counter', '1.0.0', COUNTER, {}, { limits: { concurrency: 1, timeout: '5s' } });
    let stop = false;
    let handled = 0;
    const load = (async () => {
      while (!stop) {
        const o = await m.call('counter', event(handled));
        expect(o.ok).toBe(true);
        handled++;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await deployed(m, 'counter', '2.0.0', variant(COUNTER, 'held'), {}, { limits: { concurrency: 1, timeout: '5s' } });
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await load;
    // One instance per version, calls one at a time: the count is exactly the number of calls.
    expect(await count(m, 0)).toEqual({ version: '2.0.0', count: String(handled + 1) });
  });
});

describe('deploys to one name', () => {
  it('are serialized; other names deploy side by side; concurrent duplicates deploy once', async () => {
    const m = await open();
    await deployed(m, 'echo', '1.0.0', ECHO);
    const a = await m.storeArtifact(variant(ECHO, 'c2'));
    const b = await m.storeArtifact(variant(ECHO, 'c3'));
    const results = await Promise.all([
      m.deploy({ manifest: manifest('echo', '2.0.0'), digest: a.digest, actor: 'a' }),
      m.deploy({ manifest: manifest('echo', '3.0.0'), digest: b.digest, actor: 'b' }),
      m.deploy({ manifest: manifest('echo', '3.0.0'), digest: b.digest, actor: 'c' }),
      m.deploy({ manifest: manifest('other', '1.0.0'), digest: a.digest, actor: 'd' }),
    ]);
    expect(results.map((r) => [r.version, r.outcome, r.from])).toEqual([
      ['2.0.0', 'deployed', '1.0.0'],
      ['3.0.0', 'deployed', '2.0.0'],
      ['3.0.0', 'unchanged', '3.0.0'],
      ['1.0.0', 'deployed', null],
    ]);
    expect(actions(m, 'echo')).toEqual(['deploy-started', 'deployed', 'deploy-started', 'deployed', 'deploy-started', 'deployed']);
    expect(m.plugins().map((p) => `${p.name}@${p.version}`)).toEqual(['echo@3.0.0', 'other@1.0.0']);
    expect(m.audit({ verify: true }).verification).toMatchObject({ ok: true });
  });
});

describe('restart and retention', () => {
  it('a new manager on the same data dir serves what was active, with the blue-green standby warm, from the cache', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lnano-vm-restart-'));
    const first = new VersionManager({ dataDir, engine });
    await first.restore();
    const { digest } = await first.storeArtifact(ECHO);
    await first.deploy({ manifest: manifest('echo', '1.0.0'), digest, actor: 'test' });
    const second = await first.storeArtifact(variant(ECHO, 'restart'));
    await first.deploy({ manifest: manifest('echo', '2.0.0'), digest: second.digest, actor: 'test', strategy: 'blue-green' });
    await first.close();

    const reopened = new VersionManager({ dataDir, engine: new Engine({ cacheDir }) });
    managers.push(reopened);
    // Issue 15 item 6: the cache has both versions, so no artifact is read (nor hashed or decoded).
    const reads = vi.spyOn(reopened.artifacts, 'get');
    const report = await reopened.restore();
    expect(report).toMatchObject({ serving: [{ name: 'echo', version: '2.0.0', standby: '1.0.0' }], failed: [], interrupted: [] });
    expect(reads).not.toHaveBeenCalled();
    expect(reopened.status('echo').active?.version).toBe('2.0.0');
    expect((await reopened.call('echo', event(1))).version).toBe('2.0.0');
    expect((await reopened.rollback('echo', { actor: 'test' })).source).toBe('standby');
    expect(await codeOfAsync(reopened.restore())).toBe('LN_ERR_VERSION_STATE');
  });

  it('a version that cannot start after a restart is reported; the other names serve, and a rollback brings the name back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lnano-vm-damaged-'));
    const first = new VersionManager({ dataDir, engine });
    await first.restore();
    const good = await first.storeArtifact(variant(ECHO, 'good'));
    const bad = await first.storeArtifact(variant(ECHO, 'damaged'));
    await first.deploy({ manifest: manifest('a', '1.0.0'), digest: good.digest, actor: 'test' });
    await first.deploy({ manifest: manifest('a', '2.0.0'), digest: bad.digest, actor: 'test' });
    await first.deploy({ manifest: manifest('b', '1.0.0'), digest: good.digest, actor: 'test' });
    await first.close();
    writeFileSync(first.artifacts.pathOf(bad.digest), 'not the bytes any more');

    const reopened = new VersionManager({ dataDir, engine });
    managers.push(reopened);
    const report = await reopened.restore();
    expect(report.serving.map((s) => s.name)).toEqual(['b']);
    expect(report.failed).toMatchObject([
      { name: 'a', version: '2.0.0', error: { code: 'LN_ERR_VERSION_DEPLOY_FAILED', details: { step: 'validate', causeCode: 'LN_ERR_LOAD_INVALID' } } },
    ]);
    expect((await reopened.call('b', event(1))).ok).toBe(true);
    expect(await codeOfAsync(reopened.call('a', event(1)))).toBe('LN_ERR_VERSION_STATE');
    expect(reopened.status('a').active).toBeNull();
    await reopened.rollback('a', { actor: 'test', reason: 'damaged artifact' });
    expect((await reopened.call('a', event(2))).version).toBe('1.0.0');
  });

  it('keeps `retain` versions (plus active and previous) and deletes the artifacts of the others', async () => {
    const m = await open({ retain: 2 });
    const digests: string[] = [];
    for (let v = 1; v <= 5; v++) {
      const { digest } = await m.storeArtifact(variant(ECHO, `keep${v}`));
      digests.push(digest);
      await m.deploy({ manifest: manifest('echo', `${v}.0.0`), digest, actor: 'test' });
    }
    expect(m.registry.versions('echo').map((v) => v.version)).toEqual(['5.0.0', '4.0.0']);
    expect(await Promise.all(digests.map((d) => m.artifacts.has(d)))).toEqual([false, false, false, true, true]);
    expect(actions(m, 'echo').filter((a) => a === 'pruned')).toHaveLength(3);
    expect(await codeOfAsync(m.rollback('echo', { to: '1.0.0', actor: 'test' }))).toBe('LN_ERR_VERSION_NOT_FOUND');
  });
});
