import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOutput } from '../../../host/sandbox/guest-output.js';
import { MAX_LOG_LINE_BYTES } from '../../../host/sandbox/output-gate.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { logger: pino({ base: { component: 'c1' } }, stream), lines };
}

describe('guest output into the log', () => {
  it('splits chunks into lines under the guest key, keeping host fields intact', async () => {
    const { logger, lines } = capture();
    const out = loggerOutput(logger);
    out.stdout(Buffer.from('hel'));
    out.stdout(Buffer.from('lo\nwor'));
    out.stderr(Buffer.from('oops\n'));
    out.stdout(Buffer.from('ld'));
    out.flush();
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.guest)).toEqual([
      { stream: 'stdout', line: 'hello' },
      { stream: 'stderr', line: 'oops' },
      { stream: 'stdout', line: 'world' },
    ]);
    expect(lines.every((l) => l.component === 'c1' && l.msg === 'guest output')).toBe(true);
  });

  it('a guest cannot forge top-level fields or flood one entry', async () => {
    const { logger, lines } = capture();
    const out = loggerOutput(logger);
    out.stdout(Buffer.from('{"component":"evil","level":60}\n'));
    out.stdout(Buffer.alloc(MAX_LOG_LINE_BYTES * 3, 'x'));
    out.flush();
    await new Promise((r) => setImmediate(r));
    expect(lines[0]!.component).toBe('c1');
    expect(lines[0]!.level).toBe(30);
    expect(lines.slice(1).every((l) => String((l.guest as { line: string }).line).length <= MAX_LOG_LINE_BYTES + 1)).toBe(true);
  });

  it('logs each drop summary of the workers as one warning and totals the drops', async () => {
    const { logger, lines } = capture();
    const out = loggerOutput(logger, { linesPerSecond: 10, bytesPerSecond: 1024 * 1024 });
    // The rate travels with the sink to each instance's worker, where the dropping happens.
    expect(out.rate).toEqual({ linesPerSecond: 10, bytesPerSecond: 1024 * 1024 });
    out.onDropped!({ stdout: 5, stderr: 90 });
    out.onDropped!({ stdout: 0, stderr: 7 });
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.msg, l.guest])).toEqual([
      ['guest output over its rate limit: lines dropped', { dropped: { stdout: 5, stderr: 90 } }],
      ['guest output over its rate limit: lines dropped', { dropped: { stdout: 0, stderr: 7 } }],
    ]);
    expect(out.dropped).toBe(102);
  });
});
