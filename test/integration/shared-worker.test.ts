// Many instances in one sandbox worker (issue 15): a guest that spins, traps, overflows its stack
// or hits its memory cap fails alone, with its own code, while its neighbours in the same worker
// keep answering and are never re-created; instances with different grants do not see each
// other's. On today's main every instance has its own worker, so `workers`/`deadline` do not exist
// and this file fails to build.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { closedGrants } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import type { Component } from '../../host/engine/component.js';
import { Engine, meterOptions } from '../../host/engine/engine.js';
import type { LnError } from '../../host/errors/ln-error.js';
import { Instance } from '../../host/sandbox/instance.js';
import { WorkerPool } from '../../host/sandbox/worker-pool.js';
import { fixture } from '../helpers/cli.js';
import { codeOfAsync as codeOf } from '../helpers/errors.js';
import { expectGrantsApart, fn, instanceSet } from '../helpers/instance-set.js';

const engine = new Engine();
// One shared worker, and a grace so long that only the deadline check can stop the spinner in time.
const workers = new WorkerPool({ sharedWorkers: 1, graceMs: 60_000 });
const set = instanceSet(workers, (name) => load(name));
const { start, neighbours } = set;
afterAll(() => set.close());

const load = (name: string): Promise<Component> =>
  engine.load(readFileSync(fixture(name)), name, { meter: meterOptions({ deadline: true, memoryBytes: 16 * 1024 * 1024 }) });

