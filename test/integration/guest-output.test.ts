// Issue 14: guest output through a long-lived instance into the log sink `lnano serve` uses
// (`loggerOutput`). Item 1: when the guest exits, traps, runs out of fuel or passes its deadline
// right after writing, the sink has every line by the time the call fails. Item 6: a flood is
// limited in the worker, before it crosses to this thread; the drops are counted in the call's
// usage and summarized once per interval.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { closedGrants, type InstanceGrants } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { type Component, commandRunExport } from '../../host/engine/component.js';
import { Engine, meterOptions } from '../../host/engine/engine.js';
import { isLnError, type LnError } from '../../host/errors/ln-error.js';
import { Instance } from '../../host/sandbox/instance.js';
import type { OutputRate } from '../../host/sandbox/output-gate.js';
import { usageFromDetails } from '../../host/sandbox/usage.js';
import { burstLines } from '../fixtures/components/print-burst/burst.js';
import { fixture } from '../helpers/cli.js';
import { deadlineRoomFor } from '../helpers/deadline.js';
import { logSink } from '../helpers/log-sink.js';

let component: Component;

beforeAll(async () => {
  component = await new Engine().load(readFileSync(fixture('print-burst')), 'print-burst', { meter: meterOptions({ fuel: true }) });
});

function grants(args: readonly string[]): InstanceGrants {
  const closed = closedGrants('print-burst');
  return { ...closed, wasi: { ...closed.wasi, args: ['print-burst', ...args] } };
}

async function failure(promise: Promise<unknown>): Promise<LnError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLnError(err)) throw new Error(`expected a coded failure, got ${String(err)}`);
  return err;
}

const LINES = 1500;

/** The same burst on a fresh instance, returning: what the writes alone take. */
async function burstThenReturn(): Promise<void> {
  const instance = await Instance.start(component, { linker: linkerSpec(grants([String(LINES), 'both', 'return'])), output: logSink(ROOMY).output });
  try {
    await instance.call(commandRunExport(component.shape)!, []);
  } finally {
    await instance.dispose();
  }
}
// High enough that nothing is dropped: these tests are about loss, not the limit.
const ROOMY: OutputRate = { linesPerSecond: 1_000_000, bytesPerSecond: 1 << 30 };

describe('a long-lived instance ending right after writing: the log has every line (issue 14, item 1)', () => {
  it.each([
    ['exit', {}, 'LN_ERR_GUEST_EXIT'],
    ['trap', {}, 'LN_ERR_GUEST_TRAP'],
    ['spin', { fuel: 200_000_000 }, 'LN_ERR_BUDGET_FUEL'],
    // The writes take milliseconds; the deadline (room for them on this machine now, ≥ 4 s) stops
    // the endless loop after them.
    ['spin', 'deadline', 'LN_ERR_BUDGET_TIME'],
  ] as const)('%s %o: %s, after every line', async (then, budget, code) => {
    const options = budget === 'deadline' ? { timeoutMs: await deadlineRoomFor(() => burstThenReturn(), 4000) } : budget;
    const sink = logSink(ROOMY);
    const instance = await Instance.start(component, { linker: linkerSpec(grants([String(LINES), 'both', then])), output: sink.output });
    try {
      const err = await failure(instance.call(commandRunExport(component.shape)!, [], options));
      expect(err.code).toBe(code);
      // Checked the moment the call failed, without waiting for anything.
      expect(sink.lines('stdout')).toEqual(burstLines('out', LINES));
      expect(sink.lines('stderr')).toEqual(burstLines('err', LINES));
      expect(instance.alive).toBe(false);
    } finally {
      await instance.dispose();
    }
  });

  it('a call that returns has delivered its output when it resolves, call after call', async () => {
    const sink = logSink(ROOMY);
    const instance = await Instance.start(component, { linker: linkerSpec(grants(['300', 'out', 'return'])), output: sink.output });
    try {
      const run = commandRunExport(component.shape)!;
      for (let n = 1; n <= 3; n++) {
        await instance.call(run, []);
        expect(sink.lines('stdout')).toEqual(Array.from({ length: n }, () => burstLines('out', 300)).flat());
      }
    } finally {
      await instance.dispose();
    }
  });
});

describe('an output flood is limited in the worker (issue 14, item 6)', () => {
  it('200 000 lines to stderr: bounded lines cross, every drop counted, one summary per interval', async () => {
    const FLOOD = 200_000;
    const rate: OutputRate = { linesPerSecond: 1000, bytesPerSecond: 1 << 20, summaryIntervalMs: 1000 };
    const sink = logSink(rate);
    let chunks = 0;
    const output = {
      ...sink.output,
      stderr: (c: Buffer) => {
        chunks++;
        sink.output.stderr(c);
      },
    };
    const instance = await Instance.start(component, { linker: linkerSpec(grants([String(FLOOD), 'err', 'exit'])), output });
    try {
      const started = performance.now();
      const err = await failure(instance.call(commandRunExport(component.shape)!, []));
      const elapsedS = (performance.now() - started) / 1000;
      expect(err.code).toBe('LN_ERR_GUEST_EXIT');
      const dropped = usageFromDetails(err.details)?.outputDropped ?? 0;
      const logged = sink.lines('stderr');
      // Every line is accounted for: logged whole and in order, or dropped and counted.
      expect(logged.length + dropped).toBe(FLOOD);
      const expected = new Set(burstLines('err', FLOOD));
      expect(logged.every((line) => expected.has(line!))).toBe(true);
      expect([...logged].sort()).toEqual(logged);
      // What crossed to this thread is bounded by the rate: the burst, then 1000 lines a second.
      expect(logged.length).toBeGreaterThanOrEqual(1000);
      expect(logged.length).toBeLessThanOrEqual(1000 + 1000 * elapsedS + 1);
      expect(chunks).toBeLessThanOrEqual(logged.length);
      // One summary per interval (and the last one as the instance ended), adding up to the drops.
      const summaries = sink.summaries();
      expect(summaries.reduce((n, s) => n + s.stderr + s.stdout, 0)).toBe(dropped);
      expect(summaries.length).toBeGreaterThanOrEqual(1);
      expect(summaries.length).toBeLessThanOrEqual(Math.floor(elapsedS) + 2);
      expect(sink.output.dropped).toBe(dropped);
    } finally {
      await instance.dispose();
    }
  });
});
