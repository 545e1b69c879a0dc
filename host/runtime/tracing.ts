/**
 * Tracing: installs the OpenTelemetry SDK's tracer provider for the host — **off by default**.
 * When on, every span (the event runtime's `event <type>` and `plugin <name>` spans, and the
 * host-call spans the sandbox adds under them) goes to an in-memory ring served at
 * `GET /v1/traces`, and to an OTLP/HTTP collector when `otlpEndpoint` is set. When off, no
 * provider is installed and `@opentelemetry/api` spans cost nothing. See docs/tracing.md.
 */
import { context, trace, TraceFlags, isSpanContextValid, type Context } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, SamplingDecision, type Sampler, type SamplingResult, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from '../log/logger.js';
import { AsyncContextManager } from './async-context.js';
import { TraceRing, TRACE_RING_DEFAULTS, type TraceSummary } from './trace-ring.js';

/** The tracing settings (the `tracing` section of the host config). */
export interface TracingConfig {
  readonly enabled: boolean;
  /** OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`; null: no export. */
  readonly otlpEndpoint: string | null;
  /** Share of new traces recorded, 0–1 (a child follows its parent's decision). */
  readonly sampleRatio: number;
  /** Traces kept in the ring behind `GET /v1/traces`. */
  readonly ringTraces?: number;
}

/** Defaults: off; when on, every trace sampled, 256 kept in memory, no export. */
export const TRACING_DEFAULTS: Readonly<TracingConfig> = Object.freeze({ enabled: false, otlpEndpoint: null, sampleRatio: 1, ringTraces: TRACE_RING_DEFAULTS.capacity });

/** Parent-based ratio sampling whose ratio can change while the host runs. */
class AdjustableRatioSampler implements Sampler {
  ratio: number;

  constructor(ratio: number) {
    this.ratio = ratio;
  }

  shouldSample(ctx: Context, traceId: string): SamplingResult {
    const parent = trace.getSpanContext(ctx);
    if (parent && isSpanContextValid(parent)) {
      return { decision: parent.traceFlags & TraceFlags.SAMPLED ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
    }
    const take = this.ratio >= 1 || (this.ratio > 0 && Number.parseInt(traceId.slice(-8), 16) / 0xffffffff < this.ratio);
    return { decision: take ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
  }

  toString(): string {
    return `AdjustableRatioSampler{${this.ratio}}`;
  }
}

/**
 * The host's tracing. `Tracing.start(config)` installs the global provider and context manager
 * when enabled (one host per process traces; a second enabled one is refused in the log).
 *
 * @example
 * const tracing = Tracing.start({ enabled: true, otlpEndpoint: null, sampleRatio: 1 }, logger);
 * // ... spans started with trace.getTracer('liquid-nano') are recorded
 * tracing.traces(10);   // GET /v1/traces
 * await tracing.shutdown();
 */
export class Tracing {
  readonly enabled: boolean;
  readonly otlpEndpoint: string | null;
  readonly #ring: TraceRing;
  readonly #sampler: AdjustableRatioSampler;
  readonly #provider: BasicTracerProvider | null;
  readonly #contextManager: AsyncContextManager | null;

  private constructor(config: TracingConfig, installed: boolean, extra: readonly SpanProcessor[]) {
    this.#ring = new TraceRing({ capacity: config.ringTraces ?? TRACE_RING_DEFAULTS.capacity });
    this.#sampler = new AdjustableRatioSampler(config.sampleRatio);
    this.enabled = installed;
    this.otlpEndpoint = installed ? config.otlpEndpoint : null;
    if (!installed) {
      this.#provider = null;
      this.#contextManager = null;
      return;
    }
    const processors: SpanProcessor[] = [this.#ring, ...extra];
    if (config.otlpEndpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: config.otlpEndpoint })));
    this.#provider = new BasicTracerProvider({
      sampler: this.#sampler, spanProcessors: processors,
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'liquid-nano' }),
    });
    this.#contextManager = new AsyncContextManager();
  }

  /**
   * Sets up tracing. Disabled config: nothing is installed. `extraProcessors` (tests: an
   * `InMemorySpanExporter` behind a `SimpleSpanProcessor`) get every span too.
   */
  static start(config: TracingConfig, logger?: Logger, extraProcessors: readonly SpanProcessor[] = []): Tracing {
    if (!config.enabled) return new Tracing(config, false, []);
    const tracing = new Tracing(config, true, extraProcessors);
    const contextSet = context.setGlobalContextManager(tracing.#contextManager!);
    const providerSet = trace.setGlobalTracerProvider(tracing.#provider!);
    if (!contextSet || !providerSet) {
      logger?.warn({ contextSet, providerSet }, 'another tracer provider is installed in this process; spans go there');
    }
    logger?.info({ otlpEndpoint: config.otlpEndpoint, sampleRatio: config.sampleRatio }, 'tracing on');
    return tracing;
  }

  /** Changes the share of new traces recorded (hot reload). */
  setSampleRatio(ratio: number): void {
    this.#sampler.ratio = ratio;
  }

  /** The current sample ratio. */
  get sampleRatio(): number {
    return this.#sampler.ratio;
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
  }
}
