/**
 * The diagnostics timeline on the admin API (contract A; docs/admin-api.md):
 * - `GET /v1/timeline?component=&status=ok|error&code=&type=&after=<seq>&limit=<n>` →
 *   `{ entries (oldest first), capacity, size, latestSeq }`;
 * - `GET /v1/timeline/stream?component=&status=&code=&type=&after=<seq>` → Server-Sent Events:
 *   what the ring still holds after `Last-Event-ID` (or `after`) first, then every new entry, as
 *   `id: <seq>` / `event: outcome` / `data: <entry json>`, with a `: heartbeat` comment line
 *   every `heartbeatMs`. A client that stops reading (more than `maxBufferedBytes` unsent) is
 *   disconnected.
 */
import { LnError } from '../errors/ln-error.js';
import { type DiagnosticsTimeline, TIMELINE_QUERY_LIMITS, type TimelineEntry, type TimelineFilter } from '../observability/diagnostics-timeline.js';
import type { AdminRequest, AdminRoute } from './admin-server.js';
import type { AdminAnswers } from './api-types.js';

/** Stream settings. Every default is in `TIMELINE_STREAM_DEFAULTS`. */
export interface TimelineRouteOptions {
  /** Interval of the `: heartbeat` comment lines, ms. */
  readonly heartbeatMs?: number;
  /** Unsent bytes past which a slow client is disconnected. */
  readonly maxBufferedBytes?: number;
  /** Ends every open stream when aborted (before the admin server closes: it waits for them). */
  readonly signal?: AbortSignal;
}

/** Defaults: a heartbeat every 15 s; a client more than 1 MiB behind is dropped. */
export const TIMELINE_STREAM_DEFAULTS = Object.freeze({ heartbeatMs: 15_000, maxBufferedBytes: 1024 * 1024 });

const FILTER_KEYS = ['component', 'status', 'code', 'type', 'after'];

const badRequest = (reason: string): LnError => new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason });

function seqOf(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(n)) throw badRequest(`${what} must be a sequence number (a whole number, 0 or more)`);
  return n;
}

/** Parses and checks the query: known keys only, each once, bounded. */
function parseFilter(req: AdminRequest, allowed: readonly string[]): { filter: TimelineFilter; limit: number } {
  const filter: { -readonly [K in keyof TimelineFilter]: TimelineFilter[K] } = {};
  let limit: number = TIMELINE_QUERY_LIMITS.defaultLimit;
  for (const key of new Set(req.query.keys())) {
    if (!allowed.includes(key)) throw badRequest(`unknown query parameter "${key.slice(0, 40)}" (allowed: ${allowed.join(', ')})`);
    const values = req.query.getAll(key);
    if (values.length > 1) throw badRequest(`?${key} is given more than once`);
    const value = values[0]!;
    if (value.length === 0 || value.length > 256) throw badRequest(`?${key} must be 1 to 256 characters`);
    switch (key) {
      case 'status':
        if (value !== 'ok' && value !== 'error') throw badRequest('?status must be ok or error');
        filter.status = value;
        break;
      case 'after':
        filter.after = seqOf(value, '?after');
        break;
      case 'limit': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1 || n > TIMELINE_QUERY_LIMITS.maxLimit)
          throw badRequest(`?limit must be a whole number from 1 to ${TIMELINE_QUERY_LIMITS.maxLimit}`);
        limit = n;
        break;
      }
      case 'type':
        if (!/^[A-Za-z0-9._*-]+$/.test(value)) throw badRequest('?type must be an event type pattern such as sensor.*');
        filter.type = value;
        break;
      default:
        filter[key as 'component' | 'code'] = value;
    }
  }
  return { filter, limit };
}

function frame(entry: TimelineEntry): string {
  return `id: ${entry.seq}\nevent: outcome\ndata: ${JSON.stringify(entry)}\n\n`;
}

/** The timeline routes, bound to `timeline`. */
export function timelineRoutes(timeline: DiagnosticsTimeline, options: TimelineRouteOptions = {}): AdminRoute[] {
  const heartbeatMs = options.heartbeatMs ?? TIMELINE_STREAM_DEFAULTS.heartbeatMs;
  const maxBuffered = options.maxBufferedBytes ?? TIMELINE_STREAM_DEFAULTS.maxBufferedBytes;
  return [
    {
      method: 'GET',
      path: '/v1/timeline',
      handler: (req) => {
        const { filter, limit } = parseFilter(req, [...FILTER_KEYS, 'limit']);
        return { body: timeline.query(filter, limit) satisfies AdminAnswers['GET /v1/timeline'] };
      },
    },
    {
      method: 'GET',
      path: '/v1/timeline/stream',
      handler: (req) => {
        const { filter } = parseFilter(req, FILTER_KEYS);
        const lastEventId = req.raw.headers['last-event-id'];
        const resumeFrom = typeof lastEventId === 'string' && lastEventId.length > 0 ? seqOf(lastEventId.trim(), 'Last-Event-ID') : undefined;
        const after = resumeFrom ?? filter.after;
        stream(req, timeline, { ...filter, ...(after !== undefined ? { after } : {}) }, heartbeatMs, maxBuffered, options.signal);
      },
    },
  ];
}

function stream(
  req: AdminRequest,
  timeline: DiagnosticsTimeline,
  filter: TimelineFilter,
  heartbeatMs: number,
  maxBuffered: number,
  signal: AbortSignal | undefined,
): void {
  const res = req.stream();
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  let open = true;
  const stop = (): void => {
    if (!open) return;
    open = false;
    unsubscribe();
    clearInterval(heartbeat);
    signal?.removeEventListener('abort', stop);
    res.end();
  };
  const send = (text: string): void => {
    if (!open) return;
    res.write(text);
    if (res.writableLength > maxBuffered) {
      stop();
      res.destroy();
    }
  };
  send(': connected\n\n');
  // Replay and subscribe in one synchronous stretch: no entry can be recorded in between.
  if (filter.after !== undefined) {
    for (const entry of timeline.query(filter, timeline.capacity).entries) send(frame(entry));
  }
  const unsubscribe = timeline.subscribe(filter, (entry) => send(frame(entry)));
  const heartbeat = setInterval(() => send(': heartbeat\n\n'), heartbeatMs);
  heartbeat.unref();
  req.raw.on('close', stop);
  res.on('close', stop);
  if (signal?.aborted) stop();
  else signal?.addEventListener('abort', stop);
}
