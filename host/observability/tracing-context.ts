/**
 * Trace context at the host's edges (W3C Trace Context): an incoming request or message that
 * carries `traceparent` (and `tracestate`) continues that trace. The ingress and the bridges wrap
 * their work in one span of their own, with the kind OpenTelemetry gives an edge: `SERVER` for an
 * HTTP request, `CONSUMER` for a broker's message. The runtime's `event` span, its `plugin` spans
 * and their host-call spans (`CLIENT` for outgoing HTTP) are children of it.
 *
 * Through `@opentelemetry/api` only: the propagator is the one `Tracing.start` registers
 * (`TraceContextPropagator`); without tracing, nothing is extracted and no span is made.
 */
import { type Attributes, type Context, context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { TRACER_NAME } from './runtime-tracing.js';

export { SpanKind };

/** Headers or MQTT 5 user properties: names to one value or several. */
export type TraceCarrier = Readonly<Record<string, string | readonly string[] | undefined>>;

const getter = {
  keys: (carrier: TraceCarrier): string[] => Object.keys(carrier),
  get: (carrier: TraceCarrier, key: string): string | string[] | undefined => {
    const value = carrier[key];
    return Array.isArray(value) ? [...value] : (value as string | undefined);
  },
};

/** An edge span and the context its work runs in (`span` null when tracing is off). */
export interface EdgeSpan {
  readonly span: Span | null;
  readonly context: Context;
}

/**
 * Starts the span of work that came in from outside: its parent is the trace context `carrier`
 * holds (`traceparent`, `tracestate`), or none (a new trace).
 *
 * @example
 * const edge = startEdgeSpan('POST /events', SpanKind.SERVER, request.headers, { 'http.request.method': 'POST' });
 * const answer = await runInEdgeSpan(edge, () => route(event));
 */
export function startEdgeSpan(name: string, kind: SpanKind, carrier: TraceCarrier, attributes: Attributes = {}): EdgeSpan {
  if (!edgeTracingOn()) return { span: null, context: context.active() };
  const parent = propagation.extract(ROOT_CONTEXT, carrier, getter);
  // A span that does not record (its parent was not sampled) still carries the decision down to the event's spans.
  const span = trace.getTracer(TRACER_NAME).startSpan(name, { kind, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/**
 * Runs `work` inside the edge span's context and ends the span when it settles (an error status,
 * with `errorCode` of an `LnError`-like rejection, when it fails).
 */
export async function runInEdgeSpan<T>(edge: EdgeSpan, work: () => Promise<T>): Promise<T> {
  if (!edge.span) return work();
  const span = edge.span;
  try {
    return await context.with(edge.context, work);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : 'error' });
    if (typeof code === 'string') span.setAttribute('lnano.error.code', code);
    throw err;
  } finally {
    span.end();
  }
}

/** The `traceparent` of the active span (to carry on an outgoing message), or undefined. */
export function activeTraceparent(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return undefined;
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The API's global registry key for major version 1 (see `@opentelemetry/api` global-utils). */
const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/**
 * True when a global context manager is registered, i.e. `Tracing.start` turned tracing on: the
 * edges ask first and skip even the span's attributes without it (one property read per request).
 */
export function edgeTracingOn(): boolean {
  const registry = (globalThis as Record<symbol, { context?: unknown } | undefined>)[OTEL_GLOBAL];
  return registry?.context !== undefined;
}
