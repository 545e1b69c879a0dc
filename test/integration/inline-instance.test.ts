// Inline instances (issue 15): guests on the main thread, preempted by their deadline checks when
// the watchdog thread sets the flag. A spinning guest is stopped at its deadline and the event loop
// resumes; a trap, a stack overflow, a memory-cap hit or running out of fuel fails only that
// instance; grants of two inline instances stay apart; stdout/stderr arrive in order and the output
// rate gate works as in workers; hot swap and rollback work with inline instances.
// (The shared-worker equivalents: shared-worker.test.ts, guest-output.test.ts.)
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closedGrants, type InstanceGrants } from '../../host/capabilities/grants.js';
import { type Component, commandRunExport } from '../../host/engine/component.js';
import { Engine, meterOptions } from '../../host/engine/engine.js';
import type { PluginEvent } from '../../host/engine/plugin-event.js';
import type { LnError } from '../../host/errors/ln-error.js';
import type { OutputRate } from '../../host/sandbox/output-gate.js';
import { usageFromDetails } from '../../host/sandbox/usage.js';
import { defaultWorkerPool, WorkerPool } from '../../host/sandbox/worker-pool.js';
import { parseManifest } from '../../host/versions/manifest.js';
import { VersionManager } from '../../host/versions/version-manager.js';
import { burstLines } from '../fixtures/components/print-burst/burst.js';
import { example, fixture } from '../helpers/cli.js';
import { deadlineRoomFor } from '../helpers/deadline.js';
import { codeOfAsync as codeOf } from '../helpers/errors.js';
import { expectGrantsApart, fn, instanceSet } from '../helpers/instance-set.js';
import { logSink } from '../helpers/log-sink.js';

const engine = new Engine();
// Instances that ask for nothing go inline; the grace never matters (there is no thread to end).
const workers = new WorkerPool({ isolation: 'inline', sharedWorkers: 1 });
const set = instanceSet(workers, (name) => load(name));
const { start } = set;
afterAll(() => set.close());

const load = (name: string, fuel = false): Promise<Component> =>
  engine.load(readFileSync(fixture(name)), name, { meter: meterOptions({ deadline: true, fuel, memoryBytes: 16 * 1024 * 1024 }) });

describe('inline instances', () => {
  it('stops a spinning guest at its deadline with LN_ERR_BUDGET_TIME; the event loop resumes and 50 inline neighbours keep answering', async () => {
    const near = await set.neighbours({ timeoutMs: 1000 });
    const spin = await load('spin');
    const spinner = await start(spin);
    expect(workers.stats()).toMatchObject({ sharedWorkers: 0, inlineInstances: 51 });
    let timerFired = false;
    setTimeout(() => (timerFired = true), 0);
    const before = performance.now();
    const spinning = codeOf(spinner.call(fn(spin, 'spin'), [], { timeoutMs: 200 }));
    // The guest ran on this thread: by now it has been stopped, and no timer could fire meanwhile.
    const ranMs = performance.now() - before;
    expect(timerFired).toBe(false);
    console.log(`inline spinner stopped ${(ranMs - 200).toFixed(1)} ms after its 200 ms deadline`);
    expect(ranMs).toBeGreaterThanOrEqual(199);
    expect(await spinning).toBe('LN_ERR_BUDGET_TIME');
    await new Promise((r) => setTimeout(r, 1));
    expect(timerFired).toBe(true);
    expect(spinner.alive).toBe(false);
    expect(near.all.every((n) => n.alive)).toBe(true);
    expect(await near.answer()).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(workers.stats()).toMatchObject({ sharedWorkers: 0, inlineInstances: 50 });
    await Promise.all(near.all.map((n) => n.dispose()));
  });

  it('a trap, a stack overflow, a memory-cap hit and running out of fuel each fail alone; the neighbours keep answering', async () => {
    const near = await set.neighbours({ timeoutMs: 1000 });
    const trap = await load('trap');
    const cpu = await load('hostile-cpu');
    const grower = await load('memory-grower');
    const fuel = await load('fuel-loop', true);
    const [t, c, g, f] = await Promise.all([start(trap), start(cpu), start(grower), start(fuel)]);
    expect(workers.stats().inlineInstances).toBe(54);
    expect(await codeOf(t.call(fn(trap, 'boom'), []))).toBe('LN_ERR_GUEST_TRAP');
    expect(await codeOf(c.call(fn(cpu, 'recurse'), [1_000_000_000]))).toBe('LN_ERR_GUEST_TRAP');
    expect(await codeOf(g.call(fn(grower, 'grow-forever'), []))).toBe('LN_ERR_BUDGET_MEMORY');
    expect(await codeOf(f.call(fn(fuel, 'spin'), [], { fuel: 1_000_000 }))).toBe('LN_ERR_BUDGET_FUEL');
    expect([t.alive, c.alive, g.alive, f.alive]).toEqual([false, false, false, false]);
    expect(near.all.every((n) => n.alive)).toBe(true);
    expect(await near.answer()).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(workers.stats()).toMatchObject({ sharedWorkers: 0, inlineInstances: 50 });
    await Promise.all(near.all.map((n) => n.dispose()));
  });

  it('keeps grants apart: an instance without env sees none, next to one granted a secret', async () => {
    await expectGrantsApart(set, (name) => load(name));
    expect(workers.stats()).toMatchObject({ sharedWorkers: 0, inlineInstances: 2 });
  });

  it('a component without deadline checks is never inline: it gets a worker of its own', async () => {
    const plain = await engine.load(readFileSync(fixture('numbers')), 'numbers');
    const before = workers.stats().inlineInstances;
    const instance = await start(plain, closedGrants('plain'), { isolation: 'inline' });
    expect(workers.stats().inlineInstances).toBe(before);
    expect((await instance.call(fn(plain, 'add-u32'), [2, 3])).value).toBe(5);
  });
});

