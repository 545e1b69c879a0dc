// Swaps under load: a bounded, continuous stream of calls keeps running while versions are
// deployed (immediate, blue-green, canary), promoted and rolled back, across two languages
// (echo-c and the 12 MB componentize-js echo-ts). Not one call may fail because of a swap.
// Then a broken release (echo-broken) goes out as a canary and as an immediate swap: only its own
// calls fail, and it is taken out by itself.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../host/engine/engine.js';
import type { PluginEvent } from '../../host/engine/plugin-event.js';
import { parseManifest } from '../../host/versions/manifest.js';
import { type DeployRequest, HEALTH_ACTOR, VersionManager } from '../../host/versions/version-manager.js';
import { example, fixture } from '../helpers/cli.js';

const ECHO = readFileSync(example('echo-c'));
const ECHO_TS = readFileSync(example('echo-ts'));
const BROKEN = readFileSync(fixture('echo-broken'));

const managers: VersionManager[] = [];
afterAll(async () => {
  await Promise.all(managers.map((m) => m.close()));
});

/** The component with a custom section appended: another digest, the same behaviour. */
function variant(bytes: Uint8Array, tag: string): Uint8Array {
  const name = Buffer.from('lnano-test');
  const body = Buffer.concat([Buffer.from([name.length]), name, Buffer.from(tag)]);
  return new Uint8Array(Buffer.concat([bytes, Buffer.from([0, body.length]), body]));
}

function event(i: number): PluginEvent {
  return {
    id: `e${i}`,
    type: 'reading',
    source: '/load',
    time: undefined,
    datacontenttype: 'text/plain',
    data: new TextEncoder().encode(`n=${i}`),
    extensions: [],
  };
}

interface Sample {
  readonly version: string;
  readonly ok: boolean;
  readonly code?: string;
  readonly echoed: boolean;
}

/** `workers` callers, each sending its next call when the last one answered, until stopped. */
class Load {
  readonly samples: Sample[] = [];
  readonly thrown: unknown[] = [];
  #stop = false;
  readonly #done: Promise<void>;

  constructor(manager: VersionManager, name: string, workers: number) {
    let n = 0;
    const worker = async (): Promise<void> => {
      while (!this.#stop) {
        const i = n++;
        try {
          const o = await manager.call(name, event(i));
          const echoed = o.ok && o.events.length === 1 && o.events[0]!.id === `e${i}-echo` && o.events[0]!.data === `n=${i}`;
          this.samples.push({ version: o.version, ok: o.ok, echoed, ...(o.ok ? {} : { code: o.error.code }) });
        } catch (err) {
          this.thrown.push(err);
        }
        // Let the deploys' own work (transpile, worker start-up) share the event loop.
        await new Promise((r) => setImmediate(r));
      }
    };
    this.#done = Promise.all(Array.from({ length: workers }, worker)).then(() => undefined);
  }

  /** Resolves once `count` more calls were answered (by `version`, when given). */
  async more(count: number, version?: string): Promise<void> {
    const matching = (): number => (version === undefined ? this.samples.length : this.samples.filter((s) => s.version === version).length);
    const target = matching() + count;
    for (let i = 0; i < 3000 && matching() < target; i++) await new Promise((r) => setTimeout(r, 10));
    if (matching() < target) throw new Error(`the load did not reach ${count} more calls${version ? ` on ${version}` : ''}`);
  }

  stop(): Promise<void> {
    this.#stop = true;
    return this.#done;
  }

  byVersion(from = 0): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const s of this.samples.slice(from)) counts[s.version] = (counts[s.version] ?? 0) + 1;
    return counts;
  }
}

async function open(): Promise<VersionManager> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lnano-swap-load-'));
  const manager = new VersionManager({
    dataDir,
    engine: new Engine({ cacheDir: join(dataDir, 'cache') }),
    health: { windowCalls: 40, minCalls: 20, maxErrorRate: 0.5 },
  });
  managers.push(manager);
  await manager.restore();
  return manager;
}

async function deploy(m: VersionManager, version: string, bytes: Uint8Array, extra: Partial<DeployRequest> = {}, memory = '16MiB') {
  const { digest } = await m.storeArtifact(bytes);
  const manifest = parseManifest({ name: 'echo', version, limits: { memory, timeout: '10s', concurrency: 2 } }, `echo@${version}`, tmpdir());
  return m.deploy({ manifest, digest, actor: 'load-test', ...extra });
}

