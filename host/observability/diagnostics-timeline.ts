/**
 * The diagnostics timeline: the outcome of every plugin call the runtime made, newest last, in a
 * bounded ring (the oldest entry is evicted when it is full). Queried with filters, followed live
 * by subscribers (the admin API's `GET /v1/timeline` and `/v1/timeline/stream`). See
 * docs/runtime.md; the entry shape is contract A.
 */
import { eventTypeMatches } from '../support/event-pattern.js';

/** One plugin call's outcome. */
export interface TimelineEntry {
  /** 1, 2, 3 … in recording order; never reused. */
  readonly seq: number;
  /** When the call finished, ISO 8601. */
  readonly time: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly source: string;
  readonly plugin: string;
  readonly version: string;
  readonly status: 'ok' | 'error';
  /** The error code; errors only. */
  readonly code?: string;
  readonly durationMs: number;
  /** The call's usage receipt, or null when the call never reached an instance. */
  readonly usage: { readonly fuelUsed: number | null; readonly peakMemoryBytes: number } | null;
  /** 0 for an ingress event (or a direct invoke), n for an n-th generation follow-up. */
  readonly depth: number;
  /** The event whose handling produced this one (follow-ups only). */
  readonly parentEventId?: string;
  /** Only for pipeline steps. */
  readonly pipeline?: { readonly name: string; readonly runId: string; readonly step: string };
  /** The trace of the call, when a span was recording. */
  readonly traceId?: string;
}

/** What an entry is recorded from (`seq` and `time` are the timeline's). */
export type TimelineInput = Omit<TimelineEntry, 'seq' | 'time'>;

/** Filters of a query or a subscription; all given ones must match. */
export interface TimelineFilter {
  /** The plugin name. */
  readonly component?: string;
  readonly status?: 'ok' | 'error';
  readonly code?: string;
  /** An event type pattern (`sensor.*`), as in manifests. */
  readonly type?: string;
  /** Only entries with a larger `seq`. */
  readonly after?: number;
}

/** The answer of `query` (and of `GET /v1/timeline`). */
export interface TimelinePage {
  /** Oldest first. */
  readonly entries: TimelineEntry[];
  readonly capacity: number;
  /** Entries held now. */
  readonly size: number;
  /** The last `seq` recorded (0: none yet). */
  readonly latestSeq: number;
}

/** Most entries one query returns, and the default. */
export const TIMELINE_QUERY_LIMITS = Object.freeze({ defaultLimit: 100, maxLimit: 10_000 });

export function matchesFilter(entry: TimelineEntry, filter: TimelineFilter): boolean {
  return (
    (filter.after === undefined || entry.seq > filter.after) &&
    (filter.component === undefined || entry.plugin === filter.component) &&
    (filter.status === undefined || entry.status === filter.status) &&
    (filter.code === undefined || entry.code === filter.code) &&
    (filter.type === undefined || eventTypeMatches(filter.type, entry.eventType))
  );
}

export class DiagnosticsTimeline {
  readonly capacity: number;
  readonly #ring: Array<TimelineEntry | undefined>;
  /** Index the next entry goes to. */
  #next = 0;
  #size = 0;
  #latestSeq = 0;
  readonly #subscribers = new Set<{ filter: TimelineFilter; listener: (entry: TimelineEntry) => void }>();
  /** The injected clock; undefined: the wall clock, read by `#now`. */
  readonly #clock: (() => Date) | undefined;
  /** The wall clock's last second and its ISO text up to the milliseconds (`2026-12-07T21:50:37.`). */
  #second = Number.NaN;
  #secondIso = '';

  /** @param capacity - entries kept (a positive whole number) @param clock - entry times; default `new Date()` */
  constructor(capacity: number, clock?: () => Date) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`timeline capacity must be a positive whole number, got ${capacity}`);
    this.capacity = capacity;
    this.#ring = new Array<TimelineEntry | undefined>(capacity);
    this.#clock = clock;
  }

  /**
   * The time of an entry recorded now, ISO 8601 as `toISOString` writes it (which costs
   * microseconds: it runs once per second, the milliseconds are appended).
   */
  #now(): string {
    if (this.#clock) return this.#clock().toISOString();
    const ms = Date.now();
    const second = Math.floor(ms / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#secondIso = new Date(second * 1000).toISOString().slice(0, -4);
    }
    const milli = ms - second * 1000;
    return `${this.#secondIso}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  }

  get size(): number {
    return this.#size;
  }

  get latestSeq(): number {
    return this.#latestSeq;
  }

  /** Appends an entry (evicting the oldest when full) and hands it to every matching subscriber. */
  record(input: TimelineInput): TimelineEntry {
    // `seq` and `time`, then the input's keys in its order (as a spread would; assigned, which is cheaper).
    const entry: TimelineEntry = Object.freeze(Object.assign({ seq: ++this.#latestSeq, time: this.#now() }, input));
    this.#ring[this.#next] = entry;
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
    for (const s of this.#subscribers) {
      if (!matchesFilter(entry, s.filter)) continue;
      try {
        s.listener(entry);
      } catch {
        // A subscriber's failure is its own (e.g. a client gone); the timeline goes on.
      }
    }
    return entry;
  }

  /**
   * Matching entries, oldest first: with `after`, the first `limit` entries after that seq (page
   * forward with the last seq you got); without, the newest `limit` entries.
   */
  query(filter: TimelineFilter = {}, limit: number = TIMELINE_QUERY_LIMITS.defaultLimit): TimelinePage {
    const matching = this.#held(filter.after).filter((e) => matchesFilter(e, filter));
    const entries = filter.after === undefined ? matching.slice(Math.max(0, matching.length - limit)) : matching.slice(0, limit);
    return { entries, capacity: this.capacity, size: this.#size, latestSeq: this.#latestSeq };
  }

  /**
   * Calls `listener` with every new entry that matches `filter` (its `after` is ignored: replay
   * what is held with `query` first). Returns the function that unsubscribes.
   */
  subscribe(filter: TimelineFilter, listener: (entry: TimelineEntry) => void): () => void {
    const subscriber = { filter: { ...filter, after: undefined }, listener };
    this.#subscribers.add(subscriber);
    return () => void this.#subscribers.delete(subscriber);
  }

  /** Live subscribers (for tests and metrics). */
  get subscribers(): number {
    return this.#subscribers.size;
  }

  /** Held entries with seq > after (all when undefined), oldest first; seqs in the ring are consecutive. */
  #held(after: number | undefined): TimelineEntry[] {
    const oldestSeq = this.#latestSeq - this.#size + 1;
    const skip = after === undefined ? 0 : Math.max(0, Math.min(this.#size, after - oldestSeq + 1));
    const out: TimelineEntry[] = [];
    const start = (this.#next - this.#size + this.capacity) % this.capacity;
    for (let i = skip; i < this.#size; i++) out.push(this.#ring[(start + i) % this.capacity]!);
    return out;
  }
}
