/**
 * Host-call spans, main-thread side: a call made while a recording span is active (the event
 * runtime's plugin-call span) asks its worker to time the guest's host calls; when the result
 * arrives, each becomes a child span of that span, with the times measured in the worker. Uses
 * `@opentelemetry/api` only: without a tracer provider (tracing off) nothing is recorded.
 *
 * The API is loaded only once tracing is on (issue 15: `lnano run` starts without its 47
 * modules): a span can be active only under a global context manager, which whoever turned
 * tracing on registered in the API's global registry (`Symbol.for('opentelemetry.js.api.1')`,
 * shared by every copy of API 1.x). Until one is there, `tracedContext` answers undefined
 * without loading the API; once it is, the API is already loaded and `require` returns it.
 */
import { createRequire } from 'node:module';
import type { Context } from '@opentelemetry/api';
import type { HostCallSpan } from './host-call-spans.js';

type OtelApi = typeof import('@opentelemetry/api');

/** The API's global registry key for major version 1 (see `@opentelemetry/api` global-utils). */
const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');
let api: OtelApi | undefined;

/** True when a global context manager is registered, i.e. some span may be active. */
function tracingOn(): boolean {
  const registry = (globalThis as Record<symbol, { context?: unknown } | undefined>)[OTEL_GLOBAL];
  return registry?.context !== undefined;
}

/** The API, loaded on first use (its package resolves to one CommonJS build for import and require). */
function otel(): OtelApi {
  api ??= createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
  return api;
}

/** The active context when it holds a recording span (the call's parent), else undefined. */
export function tracedContext(): Context | undefined {
  if (!tracingOn()) return undefined;
  const { context, trace } = otel();
  const ctx = context.active();
  return trace.getSpan(ctx)?.isRecording() ? ctx : undefined;
}

/** The W3C `traceparent` of the span active in `ctx` (a traced call's parent). */
export function traceparentOf(ctx: Context): string | undefined {
  const span = otel().trace.getSpan(ctx);
  if (!span) return undefined;
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The span id the next span started gets (set just before a host-call span whose id the worker chose). */
let presetSpanId: string | undefined;

/**
 * The tracer provider's id generator (`Tracing.start` installs it): ids from `fallback`, except
 * for a host-call span whose id the worker chose, because an outgoing HTTP request already named it
 * as its parent in `traceparent` — so the server's spans hang under the request's span.
 */
export class HostCallIdGenerator {
  readonly #fallback: { generateTraceId(): string; generateSpanId(): string };

  constructor(fallback: { generateTraceId(): string; generateSpanId(): string }) {
    this.#fallback = fallback;
  }

  generateTraceId(): string {
    return this.#fallback.generateTraceId();
  }

  generateSpanId(): string {
    const preset = presetSpanId;
    presetSpanId = undefined;
    return preset ?? this.#fallback.generateSpanId();
  }
}

/** Creates the host-call spans of one call under `parent` (an outgoing HTTP request's is a `CLIENT` span). */
export function emitHostCallSpans(parent: Context, recorded: { readonly spans: readonly HostCallSpan[]; readonly dropped: number }): void {
  const { trace, SpanStatusCode, SpanKind } = otel();
  // Looked up per use, not cached: a provider installed (or replaced) later is the one used.
  const tracer = trace.getTracer('liquid-nano');
  for (const s of recorded.spans) {
    presetSpanId = s.spanId;
    const span = tracer.startSpan(
      `host ${s.name}`,
      {
        startTime: s.startMs,
        kind: s.kind === 'http' ? SpanKind.CLIENT : SpanKind.INTERNAL,
        attributes: { 'lnano.host_call.kind': s.kind, ...(s.error ? { 'lnano.host_call.error': s.error } : {}) },
      },
      parent,
    );
    presetSpanId = undefined;
    if (s.error) span.setStatus({ code: SpanStatusCode.ERROR, message: s.error });
    span.end(s.startMs + s.durationMs);
  }
  if (recorded.dropped > 0) trace.getSpan(parent)?.setAttribute('lnano.host_calls_untraced', recorded.dropped);
}
