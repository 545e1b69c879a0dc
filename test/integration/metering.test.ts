// Fuel, memory caps, payload limits and usage receipts end to end: real components, instrumented
// by the engine, running in their own workers.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { closedGrants } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { type Component, findExport } from '../../host/engine/component.js';
import { Engine, meterOptions } from '../../host/engine/engine.js';
import { isLnError, type LnError } from '../../host/errors/ln-error.js';
import type { InstancePool } from '../../host/resources/instance-pool.js';
import { Instance, type InstanceOptions } from '../../host/sandbox/instance.js';
import { example, fixture } from '../helpers/cli.js';
import { codeOfAsync as codeOf } from '../helpers/errors.js';
import { serialPool } from '../helpers/pools.js';

const MiB = 1024 * 1024;
const engine = new Engine();
const FUEL = meterOptions({ fuel: true });

const load = (path: string, meter = FUEL): Promise<Component> => engine.load(readFileSync(path), path.split('/').at(-2), { meter });
const target = (c: Component, name: string) => {
  const t = findExport(c.shape, name);
  if (!t) throw new Error(`no export ${name}`);
  return t;
};

const started: Array<Instance | InstancePool> = [];
afterAll(async () => {
  await Promise.all(started.map((s) => (s instanceof Instance ? s.dispose() : s.close())));
});
function supervise(c: Component, options: Partial<InstanceOptions> = {}): InstancePool {
  const s = serialPool(c, { linker: linkerSpec(closedGrants(c.digest.slice(0, 8))), ...options });
  started.push(s);
  return s;
}
async function start(c: Component, options: Partial<InstanceOptions> = {}): Promise<Instance> {
  const i = await Instance.start(c, { linker: linkerSpec(closedGrants(c.digest.slice(0, 8))), ...options });
  started.push(i);
  return i;
}
async function failure(p: Promise<unknown>): Promise<LnError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLnError(err)) throw new Error(`expected an LnError, got ${String(err)}`);
  return err;
}

