// Adversarial guests against the resource manager. Each attack must be stopped with the right
// code while a second, well-behaved component keeps answering; its latency during the attack is
// reported (not asserted: the machine is noisy), and none of its calls may fail.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { closedGrants } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { type CallableExport, type Component, findExport } from '../../host/engine/component.js';
import { Engine } from '../../host/engine/engine.js';
import { InstancePool } from '../../host/resources/instance-pool.js';
import { LIMIT_DEFAULTS, type Limits } from '../../host/resources/limits.js';
import { meterFor } from '../../host/resources/metering.js';
import { fixture } from '../helpers/cli.js';

const engine = new Engine();
const pools: InstancePool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

async function pool(name: string, partial: Partial<Limits>): Promise<{ pool: InstancePool; fn: (n: string) => CallableExport; component: Component }> {
  const limits = { ...LIMIT_DEFAULTS, ...partial };
  // Loaded as the host loads every component: instrumented for its memory cap (and fuel, if set).
  const component = await engine.load(readFileSync(fixture(name)), name, { meter: meterFor(limits) });
  const p = new InstancePool(component, { name, limits, instance: { linker: linkerSpec(closedGrants(name)) } });
  pools.push(p);
  await p.warm();
  return { pool: p, component, fn: (n) => findExport(component.shape, n)! };
}

/** The well-behaved component: calls `ok()` back to back while an attack runs. */
async function bystander(): Promise<{ during<T>(attack: () => Promise<T>): Promise<{ result: T; calls: number; failures: number; p99Ms: number }> }> {
  const { pool: p, fn } = await pool('slow', { concurrency: 1, minInstances: 1, timeoutMs: 10_000 });
  const ok = fn('ok');
  return {
    async during(attack) {
      let running = true;
      const latencies: number[] = [];
      let failures = 0;
      const loop = (async () => {
        while (running) {
          const t = performance.now();
          try {
            await p.call(ok, []);
            latencies.push(performance.now() - t);
          } catch {
            failures++;
          }
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      const result = await attack();
      // Keep measuring a little after the attack too: the replacement instance starts then.
      await new Promise((r) => setTimeout(r, 100));
      running = false;
      await loop;
      latencies.sort((a, b) => a - b);
      const p99Ms = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? NaN;
      return { result, calls: latencies.length, failures, p99Ms };
    },
  };
}

const codeOf = (err: unknown): string => (err as { code?: string }).code ?? String(err);

describe('resource budgets under attack (a bystander keeps answering)', () => {
  it.each([
    ['an infinite loop', 'spin', 'spin', [], 'LN_ERR_BUDGET_TIME', {}],
    ['allocation churn that never returns', 'hostile-cpu', 'churn', [], 'LN_ERR_BUDGET_TIME', {}],
    ['unbounded recursion', 'hostile-cpu', 'recurse', [100_000_000], 'LN_ERR_GUEST_TRAP', {}],
    ['growing memory toward 4 GiB', 'memory-grower', 'grow-forever', [], 'LN_ERR_BUDGET_MEMORY', { memoryBytes: 64 * 1024 * 1024, timeoutMs: 30_000 }],
    ['a fuel bomb', 'fuel-loop', 'spin', [], 'LN_ERR_BUDGET_FUEL', { fuel: 50_000_000, timeoutMs: 30_000 }],
  ] as const)('%s is stopped with its code, the instance is replaced', async (_what, name, exportName, args, code, limits) => {
    const witness = await bystander();
    const { pool: attacker, fn } = await pool(name, { concurrency: 1, minInstances: 1, timeoutMs: 300, ...limits });
    const { result, calls, failures, p99Ms } = await witness.during(() => attacker.call(fn(exportName), [...args]).then(() => 'ok', codeOf));
    expect(result).toBe(code);
    expect(failures).toBe(0);
    expect(calls).toBeGreaterThan(0);
    console.info(`[budgets] ${_what}: stopped with ${result}; bystander ${calls} calls, p99 ${p99Ms.toFixed(1)} ms`);
    // The attacker's pool serves again on a fresh instance.
    if (name === 'hostile-cpu') expect((await attacker.call(fn('ok'), [])).value).toBe(1);
    if (name === 'memory-grower') expect((await attacker.call(fn('grow'), [0])).value).toBe(1);
    if (name === 'fuel-loop') expect((await attacker.call(fn('count'), [10])).value).toBe(10);
    expect(attacker.stats().died).toBe(1);
  });

  it('1000 concurrent calls to a slow component: a bounded number run, the rest are refused at once', async () => {
    const witness = await bystander();
    const { pool: slow, fn } = await pool('slow', { concurrency: 4, queue: 64, minInstances: 4, timeoutMs: 10_000 });
    const wait = fn('wait-ms');
    const { result, calls, failures, p99Ms } = await witness.during(async () => {
      const settled = await Promise.allSettled(Array.from({ length: 1000 }, () => slow.call(wait, [20])));
      const codes = settled.map((s) => (s.status === 'fulfilled' ? 'ok' : codeOf(s.reason)));
      return { ok: codes.filter((c) => c === 'ok').length, refused: codes.filter((c) => c === 'LN_ERR_BUDGET_CONCURRENCY').length };
    });
    expect(result).toEqual({ ok: 68, refused: 932 });
    expect(failures).toBe(0);
    expect(slow.stats()).toMatchObject({ instances: 4, died: 0, refused: 932 });
    console.info(`[budgets] 1000 concurrent calls: 68 served, 932 refused; bystander ${calls} calls, p99 ${p99Ms.toFixed(1)} ms`);
  });

  it('a 100 MB argument is refused before it reaches the guest; the instance lives on', async () => {
    const witness = await bystander();
    const { pool: target, fn } = await pool('strings', { concurrency: 1, minInstances: 1, maxPayloadBytes: 1024 * 1024 });
    const huge = 'x'.repeat(100 * 1024 * 1024);
    const { result, calls, failures, p99Ms } = await witness.during(() => target.call(fn('greet'), [huge]).then(() => 'ok', codeOf));
    expect(result).toBe('LN_ERR_BUDGET_PAYLOAD');
    expect(failures).toBe(0);
    expect((await target.call(fn('greet'), ['world'])).value).toBe('Hello, world!');
    expect(target.stats()).toMatchObject({ died: 0, started: 1 });
    console.info(`[budgets] a 100 MB argument: refused with ${result}; bystander ${calls} calls, p99 ${p99Ms.toFixed(1)} ms`);
  });
});
