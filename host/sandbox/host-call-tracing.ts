/**
 * Host-call spans, main-thread side: a call made while a recording span is active (the event
 * runtime's plugin-call span) asks its worker to time the guest's host calls; when the result
 * arrives, each becomes a child span of that span, with the times measured in the worker. Uses
 * `@opentelemetry/api` only: without a tracer provider (tracing off) nothing is recorded.
 */
import { context, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import type { HostCallSpan } from './host-call-spans.js';

/** The active context when it holds a recording span (the call's parent), else undefined. */
export function tracedContext(): Context | undefined {
  const ctx = context.active();
  return trace.getSpan(ctx)?.isRecording() ? ctx : undefined;
}

/** Creates the host-call spans of one call under `parent`. */
export function emitHostCallSpans(parent: Context, recorded: { readonly spans: readonly HostCallSpan[]; readonly dropped: number }): void {
  // Looked up per use, not cached: a provider installed (or replaced) later is the one used.
  const tracer = trace.getTracer('liquid-nano');
  for (const s of recorded.spans) {
    const span = tracer.startSpan(`host ${s.name}`, {
      startTime: s.startMs,
      attributes: { 'lnano.host_call.kind': s.kind, ...(s.error ? { 'lnano.host_call.error': s.error } : {}) },
    }, parent);
    if (s.error) span.setStatus({ code: SpanStatusCode.ERROR, message: s.error });
    span.end(s.startMs + s.durationMs);
  }
  if (recorded.dropped > 0) trace.getSpan(parent)?.setAttribute('lnano.host_calls_untraced', recorded.dropped);
}