describe('fuel', () => {
  it('a fuel bomb is stopped with LN_ERR_BUDGET_FUEL and the next call runs on a fresh instance', async () => {
    const c = await load(fixture('fuel-loop'));
    const s = supervise(c, { fuel: 1_000_000 });
    const err = await failure(s.call(target(c, 'spin'), []));
    expect(err.code).toBe('LN_ERR_BUDGET_FUEL');
    expect(err.details.fuel).toBe(1_000_000);
    expect(err.details.fuelUsed as number).toBeGreaterThan(1_000_000);
    const next = await s.call(target(c, 'count'), [10]);
    expect(next.value).toBe(10);
    expect(next.usage.fuelUsed).toBe(95);
    expect(s.stats().started).toBe(2);
  });

  it('counts are exact and identical across runs and instances: WAT', async () => {
    const c = await load(fixture('fuel-loop'));
    const counts = [];
    for (let run = 0; run < 3; run++) {
      const instance = await start(c);
      for (const n of [0, 1000]) counts.push((await instance.call(target(c, 'count'), [n])).usage.fuelUsed);
      await instance.dispose();
    }
    expect(counts).toEqual([5, 9005, 5, 9005, 5, 9005]);
  });

  it('counts are identical across runs and instances: C (clang -O2)', async () => {
    const c = await load(fixture('cpu-c'));
    const runs: Array<Array<number | null>> = [];
    for (let run = 0; run < 3; run++) {
      const instance = await start(c, { fuel: 1e12 });
      runs.push([
        (await instance.call(target(c, 'fib'), [20])).usage.fuelUsed,
        (await instance.call(target(c, 'sieve'), [100_000])).usage.fuelUsed,
        (await instance.call(target(c, 'sieve'), [100_000])).usage.fuelUsed,
        (await instance.call(target(c, 'loop-sum'), [12_345])).usage.fuelUsed,
      ]);
      await instance.dispose();
    }
    expect(runs[0]!.every((n) => typeof n === 'number' && n > 0)).toBe(true);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it('a budget that is just enough passes and one instruction less fails', async () => {
    const c = await load(fixture('fuel-loop'));
    const s = supervise(c);
    expect((await s.call(target(c, 'count'), [100], { fuel: 905 })).value).toBe(100);
    expect(await codeOf(s.call(target(c, 'count'), [100], { fuel: 904 }))).toBe('LN_ERR_BUDGET_FUEL');
  });

  it('an unmetered call on a fuel-metered component still reports its fuel', async () => {
    const c = await load(fixture('fuel-loop'));
    expect((await supervise(c).call(target(c, 'count'), [3])).usage.fuelUsed).toBe(32);
  });

  it('asking for fuel on a component loaded without fuel metering is a configuration error', async () => {
    const c = await load(fixture('fuel-loop'), meterOptions({ fuel: false }));
    const s = supervise(c);
    expect(await codeOf(s.call(target(c, 'count'), [3], { fuel: 100 }))).toBe('LN_ERR_CONFIG_INVALID');
    expect((await s.call(target(c, 'count'), [3])).usage.fuelUsed).toBeNull();
  });

  it('deep recursion is a trap, not a host crash; the next call is served', async () => {
    const c = await load(fixture('fuel-loop'));
    const s = supervise(c);
    const err = await failure(s.call(target(c, 'recurse'), [50_000_000]));
    expect(err.code).toBe('LN_ERR_GUEST_TRAP');
    expect(err.message).toMatch(/stack/i);
    expect((await s.call(target(c, 'recurse'), [100])).value).toBe(100);
  });

  it('an instrumented componentize-js guest (echo-ts) still answers correctly and reports fuel', async () => {
    const c = await load(example('echo-ts'));
    const instance = await start(c, { fuel: 1_000_000_000 });
    const handle = target(c, 'handle');
    const event = { id: 'e1', type: 'sensor.reading', source: '/s', data: new TextEncoder().encode('{"x":1}'), extensions: [] };
    const outcome = await instance.call(handle, [event]);
    expect(outcome.value).toEqual([
      {
        id: 'e1-echo',
        type: 'sensor.reading.echoed',
        source: '/s',
        time: undefined,
        datacontenttype: undefined,
        data: event.data,
        extensions: [],
      },
    ]);
    expect(outcome.usage.fuelUsed).toBeGreaterThan(10_000);
    expect(outcome.usage.hostCalls).toEqual({ log: 1 });
    expect(outcome.usage.peakMemoryBytes).toBeGreaterThan(9 * MiB);
    const failed = await instance.call(handle, [{ ...event, type: 'fail' }]);
    expect(failed.errResult).toBe(true);
    expect(failed.usage.fuelUsed).toBeGreaterThan(0);
    expect(instance.alive).toBe(true);
  });
});

describe('memory', () => {
  it('growing toward 4 GiB is stopped with LN_ERR_BUDGET_MEMORY; the next call works on a fresh instance', async () => {
    const c = await load(fixture('memory-grower'), meterOptions({ memoryBytes: 32 * MiB }));
    const s = supervise(c);
    const err = await failure(s.call(target(c, 'grow-forever'), []));
    expect(err.code).toBe('LN_ERR_BUDGET_MEMORY');
    expect(err.details.limitBytes).toBe(32 * MiB);
    expect(err.details.peakMemoryBytes).toBe(32 * MiB);
    const next = await s.call(target(c, 'grow'), [0]);
    expect(next.value).toBe(1);
    expect(next.usage.peakMemoryBytes).toBe(64 * 1024);
    expect(s.stats().started).toBe(2);
  });

  it('a guest that handles a refused grow is not failed: grow returns -1 and the call succeeds', async () => {
    const c = await load(fixture('memory-grower'), meterOptions({ memoryBytes: 4 * MiB }));
    const s = supervise(c);
    expect((await s.call(target(c, 'grow'), [100])).value).toBe(-1);
    expect((await s.call(target(c, 'grow'), [1])).usage.peakMemoryBytes).toBe(4 * MiB);
  });

  it('a C guest trapping after a refused grow is LN_ERR_BUDGET_MEMORY; peak memory is reported per call', async () => {
    const c = await load(fixture('cpu-c'), meterOptions({ fuel: true, memoryBytes: 2 * MiB }));
    const s = supervise(c);
    const small = await s.call(target(c, 'sieve'), [100_000]);
    expect(small.value).toBe(9592);
    expect(small.usage.peakMemoryBytes).toBeGreaterThan(100_000);
    expect(await codeOf(s.call(target(c, 'sieve'), [10_000_000]))).toBe('LN_ERR_BUDGET_MEMORY');
    expect((await s.call(target(c, 'sieve'), [1000])).value).toBe(168);
  });

  it('a component whose memory starts above the cap is refused at load', async () => {
    expect(await codeOf(load(example('echo-ts'), meterOptions({ memoryBytes: 4 * MiB })))).toBe('LN_ERR_BUDGET_MEMORY');
  });
});

describe('payloads and usage receipts', () => {
  it('a 100 MB argument is refused with LN_ERR_BUDGET_PAYLOAD before it reaches the worker; the instance lives', async () => {
    const c = await load(fixture('strings'));
    const instance = await start(c, { maxInputBytes: MiB });
    const huge = 'x'.repeat(100 * 1024 * 1024);
    const err = await failure(instance.call(target(c, 'greet'), [huge]));
    expect(err.code).toBe('LN_ERR_BUDGET_PAYLOAD');
    expect(err.details.direction).toBe('input');
    expect(instance.alive).toBe(true);
    const bytes = new Uint8Array(100 * 1024 * 1024);
    expect(await codeOf(instance.call(target(c, 'count-bytes'), [bytes]))).toBe('LN_ERR_BUDGET_PAYLOAD');
    expect((await instance.call(target(c, 'greet'), ['Ada'])).value).toBe('Hello, Ada!');
  });

  it('a result over maxOutputBytes is LN_ERR_BUDGET_PAYLOAD from the worker; the instance lives', async () => {
    const c = await load(fixture('strings'));
    const instance = await start(c);
    const err = await failure(instance.call(target(c, 'greet'), ['y'.repeat(1000)], { maxOutputBytes: 100 }));
    expect(err.code).toBe('LN_ERR_BUDGET_PAYLOAD');
    expect(err.details.direction).toBe('result');
    expect(instance.alive).toBe(true);
    expect((await instance.call(target(c, 'greet'), ['y'], { maxOutputBytes: 100 })).value).toBe('Hello, y!');
  });

  it('every outcome carries a receipt: duration, fuel, peak memory, host calls, bytes in and out', async () => {
    const c = await load(fixture('strings'));
    const { usage } = await (await start(c)).call(target(c, 'greet'), ['Ada']);
    expect(usage.durationMs).toBeGreaterThan(0);
    expect(usage.fuelUsed).toBeGreaterThan(0);
    expect(usage.peakMemoryBytes).toBe(64 * 1024);
    expect(usage.hostCalls).toEqual({});
    expect(usage.bytesIn).toBe(3);
    expect(usage.bytesOut).toBe('Hello, Ada!'.length);
  });
});
