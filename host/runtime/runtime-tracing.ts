/**
 * The runtime's spans, through `@opentelemetry/api` only (the host installs an SDK provider or
 * not; without one every span is a no-op): `event <type>` per ingress event and, under it,
 * `plugin <name>` per plugin call. Attribute names follow the OpenTelemetry CloudEvents
 * conventions (`cloudevents.*`) plus `lnano.*`.
 */
import { SpanStatusCode, context, trace, type Context, type Span } from '@opentelemetry/api';
import type { PluginEvent } from '../engine/plugin-event.js';

/** The tracer name (contract D). */
export const TRACER_NAME = 'liquid-nano';

const eventAttributes = (event: PluginEvent): Record<string, string> => ({
  'cloudevents.event_id': event.id, 'cloudevents.event_type': event.type, 'cloudevents.event_source': event.source,
});

/** Starts the span of an ingress event; returns it and the context its calls are children of. */
export function startEventSpan(event: PluginEvent): { span: Span; context: Context } {
  const span = trace.getTracer(TRACER_NAME).startSpan(`event ${event.type}`, { attributes: eventAttributes(event) }, context.active());
  return { span, context: trace.setSpan(context.active(), span) };
}

/** Starts the span of one plugin call under `parent` (default: the active context). */
export function startCallSpan(plugin: string, event: PluginEvent, depth: number, parent: Context = context.active()): Span {
  return trace.getTracer(TRACER_NAME).startSpan(`plugin ${plugin}`, { attributes: { ...eventAttributes(event), 'lnano.plugin': plugin, 'lnano.depth': depth } }, parent);
}

/** Sets the outcome attributes and ends the span. */
export function endSpan(span: Span, outcome: { version?: string; ok: boolean; code?: string }): void {
  if (outcome.version) span.setAttribute('lnano.plugin.version', outcome.version);
  span.setAttribute('lnano.status', outcome.ok ? 'ok' : 'error');
  if (outcome.code) {
    span.setAttribute('lnano.error.code', outcome.code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.code });
  }
  span.end();
}

/** The span's trace id when it records (an SDK is installed and sampled it). */
export function traceIdOf(span: Span): string | undefined {
  return span.isRecording() ? span.spanContext().traceId : undefined;
}
