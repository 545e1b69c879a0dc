// The timeline admin routes on a real admin server, read by a real HTTP client: the list route
// with its filters and its refusals, and the Server-Sent Events stream (replay after an id, live
// entries, filters, heartbeats, Last-Event-ID, a slow client dropped, streams ended on shutdown).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../host/log/logger.js';
import { DiagnosticsTimeline, type TimelineInput } from '../../host/observability/diagnostics-timeline.js';
import { AdminServer } from '../../host/server/admin-server.js';
import { timelineRoutes } from '../../host/server/timeline-routes.js';

const token = 'timeline-token-0123456789';
const timeline = new DiagnosticsTimeline(50);
const shutdown = new AbortController();
let server: AdminServer;
let base: string;

function input(i: number, extra: Partial<TimelineInput> = {}): TimelineInput {
  return {
    eventId: `e${i}`,
    eventType: 'sensor.reading',
    source: '/t',
    plugin: i % 2 ? 'odd' : 'even',
    version: '1.0.0',
    status: i % 3 ? 'ok' : 'error',
    ...(i % 3 ? {} : { code: 'LN_ERR_GUEST_TRAP' }),
    durationMs: 0.5,
    usage: { fuelUsed: null, peakMemoryBytes: 65536 },
    depth: 0,
    ...extra,
  };
}

beforeAll(async () => {
  server = new AdminServer({ token, logger: silentLogger(), routes: timelineRoutes(timeline, { heartbeatMs: 50, signal: shutdown.signal }) });
  base = `http://127.0.0.1:${(await server.listen(0, '127.0.0.1')).port}`;
  for (let i = 1; i <= 6; i++) timeline.record(input(i));
});
afterAll(async () => {
  shutdown.abort();
  await server.close();
});

const auth = { authorization: `Bearer ${token}` };

/** Reads SSE frames from a live response until `done` says stop; returns them and the comment lines. */
async function read(res: Response, done: (frames: Array<{ id: string; event: string; data: Record<string, unknown> }>, comments: string[]) => boolean) {
  const frames: Array<{ id: string; event: string; data: Record<string, unknown> }> = [];
  const comments: string[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  while (!done(frames, comments)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    pending += decoder.decode(value, { stream: true });
    const blocks = pending.split('\n\n');
    pending = blocks.pop()!;
    for (const block of blocks) {
      if (block.startsWith(':')) {
        comments.push(block);
        continue;
      }
      const field = (k: string) =>
        block
          .split('\n')
          .find((l) => l.startsWith(`${k}: `))!
          .slice(k.length + 2);
      frames.push({ id: field('id'), event: field('event'), data: JSON.parse(field('data')) as Record<string, unknown> });
    }
  }
  await reader.cancel();
  return { frames, comments };
}

describe('GET /v1/timeline', () => {
  it('lists entries oldest first with capacity, size and latestSeq, filtered', async () => {
    const res = await fetch(`${base}/v1/timeline?status=error`, { headers: auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { entries: Array<{ seq: number; code: string }>; capacity: number; size: number; latestSeq: number };
    expect(body.entries.map((e) => [e.seq, e.code])).toEqual([
      [3, 'LN_ERR_GUEST_TRAP'],
      [6, 'LN_ERR_GUEST_TRAP'],
    ]);
    expect(body).toMatchObject({ capacity: 50, size: 6, latestSeq: 6 });
    const paged = (await (await fetch(`${base}/v1/timeline?component=odd&after=1&limit=1`, { headers: auth })).json()) as { entries: Array<{ seq: number }> };
    expect(paged.entries.map((e) => e.seq)).toEqual([3]);
  });

  it.each([
    ['?status=maybe', 'status'],
    ['?limit=0', 'limit'],
    ['?limit=10001', 'limit'],
    ['?after=-1', 'after'],
    ['?after=1e3', 'after'],
    ['?bogus=1', 'unknown query parameter'],
    ['?status=ok&status=error', 'more than once'],
    ['?type=a%20b', 'type'],
    [`?component=${'x'.repeat(300)}`, 'component'],
  ])('refuses %s with a coded 400', async (query, words) => {
    const res = await fetch(`${base}/v1/timeline${query}`, { headers: auth });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('LN_ERR_ADMIN_BAD_REQUEST');
    expect(body.message).toContain(words);
  });

  it('needs the token, on the stream too', async () => {
    expect((await fetch(`${base}/v1/timeline`)).status).toBe(401);
    expect((await fetch(`${base}/v1/timeline/stream`)).status).toBe(401);
  });
});

describe('GET /v1/timeline/stream', () => {
  it('replays what is held after ?after, then streams new entries live, filtered, with heartbeats', async () => {
    const res = await fetch(`${base}/v1/timeline/stream?after=4&component=even`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const live = setTimeout(() => {
      for (let i = 7; i <= 10; i++) timeline.record(input(i));
    }, 20);
    const { frames, comments } = await read(res, (f, c) => f.length >= 3 && c.some((x) => x === ': heartbeat'));
    clearTimeout(live);
    expect(frames.map((f) => [f.id, f.event, f.data.eventId])).toEqual([
      ['6', 'outcome', 'e6'],
      ['8', 'outcome', 'e8'],
      ['10', 'outcome', 'e10'],
    ]);
    expect(frames[0]!.data).toMatchObject({
      seq: 6,
      plugin: 'even',
      status: 'error',
      code: 'LN_ERR_GUEST_TRAP',
      usage: { fuelUsed: null, peakMemoryBytes: 65536 },
    });
    expect(comments).toContain(': heartbeat');
  });

  it('resumes after Last-Event-ID (over ?after)', async () => {
    const res = await fetch(`${base}/v1/timeline/stream?after=0`, { headers: { ...auth, 'last-event-id': '8' } });
    const { frames } = await read(res, (f) => f.length >= 2);
    expect(frames.map((f) => f.id)).toEqual(['9', '10']);
    const bad = await fetch(`${base}/v1/timeline/stream`, { headers: { ...auth, 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
  });

  it('without after, sends only new entries; the subscription ends when the client goes away', async () => {
    const before = timeline.subscribers;
    const res = await fetch(`${base}/v1/timeline/stream?status=ok`, { headers: auth });
    const live = setTimeout(() => timeline.record(input(11)), 20);
    const { frames } = await read(res, (f) => f.length >= 1);
    clearTimeout(live);
    expect(frames.map((f) => f.id)).toEqual(['11']);
    for (let i = 0; i < 100 && timeline.subscribers > before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(timeline.subscribers).toBe(before);
  });

  it('ends every open stream when the host shuts down', async () => {
    const res = await fetch(`${base}/v1/timeline/stream`, { headers: auth });
    const reader = res.body!.getReader();
    await reader.read(); // ": connected"
    shutdown.abort();
    let ended = false;
    for (let i = 0; i < 50 && !ended; i++) ended = (await reader.read()).done;
    expect(ended).toBe(true);
  });
});
