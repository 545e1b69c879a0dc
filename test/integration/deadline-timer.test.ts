// The shared worker's one deadline timer (sandbox-worker.ts, issue 15): each call no longer arms a
// timer of its own; the worker's timer is armed for the earliest deadline it knows and re-armed for
// the running call's when it fires. A short deadline after a long one must still fire on time,
// and a timer armed for an earlier call's deadline must not stop a later call before its own.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Component } from '../../host/engine/component.js';
import { Engine, meterOptions } from '../../host/engine/engine.js';
import { WorkerPool } from '../../host/sandbox/worker-pool.js';
import { fixture } from '../helpers/cli.js';
import { codeOfAsync as codeOf } from '../helpers/errors.js';
import { fn, instanceSet } from '../helpers/instance-set.js';

const engine = new Engine();
// One shared worker, and a grace so long that only the deadline check can stop the spinner in time.
const workers = new WorkerPool({ sharedWorkers: 1, graceMs: 60_000 });
const load = (name: string): Promise<Component> =>
  engine.load(readFileSync(fixture(name)), name, { meter: meterOptions({ deadline: true, memoryBytes: 16 * 1024 * 1024 }) });
const set = instanceSet(workers, load);
afterAll(() => set.close());

describe("a shared worker's deadline timer", () => {
  it('stops a spinner at its short deadline right after a call with a long one armed the timer', async () => {
    const numbers = await load('numbers');
    const spin = await load('spin');
    const [adder, spinner] = await Promise.all([set.start(numbers), set.start(spin)]);
    // Arms the worker's timer for 60 s from now; the call answers at once.
    expect((await adder.call(fn(numbers, 'add-u32'), [40, 2], { timeoutMs: 60_000 })).value).toBe(42);
    const started = performance.now();
    expect(await codeOf(spinner.call(fn(spin, 'spin'), [], { timeoutMs: 150 }))).toBe('LN_ERR_BUDGET_TIME');
    // Stopped at its own deadline (plus the deadline check and a loaded machine), not at 60 s.
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('does not stop a call before its own deadline when the timer was armed for an earlier call', async () => {
    const numbers = await load('numbers');
    const spin = await load('spin');
    const [adder, spinner] = await Promise.all([set.start(numbers), set.start(spin)]);
    // Arms the timer for 50 ms from now; then a spinner with 600 ms starts while it is armed.
    expect((await adder.call(fn(numbers, 'add-u32'), [1, 2], { timeoutMs: 50 })).value).toBe(3);
    const started = performance.now();
    expect(await codeOf(spinner.call(fn(spin, 'spin'), [], { timeoutMs: 600 }))).toBe('LN_ERR_BUDGET_TIME');
    expect(performance.now() - started).toBeGreaterThanOrEqual(590);
    // The worker and the adder serve on.
    expect((await adder.call(fn(numbers, 'add-u32'), [2, 2], { timeoutMs: 50 })).value).toBe(4);
  });
});
