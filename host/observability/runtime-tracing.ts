/**
 * The runtime's spans, through `@opentelemetry/api` only (the host installs an SDK provider or
 * not): `event <type>` per ingress event and, under it, `plugin <name>` per plugin call.
 * Attribute names follow the OpenTelemetry CloudEvents conventions (`cloudevents.*`) plus
 * `lnano.*`. Without a provider no span is made at all (`null`): the API's no-op spans would
 * still cost a tracer, a span, a context and the attribute objects per call.
 */
import { type Context, context, ProxyTracerProvider, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { PluginEvent } from '../engine/plugin-event.js';

/** The tracer name (contract D). */
export const TRACER_NAME = 'liquid-nano';

const eventAttributes = (event: PluginEvent): Record<string, string> => ({
  'cloudevents.event_id': event.id,
  'cloudevents.event_type': event.type,
  'cloudevents.event_source': event.source,
});

/**
 * The runtime's tracer, or null when no tracer provider is registered (the global provider is
 * still the API's empty proxy): asked per span, so a provider registered later is used at once.
 */
function tracer(): Tracer | null {
  const provider = trace.getTracerProvider();
  if (provider instanceof ProxyTracerProvider) return provider.getDelegateTracer(TRACER_NAME) ?? null;
  return provider.getTracer(TRACER_NAME);
}

/**
 * Starts the span of an ingress event; returns it and the context its calls are children of
 * (`span` null and the active context when tracing is off).
 */
export function startEventSpan(event: PluginEvent): { span: Span | null; context: Context } {
  const active = context.active();
  const span = tracer()?.startSpan(`event ${event.type}`, { attributes: eventAttributes(event) }, active) ?? null;
  return { span, context: span ? trace.setSpan(active, span) : active };
}

/** Starts the span of one plugin call under `parent` (default: the active context); null when tracing is off. */
export function startCallSpan(plugin: string, event: PluginEvent, depth: number, parent?: Context): Span | null {
  const t = tracer();
  if (!t) return null;
  return t.startSpan(
    `plugin ${plugin}`,
    { attributes: { ...eventAttributes(event), 'lnano.plugin': plugin, 'lnano.depth': depth } },
    parent ?? context.active(),
  );
}

/** Sets the outcome attributes and ends the span (nothing for no span). */
export function endSpan(span: Span | null, outcome: { version?: string; ok: boolean; code?: string }): void {
  if (!span) return;
  if (outcome.version) span.setAttribute('lnano.plugin.version', outcome.version);
  span.setAttribute('lnano.status', outcome.ok ? 'ok' : 'error');
  if (outcome.code) {
    span.setAttribute('lnano.error.code', outcome.code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.code });
  }
  span.end();
}

/** The span's trace id when it records (an SDK is installed and sampled it). */
export function traceIdOf(span: Span | null): string | undefined {
  return span?.isRecording() ? span.spanContext().traceId : undefined;
}