describe('swaps under continuous load', () => {
  it('deploys, blue-green, a canary, promote and rollbacks across C and TypeScript versions: zero failed calls', async () => {
    const m = await open();
    await deploy(m, '1.0.0', ECHO);
    const load = new Load(m, 'echo', 4);
    await load.more(50);

    await deploy(m, '2.0.0', ECHO); // same bytes, new version
    await load.more(50, '2.0.0');
    await deploy(m, '3.0.0', ECHO_TS, {}, '256MiB'); // another language: transpiled while 2.0.0 serves
    await load.more(50, '3.0.0');
    const back = await m.rollback('echo', { actor: 'load-test' });
    expect(back).toMatchObject({ from: '3.0.0', to: '2.0.0' });
    expect(back.source).not.toBe('transpiled');
    await load.more(50, '2.0.0');

    await deploy(m, '4.0.0', variant(ECHO, 'bg'), { strategy: 'blue-green' });
    await load.more(50, '4.0.0');
    expect((await m.rollback('echo', { actor: 'load-test' })).source).toBe('standby');
    await load.more(50, '2.0.0');

    const mark = load.samples.length;
    await deploy(m, '5.0.0', variant(ECHO_TS, 'canary'), { strategy: 'canary', canaryWeight: 50 }, '256MiB');
    await load.more(40, '5.0.0');
    const split = load.byVersion(mark);
    expect(split['2.0.0']).toBeGreaterThan(0);
    await m.promote('echo', 'load-test');
    await load.more(50, '5.0.0');
    await load.stop();

    const failed = load.samples.filter((s) => !s.ok || !s.echoed);
    expect(load.thrown).toEqual([]);
    expect(failed).toEqual([]);
    expect(Object.keys(load.byVersion()).sort()).toEqual(['1.0.0', '2.0.0', '3.0.0', '4.0.0', '5.0.0']);
    expect(m.status('echo').deployment).toMatchObject({ active: '5.0.0', previous: '2.0.0', deploy: { status: 'deployed' } });
    console.log(`swap load: ${load.samples.length} calls, 0 failed, by version ${JSON.stringify(load.byVersion())}`);
  });

  it('a broken canary fails only its own share and is aborted by itself; a broken swap is rolled back by itself', async () => {
    const m = await open();
    await deploy(m, '1.0.0', ECHO);
    const load = new Load(m, 'echo', 4);
    await load.more(20);

    const beforeCanary = load.samples.length;
    await deploy(m, '2.0.0', BROKEN, { strategy: 'canary', canaryWeight: 50 });
    for (let i = 0; i < 3000 && m.status('echo').candidate; i++) await new Promise((r) => setTimeout(r, 10));
    expect(m.status('echo').candidate).toBeNull();
    const aborted = load.samples.length;
    await load.more(50);

    const beforeSwap = load.samples.length;
    await deploy(m, '3.0.0', variant(BROKEN, 'swap'));
    for (let i = 0; i < 3000 && m.status('echo').deployment.active === '3.0.0'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(m.status('echo').deployment).toMatchObject({ active: '1.0.0', previous: '3.0.0' });
    const rolledBack = load.samples.length;
    await load.more(50);
    await load.stop();

    expect(load.thrown).toEqual([]);
    // Every failure is a guest error of a broken version; none of the healthy version's calls failed.
    const failures = load.samples.filter((s) => !s.ok);
    expect(new Set(failures.map((s) => `${s.version} ${s.code}`))).toEqual(new Set(['2.0.0 LN_ERR_GUEST_ERROR', '3.0.0 LN_ERR_GUEST_ERROR']));
    expect(load.samples.filter((s) => s.version === '1.0.0').every((s) => s.ok && s.echoed)).toBe(true);
    expect(load.samples.slice(0, beforeCanary).every((s) => s.ok)).toBe(true);
    // After each automatic action, only calls already in flight on the broken version can fail (4 callers).
    expect(load.samples.slice(aborted).filter((s) => s.version === '2.0.0').length).toBeLessThanOrEqual(4);
    expect(load.samples.slice(rolledBack).filter((s) => s.version === '3.0.0').length).toBeLessThanOrEqual(4);
    expect(load.samples.slice(beforeSwap, rolledBack).some((s) => s.version === '3.0.0')).toBe(true);

    const entries = m.history('echo').entries;
    expect(entries.find((e) => e.action === 'aborted')).toMatchObject({ actor: HEALTH_ACTOR, version: '2.0.0', reason: expect.stringContaining('error rate') });
    expect(entries.find((e) => e.action === 'auto-rolled-back')).toMatchObject({ actor: HEALTH_ACTOR, version: '1.0.0', fromVersion: '3.0.0' });
    console.log(
      `broken releases under load: of ${load.samples.length} calls, ${failures.filter((s) => s.version === '2.0.0').length} failed on the canary, ${failures.filter((s) => s.version === '3.0.0').length} on the swapped-in version; none elsewhere`,
    );
  });
});
