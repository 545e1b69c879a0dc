import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOutput, MAX_LOG_LINE_BYTES } from '../../../host/sandbox/guest-output.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
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

  it('drops lines past the rate limit, counts them, and says so when output resumes', async () => {
    const { logger, lines } = capture();
    const out = loggerOutput(logger, { linesPerSecond: 10, bytesPerSecond: 1024 * 1024 });
    // 100 MB in one newline-free chunk plus 10 000 short lines: neither may reach the log whole.
    out.stdout(Buffer.alloc(100 * 1024 * 1024, 0x61));
    out.stdout(Buffer.from('x\n'.repeat(10_000)));
    await new Promise((r) => setImmediate(r));
    expect(lines.length).toBeLessThanOrEqual(10);
    expect(out.dropped).toBeGreaterThan(10_000 - 10);
    expect(lines.every((l) => String((l.guest as { line?: string }).line ?? '').length <= MAX_LOG_LINE_BYTES + 1)).toBe(true);
  });
});
