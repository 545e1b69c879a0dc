/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as an OpenTelemetry `TextMapPropagator`
 * on `@opentelemetry/api` alone (the SDK's copy lives in `@opentelemetry/core`, which this package
 * does not depend on directly). `Tracing.start` registers it; the edges extract with it.
 *
 * Extract: `traceparent` of version `00` (or a later version, read by its first four fields, as
 * the spec asks), a trace id and parent id that are lowercase hex and not all zeros; anything else
 * is ignored (a new trace starts). `tracestate` goes along when the `traceparent` is valid, at most
 * 512 characters (longer: dropped, as the spec allows). Inject: the active span's context.
 */
import {
  type Context,
  createTraceState,
  isSpanContextValid,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  TraceFlags,
  trace,
} from '@opentelemetry/api';

const TRACEPARENT = 'traceparent';
const TRACESTATE = 'tracestate';
const MAX_TRACESTATE = 512;
/** version-traceid-parentid-flags; a future version may append fields after a dash. */
const PARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export class TraceContextPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const span = trace.getSpanContext(context);
    if (!span || !isSpanContextValid(span)) return;
    setter.set(carrier, TRACEPARENT, `00-${span.traceId}-${span.spanId}-0${(span.traceFlags & TraceFlags.SAMPLED).toString(16)}`);
    const state = span.traceState?.serialize();
    if (state) setter.set(carrier, TRACESTATE, state);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = first(getter.get(carrier, TRACEPARENT))?.trim();
    const match = header === undefined ? null : PARENT.exec(header);
    if (!match) return context;
    const [, version, traceId, spanId, flags, rest] = match;
    // Version ff is invalid; version 00 has exactly four fields.
    if (version === 'ff' || (version === '00' && rest !== undefined)) return context;
    const parent = { traceId: traceId!, spanId: spanId!, traceFlags: Number.parseInt(flags!, 16) & TraceFlags.SAMPLED, isRemote: true };
    if (!isSpanContextValid(parent)) return context;
    const state = getter.get(carrier, TRACESTATE);
    const text = Array.isArray(state) ? state.join(',') : state;
    const withState = text && text.length <= MAX_TRACESTATE ? { ...parent, traceState: createTraceState(text) } : parent;
    return trace.setSpanContext(context, withState);
  }

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE];
  }
}
