/**
 * The in-memory ring of recent traces behind `GET /v1/traces`: a span processor that groups
 * finished spans by trace and keeps the last `capacity` traces (at most `maxSpansPerTrace`
 * spans each), oldest dropped first.
 */
import { type Context, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** One span as `GET /v1/traces` shows it. */
export interface TraceSpan {
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly name: string;
  /** ISO 8601. */
  readonly startTime: string;
  readonly durationMs: number;
  readonly status: 'unset' | 'ok' | 'error';
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** One trace: its spans (in the order they started) and its root. */
export interface TraceSummary {
  readonly traceId: string;
  /** The span with no parent in the trace (the first one, when several). */
  readonly rootName: string;
  readonly startTime: string;
  /** From the first span's start to the last span's end, ms. */
  readonly durationMs: number;
  readonly spans: readonly TraceSpan[];
}

/** Defaults of the ring: 256 traces, 512 spans each. */
export const TRACE_RING_DEFAULTS = Object.freeze({ capacity: 256, maxSpansPerTrace: 512 });

const ms = (t: readonly [number, number]): number => t[0] * 1000 + t[1] / 1e6;

function toTraceSpan(span: ReadableSpan): TraceSpan & { startMs: number; endMs: number } {
  const startMs = ms(span.startTime);
  const endMs = ms(span.endTime);
  return {
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    startTime: new Date(startMs).toISOString(),
    durationMs: Math.round((endMs - startMs) * 1000) / 1000,
    status: span.status.code === SpanStatusCode.ERROR ? 'error' : span.status.code === SpanStatusCode.OK ? 'ok' : 'unset',
    attributes: { ...span.attributes },
    startMs,
    endMs,
  };
}

export class TraceRing implements SpanProcessor {
  readonly #traces = new Map<string, Array<ReturnType<typeof toTraceSpan>>>();
  #capacity: number;
  readonly #maxSpans: number;

  constructor(options: { capacity?: number; maxSpansPerTrace?: number } = {}) {
    this.#capacity = options.capacity ?? TRACE_RING_DEFAULTS.capacity;
    this.#maxSpans = options.maxSpansPerTrace ?? TRACE_RING_DEFAULTS.maxSpansPerTrace;
  }

  /** Changes how many traces are kept (the oldest go first). */
  resize(capacity: number): void {
    this.#capacity = capacity;
    this.#trim();
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    let spans = this.#traces.get(traceId);
    if (!spans) {
      spans = [];
      this.#traces.set(traceId, spans);
      this.#trim();
    }
    if (spans.length < this.#maxSpans) spans.push(toTraceSpan(span));
  }

  /** The most recent traces, newest first (by first span start). */
  list(limit = 20): TraceSummary[] {
    const out: Array<[number, TraceSummary]> = [];
    for (const [traceId, raw] of this.#traces) {
      const spans = [...raw].sort((a, b) => a.startMs - b.startMs);
      const ids = new Set(spans.map((s) => s.spanId));
      const root = spans.find((s) => s.parentSpanId === null || !ids.has(s.parentSpanId)) ?? spans[0]!;
      const start = spans[0]!.startMs;
      const end = Math.max(...spans.map((s) => s.endMs));
      out.push([
        start,
        {
          traceId,
          rootName: root.name,
          startTime: new Date(start).toISOString(),
          durationMs: Math.round((end - start) * 1000) / 1000,
          spans: spans.map(({ startMs: _s, endMs: _e, ...s }) => s),
        },
      ]);
    }
    return out
      .sort((a, b) => b[0] - a[0])
      .slice(0, limit)
      .map(([, t]) => t);
  }

  #trim(): void {
    while (this.#traces.size > this.#capacity) this.#traces.delete(this.#traces.keys().next().value!);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
