import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { closedGrants } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { type Component, findExport } from '../../host/engine/component.js';
import { Engine } from '../../host/engine/engine.js';
import { InstancePool } from '../../host/resources/instance-pool.js';
import { LIMIT_DEFAULTS, type Limits } from '../../host/resources/limits.js';
import { fixture } from '../helpers/cli.js';
import { codeOfAsync } from '../helpers/errors.js';

const engine = new Engine();
const pools: InstancePool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

async function slowPool(limits: Partial<Limits>): Promise<{ pool: InstancePool; component: Component }> {
  const component = await engine.load(readFileSync(fixture('slow')), 'slow');
  const pool = new InstancePool(component, {
    name: 'slow',
    limits: { ...LIMIT_DEFAULTS, ...limits },
    instance: { linker: linkerSpec(closedGrants('slow')) },
  });
  pools.push(pool);
  await pool.warm();
  return { pool, component };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!check()) throw new Error(`gave up waiting for ${what}`);
}

describe('instance pool', () => {
  it('keeps the warm minimum, runs at most `concurrency` calls, queues `queue` more, refuses the rest at once', async () => {
    const { pool, component } = await slowPool({ concurrency: 2, queue: 3, minInstances: 2 });
    expect(pool.stats()).toMatchObject({ instances: 2, idle: 2, busy: 0 });
    const wait = findExport(component.shape, 'wait-ms')!;
    const calls = Array.from({ length: 10 }, () => pool.call(wait, [150]));
    expect(pool.stats()).toMatchObject({ busy: 2, queued: 3 });
    const settled = await Promise.allSettled(calls);
    const ok = settled.filter((s) => s.status === 'fulfilled');
    const refused = settled.filter((s) => s.status === 'rejected' && (s.reason as { code?: string }).code === 'LN_ERR_BUDGET_CONCURRENCY');
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(5);
    expect(pool.stats()).toMatchObject({ instances: 2, refused: 5, died: 0, started: 2 });
  });

  it('grows on demand up to `concurrency`, from a cold start', async () => {
    const { pool, component } = await slowPool({ concurrency: 3, queue: 10, minInstances: 0 });
    expect(pool.stats().instances).toBe(0);
    const wait = findExport(component.shape, 'wait-ms')!;
    const results = await Promise.all(Array.from({ length: 6 }, () => pool.call(wait, [50])));
    expect(results.map((r) => r.value)).toEqual([50, 50, 50, 50, 50, 50]);
    expect(pool.stats().instances).toBeLessThanOrEqual(3);
    expect(pool.stats().started).toBeLessThanOrEqual(3);
  });

  it('a call past its deadline kills only its instance; a replacement restores the warm minimum', async () => {
    const { pool, component } = await slowPool({ concurrency: 2, queue: 4, minInstances: 2, timeoutMs: 200 });
    const wait = findExport(component.shape, 'wait-ms')!;
    const ok = findExport(component.shape, 'ok')!;
    const [stuck, fine] = await Promise.allSettled([pool.call(wait, [60_000]), pool.call(ok, [])]);
    expect(stuck.status === 'rejected' && (stuck.reason as { code: string }).code).toBe('LN_ERR_BUDGET_TIME');
    expect(fine.status === 'fulfilled' && fine.value.value).toBe(1);
    await until(() => pool.stats().instances === 2, 'the replacement instance');
    expect(pool.stats()).toMatchObject({ died: 1, started: 3 });
    expect((await pool.call(ok, [])).value).toBe(1);
  });

  it('a per-call option overrides the pool deadline', async () => {
    const { pool, component } = await slowPool({ concurrency: 1, queue: 1, minInstances: 1, timeoutMs: 60_000 });
    const wait = findExport(component.shape, 'wait-ms')!;
    expect(await codeOfAsync(pool.call(wait, [60_000], { timeoutMs: 100 }))).toBe('LN_ERR_BUDGET_TIME');
  });

  it('close fails queued calls, lets in-flight ones finish, then refuses new ones', async () => {
    const { pool, component } = await slowPool({ concurrency: 1, queue: 5, minInstances: 1 });
    const wait = findExport(component.shape, 'wait-ms')!;
    const inFlight = pool.call(wait, [200]);
    const queued = codeOfAsync(pool.call(wait, [10]));
    const closing = pool.close();
    expect((await inFlight).value).toBe(200);
    expect(await queued).toBe('LN_ERR_GUEST_CRASH');
    await closing;
    expect(await codeOfAsync(pool.call(wait, [1]))).toBe('LN_ERR_GUEST_CRASH');
    expect(pool.stats().instances).toBe(0);
  });

  it('a parked pool (idle standby) drops its instances to zero, still answers, and warms again when unparked', async () => {
    const { pool, component } = await slowPool({ concurrency: 2, queue: 4, minInstances: 2 });
    const wait = findExport(component.shape, 'wait-ms')!;
    expect(pool.stats().instances).toBe(2);
    await pool.park();
    expect(pool.stats()).toMatchObject({ instances: 0, starting: 0 });
    expect((await pool.call(wait, [1])).value).toBe(1);
    await pool.unpark();
    expect(pool.stats()).toMatchObject({ instances: 2, idle: 2 });
  });
});
