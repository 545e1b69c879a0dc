import { describe, expect, it } from 'vitest';
import { RUNTIME_DEFAULTS, resolveRuntimeSettings } from '../../../host/events/runtime-options.js';
import { DiagnosticsTimeline, type TimelineEntry, type TimelineInput } from '../../../host/observability/diagnostics-timeline.js';
import { codeOf } from '../../helpers/errors.js';

const clock = (): Date => new Date('2026-11-21T10:00:00.000Z');

function input(i: number, extra: Partial<TimelineInput> = {}): TimelineInput {
  return {
    eventId: `e${i}`,
    eventType: i % 2 ? 'sensor.reading' : 'door.open',
    source: '/t',
    plugin: i % 3 ? 'echo-c' : 'echo-ts',
    version: '0.1.0',
    status: i % 5 ? 'ok' : 'error',
    ...(i % 5 ? {} : { code: 'LN_ERR_GUEST_TRAP' }),
    durationMs: 1,
    usage: null,
    depth: 0,
    ...extra,
  };
}

describe('diagnostics timeline', () => {
  it('keeps the newest `capacity` entries in a ring; seqs go on counting', () => {
    const t = new DiagnosticsTimeline(5, clock);
    for (let i = 1; i <= 12; i++) t.record(input(i));
    const page = t.query({}, 100);
    expect(page.entries.map((e) => e.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(page).toMatchObject({ capacity: 5, size: 5, latestSeq: 12 });
    expect(page.entries[0]).toMatchObject({ seq: 8, time: '2026-11-21T10:00:00.000Z', eventId: 'e8' });
    expect(Object.isFrozen(page.entries[0])).toBe(true);
  });

  it('pages forward with after (oldest first), else returns the newest `limit`', () => {
    const t = new DiagnosticsTimeline(10, clock);
    for (let i = 1; i <= 15; i++) t.record(input(i));
    expect(t.query({}, 3).entries.map((e) => e.seq)).toEqual([13, 14, 15]);
    expect(t.query({ after: 7 }, 3).entries.map((e) => e.seq)).toEqual([8, 9, 10]);
    expect(t.query({ after: 2 }, 3).entries.map((e) => e.seq)).toEqual([6, 7, 8]); // 1–5 were evicted
    expect(t.query({ after: 15 }, 3).entries).toEqual([]);
    expect(t.query({ after: 99 }, 3).entries).toEqual([]);
  });

  it('filters by component, status, code and type pattern, together', () => {
    const t = new DiagnosticsTimeline(100, clock);
    for (let i = 1; i <= 30; i++) t.record(input(i));
    const seqs = (f: Parameters<DiagnosticsTimeline['query']>[0]): number[] => t.query(f, 1000).entries.map((e) => e.seq);
    expect(seqs({ component: 'echo-ts' })).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
    expect(seqs({ status: 'error' })).toEqual([5, 10, 15, 20, 25, 30]);
    expect(seqs({ code: 'LN_ERR_GUEST_TRAP', type: 'sensor.*' })).toEqual([5, 15, 25]);
    expect(seqs({ component: 'echo-ts', status: 'error', after: 15 })).toEqual([30]);
    expect(seqs({ type: '*' })).toHaveLength(30);
  });

  it('hands new matching entries to subscribers until they unsubscribe; a throwing one does not stop the rest', () => {
    const t = new DiagnosticsTimeline(3, clock);
    const got: TimelineEntry[] = [];
    t.subscribe({}, () => {
      throw new Error('gone');
    });
    const off = t.subscribe({ status: 'error' }, (e) => got.push(e));
    for (let i = 1; i <= 10; i++) t.record(input(i));
    expect(got.map((e) => e.seq)).toEqual([5, 10]);
    off();
    t.record(input(15));
    expect(got).toHaveLength(2);
    expect(t.subscribers).toBe(1);
  });

  it('without a clock, stamps entries with the wall clock as toISOString writes it (the second is formatted once, the ms appended)', () => {
    const t = new DiagnosticsTimeline(50);
    const before = Date.now();
    for (let i = 1; i <= 30; i++) t.record(input(i));
    const after = Date.now();
    for (const { time } of t.query({}, 50).entries) {
      const ms = Date.parse(time);
      expect(new Date(ms).toISOString()).toBe(time);
      expect(ms).toBeGreaterThanOrEqual(before);
      expect(ms).toBeLessThanOrEqual(after);
    }
  });

  it('refuses a capacity that is not a positive whole number', () => {
    expect(() => new DiagnosticsTimeline(0)).toThrow(RangeError);
  });
});

describe('runtime settings', () => {
  it('fills in RUNTIME_DEFAULTS and refuses unknown keys and values out of range', () => {
    expect(resolveRuntimeSettings({ maxDepth: 2 })).toEqual({ ...RUNTIME_DEFAULTS, maxDepth: 2 });
    expect(RUNTIME_DEFAULTS).toMatchObject({ maxDepth: 8, maxFanOut: 64, timelineCapacity: 10_000, stopOnError: false });
    expect(codeOf(() => resolveRuntimeSettings({ maxDepht: 2 } as never))).toBe('LN_ERR_CONFIG_INVALID');
    expect(codeOf(() => resolveRuntimeSettings({ maxFanOut: -1 }))).toBe('LN_ERR_CONFIG_INVALID');
    expect(codeOf(() => resolveRuntimeSettings({ maxConcurrentCalls: 1.5 }))).toBe('LN_ERR_CONFIG_INVALID');
    expect(codeOf(() => resolveRuntimeSettings({ stopOnError: 'yes' as never }))).toBe('LN_ERR_CONFIG_INVALID');
  });
});