describe('a shared sandbox worker', () => {
  it('stops a spinning guest at its deadline with LN_ERR_BUDGET_TIME while its 50 neighbours keep answering', async () => {
    const near = await neighbours();
    const spin = await load('spin');
    const spinner = await start(spin);
    expect(workers.stats()).toEqual({ sharedWorkers: 1, sharedInstances: 51, inlineInstances: 0 });
    const spinning = codeOf(spinner.call(fn(spin, 'spin'), [], { timeoutMs: 200 }));
    // Queued behind the spinner in the same thread: they run once the deadline check stopped it.
    const answers = near.answer();
    expect(await spinning).toBe('LN_ERR_BUDGET_TIME');
    expect(await answers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(spinner.alive).toBe(false);
    expect(near.all.every((n) => n.alive)).toBe(true);
    expect(await near.answer()).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // The same worker: nobody was re-created, the spinner's bindings were dropped.
    expect(workers.stats()).toEqual({ sharedWorkers: 1, sharedInstances: 50, inlineInstances: 0 });
  });

  it('calls posted ahead behind a spinner keep their whole deadline, and its deadline never reaches them', async () => {
    const near = await neighbours({ timeoutMs: 1000 });
    const spin = await load('spin');
    const spinner = await start(spin);
    const spinning = codeOf(spinner.call(fn(spin, 'spin'), [], { timeoutMs: 2500 }));
    // Posted to the worker behind the spinner at once; each deadline (1 s) is shorter than the
    // spinner's run: the clock of each starts when the call before it answered.
    const answers = near.answer();
    expect(await spinning).toBe('LN_ERR_BUDGET_TIME');
    expect(await answers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(near.all.every((n) => n.alive)).toBe(true);
    // A second spinner, then one neighbour posted right behind it: the flag set for the spinner is cleared before it runs.
    const again = await start(spin);
    const second = codeOf(again.call(fn(spin, 'spin'), [], { timeoutMs: 100 }));
    const next = near.all[0]!.call(fn(await load('numbers'), 'add-u32'), [40, 2]);
    expect(await second).toBe('LN_ERR_BUDGET_TIME');
    expect((await next).value).toBe(42);
  });

  it('a trap, a stack overflow and a memory-cap hit each fail alone; the neighbours keep answering', async () => {
    const near = await neighbours();
    const trap = await load('trap');
    const cpu = await load('hostile-cpu');
    const grower = await load('memory-grower');
    const [t, c, g] = await Promise.all([start(trap), start(cpu), start(grower)]);
    expect(await codeOf(t.call(fn(trap, 'boom'), []))).toBe('LN_ERR_GUEST_TRAP');
    expect(await codeOf(c.call(fn(cpu, 'recurse'), [1_000_000_000]))).toBe('LN_ERR_GUEST_TRAP');
    expect(await codeOf(g.call(fn(grower, 'grow-forever'), []))).toBe('LN_ERR_BUDGET_MEMORY');
    expect([t.alive, c.alive, g.alive]).toEqual([false, false, false]);
    expect(near.all.every((n) => n.alive)).toBe(true);
    expect(await near.answer()).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(workers.stats().sharedWorkers).toBe(1);
  });

  it('disposing an instance in the middle of a spinning call stops it alone; the call fails, neighbours answer', async () => {
    const numbers = await load('numbers');
    const spin = await load('spin');
    const neighbour = await start(numbers);
    const spinner = await Instance.start(spin, { linker: linkerSpec(closedGrants('s')), workers });
    const spinning = codeOf(spinner.call(fn(spin, 'spin'), []));
    await new Promise((r) => setTimeout(r, 50));
    await spinner.dispose();
    expect(await spinning).toBe('LN_ERR_GUEST_CRASH');
    expect((await neighbour.call(fn(numbers, 'add-u32'), [2, 2])).value).toBe(4);
    expect(neighbour.alive).toBe(true);
  });

  it('disposing an instance in the same turn as its spinning call (not posted yet) stops that call too', async () => {
    const numbers = await load('numbers');
    const spin = await load('spin');
    const neighbour = await start(numbers);
    const spinner = await Instance.start(spin, { linker: linkerSpec(closedGrants('s2')), workers });
    const spinning = codeOf(spinner.call(fn(spin, 'spin'), []));
    await spinner.dispose();
    expect(await spinning).toBe('LN_ERR_GUEST_CRASH');
    expect((await neighbour.call(fn(numbers, 'add-u32'), [3, 4])).value).toBe(7);
    expect(workers.stats().sharedWorkers).toBe(1);
  });

  it('keeps grants apart: an instance without env sees none, next to one granted a secret', async () => {
    await expectGrantsApart(set, (name) => load(name));
    expect(workers.stats().sharedWorkers).toBe(1);
  });

  it('a guest stuck in a host call is stopped by the backstop: it fails LN_ERR_BUDGET_TIME, its neighbours "worker recycled", new instances work', async () => {
    const pool = new WorkerPool({ sharedWorkers: 1, graceMs: 100 });
    try {
      const numbers = await load('numbers');
      const reader = await load('env-reader');
      const add = fn(numbers, 'add-u32');
      const near = await Promise.all(Array.from({ length: 5 }, () => Instance.start(numbers, { linker: linkerSpec(closedGrants('n')), workers: pool })));
      const stuck = await Instance.start(reader, {
        linker: { module: new URL('../helpers/stuck-linker.mjs', import.meta.url).href, config: closedGrants('stuck') },
        workers: pool,
      });
      const stopped = codeOf(stuck.call(fn(reader, 'count-env'), [], { timeoutMs: 200 }));
      const queued = near.map((n) =>
        n.call(add, [1, 1]).then(
          () => 'ok',
          (e: LnError) => `${e.code} ${String(e.details.reason)}`,
        ),
      );
      expect(await stopped).toBe('LN_ERR_BUDGET_TIME');
      for (const outcome of await Promise.all(queued)) expect(outcome).toMatch(/^LN_ERR_GUEST_CRASH worker recycled/);
      expect(near.some((n) => n.alive)).toBe(false);
      const fresh = await Instance.start(numbers, { linker: linkerSpec(closedGrants('n')), workers: pool });
      expect((await fresh.call(add, [2, 3])).value).toBe(5);
      await fresh.dispose();
    } finally {
      await pool.close();
    }
  });
});
