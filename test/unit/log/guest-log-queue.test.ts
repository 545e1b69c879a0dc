// Issue 15: guest log lines reach the host's log through an asynchronous, bounded, drop-counting
// queue. A real pino logger writes into an array; the clock and the scheduler are injected.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { GuestLogQueue } from '../../../host/log/guest-log-queue.js';
import { LogRing } from '../../../host/log/log-ring.js';

function setup(capacity: number, level = 'info') {
  const written: Array<Record<string, unknown>> = [];
  const log = pino(
    { level, base: null },
    {
      write: (line: string) => {
        written.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  const batches: Array<() => void> = [];
  let now = 0;
  const queue = new GuestLogQueue(log, { capacity, summaryIntervalMs: 1000, now: () => now, schedule: (drain) => batches.push(drain) });
  const runBatches = (): void => {
    for (let b = batches.shift(); b; b = batches.shift()) b();
  };
  return {
    written,
    queue,
    runBatches,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const line = (i: number) => ({ guest: { level: 'info', message: `line ${i}`, fields: {} } });

describe('GuestLogQueue', () => {
  it('writes nothing during the call: lines are written in one batch on a later turn', () => {
    const { written, queue, runBatches } = setup(16);
    for (let i = 0; i < 3; i++) expect(queue.push('info', line(i), 'guest log')).toBe(true);
    expect(written).toEqual([]);
    expect(queue.pending).toBe(3);
    runBatches();
    expect(written.map((w) => (w.guest as { message: string }).message)).toEqual(['line 0', 'line 1', 'line 2']);
    expect(written.every((w) => w.msg === 'guest log' && w.level === 30)).toBe(true);
  });

  it('drops past its capacity, counts the drops and warns at most once per interval', () => {
    const { written, queue, runBatches, advance } = setup(3);
    const kept = Array.from({ length: 10 }, (_, i) => queue.push('warn', line(i), 'guest log'));
    expect(kept.filter(Boolean)).toHaveLength(3);
    expect(queue.dropped).toBe(7);
    runBatches();
    expect(written).toHaveLength(4);
    expect(written[3]).toMatchObject({ msg: 'guest log lines dropped: too many waiting to be written', dropped: 7, droppedTotal: 7, level: 40 });

    // Another flood within the interval: the lines that fit are written, the drops wait.
    for (let i = 0; i < 5; i++) queue.push('info', line(i), 'guest log');
    runBatches();
    expect(written).toHaveLength(7);
    expect(queue.dropped).toBe(9);
    advance(1000);
    queue.push('info', line(99), 'guest log');
    runBatches();
    expect(written.at(-1)).toMatchObject({ dropped: 2, droppedTotal: 9 });
  });

  it('flush writes what waits and the drops not reported yet; lines below the level are not queued', () => {
    const { written, queue, runBatches } = setup(2);
    expect(queue.push('debug', line(0), 'guest log')).toBe(true);
    expect(queue.pending).toBe(0);
    for (let i = 0; i < 3; i++) queue.push('info', line(i), 'guest log');
    runBatches();
    queue.push('info', line(3), 'guest log');
    queue.push('info', line(4), 'guest log');
    queue.push('info', line(5), 'guest log');
    queue.flush();
    expect(written.map((w) => w.dropped ?? (w.guest as { message: string }).message)).toEqual(['line 0', 'line 1', 1, 'line 3', 'line 4', 1]);
    expect(queue.pending).toBe(0);
  });
});

describe('LogRing', () => {
  it('passes flush on to its destination', async () => {
    let flushed = 0;
    const ring = new LogRing({
      write: () => undefined,
      flush: (cb: () => void) => {
        flushed++;
        cb();
      },
    } as never);
    await new Promise<void>((resolve) => pino({}, ring).flush(() => resolve()));
    expect(flushed).toBe(1);
  });
});