function burst(args: readonly string[]): InstanceGrants {
  const closed = closedGrants('print-burst');
  return { ...closed, wasi: { ...closed.wasi, args: ['print-burst', ...args] } };
}

describe('inline guest output', () => {
  const ROOMY: OutputRate = { linesPerSecond: 1_000_000, bytesPerSecond: 1 << 30 };

  it.each([
    ['exit', {}, 'LN_ERR_GUEST_EXIT'],
    ['trap', {}, 'LN_ERR_GUEST_TRAP'],
    ['spin', { fuel: 200_000_000 }, 'LN_ERR_BUDGET_FUEL'],
    ['spin', 'deadline', 'LN_ERR_BUDGET_TIME'],
  ] as const)('%s %o: %s, after every line of stdout and stderr, in order', async (then, budget, code) => {
    const component = await load('print-burst', true);
    // The deadline leaves room for the writes on this machine now (≥ 2 s), then stops the spin.
    const options =
      budget === 'deadline'
        ? {
            timeoutMs: await deadlineRoomFor(async () => {
              const rehearsal = await start(component, burst(['1500', 'both', 'return']), { output: logSink(ROOMY).output });
              await rehearsal.call(commandRunExport(component.shape)!, []);
            }, 2000),
          }
        : budget;
    const sink = logSink(ROOMY);
    const instance = await start(component, burst(['1500', 'both', then]), { output: sink.output });
    expect(await codeOf(instance.call(commandRunExport(component.shape)!, [], options))).toBe(code);
    expect(sink.lines('stdout')).toEqual(burstLines('out', 1500));
    expect(sink.lines('stderr')).toEqual(burstLines('err', 1500));
  });

  it('a flood is limited by the rate gate: every line logged or counted, one summary per interval', async () => {
    const component = await load('print-burst', true);
    const FLOOD = 50_000;
    const sink = logSink({ linesPerSecond: 1000, bytesPerSecond: 1 << 20, summaryIntervalMs: 1000 });
    const instance = await start(component, burst([String(FLOOD), 'err', 'exit']), { output: sink.output });
    const err = await instance.call(commandRunExport(component.shape)!, []).then(
      () => undefined,
      (e: LnError) => e,
    );
    expect(err?.code).toBe('LN_ERR_GUEST_EXIT');
    const dropped = usageFromDetails(err!.details)?.outputDropped ?? 0;
    const logged = sink.lines('stderr');
    expect(logged.length + dropped).toBe(FLOOD);
    expect(logged.length).toBeGreaterThanOrEqual(1000);
    expect(logged.length).toBeLessThan(FLOOD);
    await instance.dispose();
    expect(sink.summaries().reduce((n, s) => n + s.stderr + s.stdout, 0)).toBe(dropped);
  });
});

describe('hot swap and rollback with inline instances', () => {
  it('deploys, swaps and rolls back a plugin whose limits say inline; calls answer from the right version', async () => {
    const ECHO = readFileSync(example('echo-c'));
    const m = new VersionManager({ dataDir: mkdtempSync(join(tmpdir(), 'lnano-inline-')), engine });
    try {
      await m.restore();
      const event = (i: number): PluginEvent => ({
        id: `e${i}`,
        type: 'reading',
        source: '/test',
        time: undefined,
        datacontenttype: 'text/plain',
        data: new TextEncoder().encode(`n=${i}`),
        extensions: [],
      });
      const deploy = async (version: string, bytes: Uint8Array, strategy?: 'blue-green') => {
        const { digest } = await m.storeArtifact(bytes);
        const manifest = parseManifest(
          { name: 'echo', version, limits: { concurrency: 2, timeout: '5s', isolation: 'inline' } },
          `echo@${version} (test)`,
          tmpdir(),
        );
        return m.deploy({ manifest, digest, actor: 'test', ...(strategy ? { strategy } : {}) });
      };
      const inlineBefore = defaultWorkerPool().stats().inlineInstances;
      await deploy('1.0.0', ECHO);
      expect(defaultWorkerPool().stats().inlineInstances).toBeGreaterThan(inlineBefore);
      expect((await m.call('echo', event(1))).version).toBe('1.0.0');
      await deploy('2.0.0', new Uint8Array([...ECHO, 0, 5, 4, 0x74, 0x65, 0x73, 0x74]), 'blue-green');
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => m.call('echo', event(i))));
      expect(results.every((r) => r.version === '2.0.0')).toBe(true);
      expect(await m.rollback('echo', { actor: 'test' })).toMatchObject({ from: '2.0.0', to: '1.0.0', source: 'standby' });
      expect((await m.call('echo', event(2))).version).toBe('1.0.0');
    } finally {
      await m.close();
    }
  });
});
