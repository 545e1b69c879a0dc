import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/** Options for the host logger. Defaults: level `info`, JSON lines to stderr. */
export interface LoggerConfig {
  /** pino level: trace, debug, info, warn, error, fatal or silent. */
  readonly level?: string;
  /** Where the lines go; defaults to stderr (fd 2) so stdout stays free for command output. */
  readonly destination?: DestinationStream;
}

/** The API's global registry key for major version 1 (`@opentelemetry/api` global-utils). */
const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');
/** The context key of the active span (`@opentelemetry/api`'s `createContextKey` is `Symbol.for`). */
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

interface SpanLike {
  spanContext(): { traceId: string; spanId: string };
}
interface OtelRegistry {
  context?: { active(): { getValue(key: symbol): unknown } };
}

/**
 * `trace_id` and `span_id` of the span active where a line is logged (the OpenTelemetry log
 * data model's names), read through the API's global registry so the logger loads no
 * OpenTelemetry module: without tracing (no context manager registered) a line gets nothing.
 * A new object each time: pino merges the line's own fields into it.
 */
export function traceFields(): Record<string, string> {
  const manager = (globalThis as Record<symbol, OtelRegistry | undefined>)[OTEL_GLOBAL]?.context;
  if (!manager) return {};
  const span = manager.active().getValue(SPAN_KEY) as SpanLike | undefined;
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return traceId === '00000000000000000000000000000000' ? {} : { trace_id: traceId, span_id: spanId };
}

/**
 * Creates the host's structured logger (pino). Log object first, constant message:
 * `log.info({ component, callId, durationMs }, 'call finished')`. Guest-supplied fields go under
 * a `guest` key, never at the top level. A line logged inside a trace carries `trace_id` and
 * `span_id` (`traceFields`).
 */
export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: { svc: 'lnano' },
    mixin: traceFields,
  };
  return pino(options, config.destination ?? pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything (embedders that bring no logger, tests that do not look). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
