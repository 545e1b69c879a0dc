/**
 * Tracing: installs the OpenTelemetry SDK's tracer provider for the host — **off by default**.
 * When on, every span (the event runtime's `event <type>` and `plugin <name>` spans, and the
 * host-call spans the sandbox adds under them) goes to an in-memory ring served at
 * `GET /v1/traces`, and to an OTLP/HTTP collector when `otlpEndpoint` is set. When off, no
 * provider is installed and `@opentelemetry/api` spans cost nothing. See docs/tracing.md.
 *
 * The SDK, its resources and the OTLP exporter are imported only when tracing is on (the
 * exporter only with an endpoint): together they are most of the host's start-up imports
 * (issue 15: start fast). `@opentelemetry/api` stays static: the runtime's no-op spans need it.
 */
import { type Context, context, isSpanContextValid, propagation, TraceFlags, trace } from '@opentelemetry/api';
import type { BasicTracerProvider, Sampler, SamplingDecision, SamplingResult, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../log/logger.js';
import { HostCallIdGenerator } from '../sandbox/host-call-tracing.js';
import { AsyncContextManager } from './async-context.js';
import { TRACE_RING_DEFAULTS, TraceRing, type TraceSummary } from './trace-ring.js';
import { TraceContextPropagator } from './tracing-propagator.js';
import { resourceAttributes } from './tracing-resource.js';

/** The tracing settings (the `tracing` section of the host config). */
export interface TracingConfig {
  readonly enabled: boolean;
  /** OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`; null: no export. */
  readonly otlpEndpoint: string | null;
  /** Share of new traces recorded, 0–1 (a child follows its parent's decision). */
  readonly sampleRatio: number;
  /** Traces kept in the ring behind `GET /v1/traces`. */
  readonly ringTraces?: number;
  /** Read for `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Defaults: off; when on, every trace sampled, 256 kept in memory, no export. */
export const TRACING_DEFAULTS: Readonly<TracingConfig> = Object.freeze({
  enabled: false,
  otlpEndpoint: null,
  sampleRatio: 1,
  ringTraces: TRACE_RING_DEFAULTS.capacity,
});

/** The share of new traces recorded; the sampler reads it per decision, hot reload writes it. */
interface SampleShare {
  ratio: number;
}

/** Parent-based ratio sampling whose ratio can change while the host runs. */
class AdjustableRatioSampler implements Sampler {
  readonly #share: SampleShare;
  readonly #decision: typeof SamplingDecision;

  constructor(share: SampleShare, decision: typeof SamplingDecision) {
    this.#share = share;
    this.#decision = decision;
  }

  shouldSample(ctx: Context, traceId: string): SamplingResult {
    const { RECORD_AND_SAMPLED, NOT_RECORD } = this.#decision;
    const parent = trace.getSpanContext(ctx);
    if (parent && isSpanContextValid(parent)) {
      return { decision: parent.traceFlags & TraceFlags.SAMPLED ? RECORD_AND_SAMPLED : NOT_RECORD };
    }
    const ratio = this.#share.ratio;
    const take = ratio >= 1 || (ratio > 0 && Number.parseInt(traceId.slice(-8), 16) / 0xffffffff < ratio);
    return { decision: take ? RECORD_AND_SAMPLED : NOT_RECORD };
  }

  toString(): string {
    return `AdjustableRatioSampler{${this.#share.ratio}}`;
  }
}

/** Imports the SDK when tracing is turned on; the OTLP exporter only when there is an endpoint. */
async function tracerProvider(
  share: SampleShare,
  processors: SpanProcessor[],
  otlpEndpoint: string | null,
  attributes: Record<string, string>,
): Promise<BasicTracerProvider> {
  const [sdk, { resourceFromAttributes }] = await Promise.all([import('@opentelemetry/sdk-trace-base'), import('@opentelemetry/resources')]);
  if (otlpEndpoint) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    processors.push(new sdk.BatchSpanProcessor(new OTLPTraceExporter({ url: otlpEndpoint })));
  }
  return new sdk.BasicTracerProvider({
    sampler: new AdjustableRatioSampler(share, sdk.SamplingDecision),
    spanProcessors: processors,
    resource: resourceFromAttributes(attributes),
    idGenerator: new HostCallIdGenerator(new sdk.RandomIdGenerator()),
  });
}

/**
 * The host's tracing. `await Tracing.start(config)` installs the global provider and context manager
 * when enabled (one host per process traces; a second enabled one is refused in the log).
 *
 * @example
 * const tracing = await Tracing.start({ enabled: true, otlpEndpoint: null, sampleRatio: 1 }, logger);
 * // ... spans started with trace.getTracer('liquid-nano') are recorded
 * tracing.traces(10);   // GET /v1/traces
 * await tracing.shutdown();
 */
export class Tracing {
  readonly enabled: boolean;
  readonly otlpEndpoint: string | null;
  readonly #ring: TraceRing;
  readonly #share: SampleShare;
  #provider: BasicTracerProvider | null = null;
  #contextManager: AsyncContextManager | null = null;

  private constructor(config: TracingConfig, installed: boolean) {
    this.#ring = new TraceRing({ capacity: config.ringTraces ?? TRACE_RING_DEFAULTS.capacity });
    this.#share = { ratio: config.sampleRatio };
    this.enabled = installed;
    this.otlpEndpoint = installed ? config.otlpEndpoint : null;
  }

  /**
   * Sets up tracing. Disabled config: nothing is installed and no SDK module is imported.
   * `extraProcessors` (tests: an `InMemorySpanExporter` behind a `SimpleSpanProcessor`) get
   * every span too.
   */
  static async start(config: TracingConfig, logger?: Logger, extraProcessors: readonly SpanProcessor[] = []): Promise<Tracing> {
    if (!config.enabled) return new Tracing(config, false);
    const tracing = new Tracing(config, true);
    const resource = resourceAttributes(config.env ?? process.env);
    for (const problem of resource.problems) logger?.warn({ problem }, 'OTEL_RESOURCE_ATTRIBUTES entry ignored');
    tracing.#provider = await tracerProvider(tracing.#share, [tracing.#ring, ...extraProcessors], config.otlpEndpoint, resource.attributes);
    tracing.#contextManager = new AsyncContextManager();
    const contextSet = context.setGlobalContextManager(tracing.#contextManager!);
    const providerSet = trace.setGlobalTracerProvider(tracing.#provider!);
    propagation.setGlobalPropagator(new TraceContextPropagator());
    if (!contextSet || !providerSet) {
      logger?.warn({ contextSet, providerSet }, 'another tracer provider is installed in this process; spans go there');
    }
    logger?.info({ otlpEndpoint: config.otlpEndpoint, sampleRatio: config.sampleRatio, service: resource.attributes['service.name'] }, 'tracing on');
    return tracing;
  }

  /** Changes the share of new traces recorded (hot reload). */
  setSampleRatio(ratio: number): void {
    this.#share.ratio = ratio;
  }

  /** The current sample ratio. */
  get sampleRatio(): number {
    return this.#share.ratio;
  }

  /** Changes how many traces the ring keeps (hot reload). */
  setRingTraces(capacity: number): void {
    this.#ring.resize(capacity);
  }

  /** Recent traces, newest first: `GET /v1/traces?limit=n`. Empty when tracing is off. */
  traces(limit = 20): TraceSummary[] {
    return this.#ring.list(limit);
  }

  /** Exports what is pending, then removes the global provider and context manager. */
  async shutdown(): Promise<void> {
    if (!this.#provider) return;
    await this.#provider.shutdown().catch(() => undefined);
    trace.disable();
    context.disable();
    propagation.disable();
  }
}
