// Issue 14, item 6: output floods stay cheap. The gate runs in the guest's worker; these tests
// drive it with an injected clock and timer, so they never sleep.
import { describe, expect, it } from 'vitest';
import { type DropSummary, MAX_LOG_LINE_BYTES, OutputGate, type OutputGateClock, type OutputStreamName } from '../../../host/sandbox/output-gate.js';

function fakeClock(): OutputGateClock & { t: number; timers: Array<{ at: number; fn: () => void }>; advance(ms: number): void } {
  const clock = {
    t: 0,
    timers: [] as Array<{ at: number; fn: () => void }>,
    now: () => clock.t,
    schedule: (fn: () => void, ms: number) => void clock.timers.push({ at: clock.t + ms, fn }),
    /** Moves the clock and fires the timers that are due (as an idle worker would). */
    advance(ms: number) {
      clock.t += ms;
      for (const timer of clock.timers.filter((x) => x.at <= clock.t)) {
        clock.timers.splice(clock.timers.indexOf(timer), 1);
        timer.fn();
      }
    },
  };
  return clock;
}

function sink() {
  const forwarded: Array<[OutputStreamName, string]> = [];
  const summaries: DropSummary[] = [];
  return {
    forwarded,
    summaries,
    text: (stream: OutputStreamName) =>
      forwarded
        .filter(([s]) => s === stream)
        .map(([, t]) => t)
        .join(''),
    forward: (stream: OutputStreamName, bytes: Uint8Array) => void forwarded.push([stream, Buffer.from(bytes).toString('utf8')]),
    dropped: (summary: DropSummary) => void summaries.push(summary),
  };
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('OutputGate, unlimited (lnano run)', () => {
  it('forwards every byte as written, in order, lines not reassembled', () => {
    const out = sink();
    const gate = new OutputGate(null, out, fakeClock());
    gate.write('stdout', bytes('ab'));
    gate.write('stderr', bytes('oops\n'));
    gate.write('stdout', bytes('c\nd'));
    for (let i = 0; i < 10_000; i++) gate.write('stdout', bytes(`${i}\n`));
    gate.endLines();
    expect(out.forwarded.slice(0, 3)).toEqual([
      ['stdout', 'ab'],
      ['stderr', 'oops\n'],
      ['stdout', 'c\nd'],
    ]);
    expect(out.forwarded.length).toBe(10_003);
    expect(out.summaries).toEqual([]);
    expect(gate.takeCallDropped()).toBe(0);
  });
});

describe('OutputGate, rate-limited (the log)', () => {
  it('forwards whole lines only, assembled across writes, one message per write', () => {
    const out = sink();
    const gate = new OutputGate({ linesPerSecond: 100, bytesPerSecond: 1 << 20 }, out, fakeClock());
    gate.write('stdout', bytes('hel'));
    gate.write('stdout', bytes('lo\nwor'));
    gate.write('stderr', bytes('a\nb\nc'));
    expect(out.forwarded).toEqual([
      ['stdout', 'hello\n'],
      ['stderr', 'a\nb\n'],
    ]);
    gate.endLines();
    expect(out.forwarded.slice(2)).toEqual([
      ['stdout', 'wor\n'],
      ['stderr', 'c\n'],
    ]);
  });

  it('cuts an over-long line once, and a newline-free flood costs one line', () => {
    const out = sink();
    const gate = new OutputGate({ linesPerSecond: 100, bytesPerSecond: 1 << 30 }, out, fakeClock());
    for (let i = 0; i < 100; i++) gate.write('stdout', new Uint8Array(1024 * 1024).fill(0x61));
    gate.write('stdout', bytes('\nnext\n'));
    const lines = out.text('stdout').split('\n');
    expect(lines).toEqual([`${'a'.repeat(MAX_LOG_LINE_BYTES)}…`, 'next', '']);
  });

  it('drops past the rate, counts every drop, and sends exactly one summary per interval', () => {
    const clock = fakeClock();
    const out = sink();
    const gate = new OutputGate({ linesPerSecond: 10, bytesPerSecond: 1 << 20, summaryIntervalMs: 1000 }, out, clock);
    // A 3.5 s flood inside one call: 100 lines a millisecond, the worker's timers never fire.
    const pending = clock.timers;
    let written = 0;
    for (let ms = 0; ms < 3500; ms++) {
      clock.t = ms;
      gate.write('stderr', bytes('x\n'.repeat(100)));
      written += 100;
    }
    const forwardedLines = out.text('stderr').split('\n').length - 1;
    // The burst (10) plus 10 a second for 3.5 s, and not one line more.
    expect(forwardedLines).toBeLessThanOrEqual(10 + 35);
    expect(forwardedLines).toBeGreaterThanOrEqual(35);
    const dropped = gate.takeCallDropped();
    expect(dropped + forwardedLines).toBe(written);
    // Windows open at the first drop (t=0) and close a second later: t=1000, 2000, 3000.
    expect(out.summaries.length).toBe(3);
    expect(pending.length).toBe(1);
    // The call ends; the idle worker's timer sends the last window's summary when it is due, once.
    clock.advance(1000);
    clock.advance(5000);
    expect(out.summaries.length).toBe(4);
    expect(out.summaries.every((s) => s.stdout === 0 && s.stderr > 0)).toBe(true);
    expect(out.summaries.reduce((n, s) => n + s.stderr, 0)).toBe(dropped);
    expect(clock.timers).toEqual([]);
  });

  it('finish() sends what is pending at once (the instance is ending)', () => {
    const clock = fakeClock();
    const out = sink();
    const gate = new OutputGate({ linesPerSecond: 2, bytesPerSecond: 1 << 20 }, out, clock);
    gate.write('stdout', bytes('1\n2\n3\n4\npartial'));
    expect(out.summaries).toEqual([]);
    gate.finish();
    expect(out.text('stdout')).toBe('1\n2\n');
    expect(out.summaries).toEqual([{ stdout: 3, stderr: 0 }]);
    expect(gate.takeCallDropped()).toBe(3);
  });

  it('the byte rate drops lines too', () => {
    const out = sink();
    const gate = new OutputGate({ linesPerSecond: 1000, bytesPerSecond: 100 }, out, fakeClock());
    gate.write('stdout', bytes(`${'y'.repeat(59)}\n`.repeat(3)));
    expect(out.text('stdout')).toBe(`${'y'.repeat(59)}\n`);
    expect(gate.takeCallDropped()).toBe(2);
  });
});
