/**
 * The host's llm service, on the main thread (one per process, like the sandbox pool): takes the
 * guests' requests off `LLM_CHANNEL` (`llm-wire.ts`), checks each against its grant (the alias is
 * granted: else `denied`; the tokens fit the per-call, per-minute and per-day budgets: else
 * `budget-exceeded` with `LN_ERR_BUDGET_TOKENS`), runs it through the router (retries, fallback,
 * circuit breakers, the deadline), counts the tokens (`llm-metrics.ts`) and writes the answer.
 *
 * Keys: the providers hold them; every failure message and log line passes `redact` (each key
 * replaced by `[redacted]`), so even a server that echoes a key in an error cannot leak it.
 */
import type { Registry } from 'prom-client';
import { LnError } from '../../errors/ln-error.js';
import type { Logger } from '../../log/logger.js';
import { type LlmHostConfig, type LlmProviderConfig, providerKey } from './llm-config.js';
import { LlmMetrics } from './llm-metrics.js';
import { type Attempt, LlmRouter, type Routed, RouteFailure } from './llm-router.js';
import {
  AnswerSlot,
  type ChatRequest,
  type Chunk,
  type Completion,
  type Embeddings,
  LLM_CHANNEL,
  type LlmAnswer,
  type LlmEnvelope,
  type LlmFailure,
  type LlmGrant,
  type LlmOp,
  MAX_ANSWER_BYTES,
  type TokenUsage,
} from './llm-wire.js';
import { AnthropicProvider } from './providers/anthropic-provider.js';
import { OpenAiProvider } from './providers/openai-provider.js';
import type { LlmProvider } from './providers/provider.js';
import { estimateTokens, type Reservation, TokenBudgets } from './token-budget.js';

/** Bounds of a request (beyond them: `invalid-request`). */
export const LLM_REQUEST_LIMITS = Object.freeze({
  messages: 256,
  contentChars: 1024 * 1024,
  stops: 4,
  stopChars: 64,
  embedInputs: 256,
  embedChars: 1024 * 1024,
  aliasChars: 64,
  /** Streams one component may hold open. */
  openStreams: 16,
});

/** What a service is built from. */
export interface LlmServiceOptions {
  readonly config: LlmHostConfig;
  /** Where `apiKeyEnv` variables are read. */
  readonly env: NodeJS.ProcessEnv;
  readonly logger?: Logger | undefined;
  /** The host's metrics registry; absent: no metrics. */
  readonly registry?: Registry | undefined;
  /** Providers to use instead of building them from the config (embedders, benches). */
  readonly providers?: ReadonlyMap<string, LlmProvider> | undefined;
}

/** An open stream. */
interface OpenStream {
  readonly grant: LlmGrant;
  readonly provider: string;
  readonly model: string;
  readonly iterator: AsyncIterator<Chunk>;
  readonly controller: AbortController;
  readonly reservation: Reservation;
  readonly started: number;
  readonly deadline: number;
  readonly timer: NodeJS.Timeout;
  firstToken: boolean;
}

/** A provider of a config entry (`llama` is loaded only when configured: node-llama-cpp is optional). */
async function createProvider(name: string, config: LlmProviderConfig, env: NodeJS.ProcessEnv): Promise<LlmProvider> {
  switch (config.type) {
    case 'openai':
      return new OpenAiProvider({ name, baseUrl: config.baseUrl, apiKey: providerKey(config, env) });
    case 'anthropic':
      return new AnthropicProvider({ name, baseUrl: config.baseUrl ?? null, apiKey: providerKey(config, env) });
    case 'llama': {
      const { LlamaProvider } = await import('./providers/llama-provider.js');
      return new LlamaProvider({ name, modelPath: config.modelPath, contextSize: config.contextSize, threads: config.threads });
    }
  }
}

export class LlmService {
  readonly #config: LlmHostConfig;
  readonly #providers: ReadonlyMap<string, LlmProvider>;
  readonly #router: LlmRouter;
  readonly #budgets = new TokenBudgets();
  readonly #metrics: LlmMetrics | null;
  readonly #logger: Logger | undefined;
  readonly #secrets: readonly string[];
  readonly #streams = new Map<number, OpenStream>();
  #nextStream = 1;
  #channel: BroadcastChannel | undefined;

  private constructor(options: LlmServiceOptions, providers: ReadonlyMap<string, LlmProvider>) {
    this.#config = options.config;
    this.#providers = providers;
    this.#logger = options.logger;
    this.#metrics = options.registry ? new LlmMetrics(options.registry) : null;
    this.#secrets = Object.values(options.config.providers)
      .map((p) => providerKey(p, options.env))
      .filter((k): k is string => k !== null && k.length >= 4)
      .sort((a, b) => b.length - a.length);
    this.#router = new LlmRouter(options.config, providers, {
      onAttempt: (record) => {
        this.#metrics?.attempt(record);
        if (record.outcome !== 'ok') this.#logger?.debug({ llm: record }, 'llm attempt failed');
      },
    });
  }

  /** Builds the providers of `options.config` (a local model is loaded on its first call). */
  static async open(options: LlmServiceOptions): Promise<LlmService> {
    let providers = options.providers;
    if (!providers) {
      const built = new Map<string, LlmProvider>();
      for (const [name, p] of Object.entries(options.config.providers)) built.set(name, await createProvider(name, p, options.env));
      providers = built;
    }
    return new LlmService(options, providers);
  }

  /** The router (its circuits), for status and tests. */
  get router(): LlmRouter {
    return this.#router;
  }

  /** Tokens a component used this minute and today. */
  tokensUsed(component: string): { minute: number; day: number } {
    return this.#budgets.used(component);
  }

  /** Starts taking requests from sandbox workers. */
  listen(): void {
    if (this.#channel) return;
    const channel = new BroadcastChannel(LLM_CHANNEL);
    (channel as BroadcastChannel & { unref?: () => void }).unref?.();
    channel.onmessage = (event: MessageEvent) => this.#take(event.data);
    this.#channel = channel;
  }

  /** Stops listening, ends open streams and releases the providers. */
  async close(): Promise<void> {
    this.#channel?.close();
    this.#channel = undefined;
    for (const id of [...this.#streams.keys()]) this.#end(id, true);
    await Promise.all([...this.#providers.values()].map((p) => p.close?.().catch(() => undefined)));
  }

  /** `text` with every key replaced by `[redacted]`. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]');
    return out;
  }

  #take(data: unknown): void {
    const envelope = data as Partial<LlmEnvelope> | null;
    if (!envelope || !(envelope.answer instanceof SharedArrayBuffer) || envelope.answer.byteLength < AnswerSlot.DATA_OFFSET) return;
    const slot = new Int32Array(envelope.answer, 0, 2);
    // Claim it: another service in this process (there should be none) must not answer too.
    // No notify: the worker only needs waking for the answer (it looks at ACCEPTED when its
    // accept timeout passes), which saves a thread switch per call on a busy host.
    if (Atomics.compareExchange(slot, AnswerSlot.STATE, AnswerSlot.PENDING, AnswerSlot.ACCEPTED) !== AnswerSlot.PENDING) return;
    const answer = envelope.answer;
    void this.handle(envelope.grant as LlmGrant, envelope.op as LlmOp).then((result) => this.#write(answer, result));
  }

  #write(buffer: SharedArrayBuffer, result: LlmAnswer): void {
    let bytes = new TextEncoder().encode(JSON.stringify(result));
    if (bytes.length > Math.min(MAX_ANSWER_BYTES, buffer.byteLength - AnswerSlot.DATA_OFFSET)) {
      bytes = new TextEncoder().encode(JSON.stringify(fail('invalid-request', `the answer is ${bytes.length} bytes, over ${MAX_ANSWER_BYTES}`)));
    }
    new Uint8Array(buffer, AnswerSlot.DATA_OFFSET, bytes.length).set(bytes);
    const slot = new Int32Array(buffer, 0, 2);
    Atomics.store(slot, AnswerSlot.LENGTH, bytes.length);
    Atomics.store(slot, AnswerSlot.STATE, AnswerSlot.DONE);
    Atomics.notify(slot, AnswerSlot.STATE);
  }

  /** Runs one operation for `grant` (what a guest's call does, without the thread hop). Never throws. */
  async handle(grant: LlmGrant, op: LlmOp): Promise<LlmAnswer> {
    try {
      if (!validGrant(grant)) return fail('denied', 'no llm grant');
      switch (op?.op) {
        case 'complete':
          return { ok: true, value: await this.#complete(grant, op.request) };
        case 'stream':
          return { ok: true, value: await this.#stream(grant, op.request) };
        case 'next':
          return { ok: true, value: await this.#next(grant, op.stream) };
        case 'close':
          if (this.#streams.get(op.stream)?.grant.component === grant.component) this.#end(op.stream, true);
          return { ok: true, value: null };
        case 'embed':
          return { ok: true, value: await this.#embed(grant, op.model, op.inputs) };
        default:
          return fail('invalid-request', 'unknown operation');
      }
    } catch (err) {
      const failure: LlmFailure =
        err instanceof RouteFailure
          ? err.failure
          : err instanceof Refusal
            ? err.failure
            : { case: 'unavailable', message: `the llm service failed: ${err instanceof Error ? err.message : String(err)}` };
      const redacted = { case: failure.case, message: this.redact(failure.message) };
      if (validGrant(grant)) this.#metrics?.error(grant, redacted.case);
      // Provider trouble is the operator's news; a guest's own refusals (counted in
      // lnano_llm_errors_total) only at debug, so a looping guest cannot flood the log.
      const level = redacted.case === 'unavailable' || redacted.case === 'timeout' ? 'info' : 'debug';
      this.#logger?.[level]({ component: grant?.component, version: grant?.version, llmError: redacted.case }, `llm call failed: ${redacted.message}`);
      return { ok: false, failure: redacted };
    }
  }

  /** Checks the request and reserves its tokens. @throws Refusal */
  #admit(grant: LlmGrant, request: ChatRequest): { maxTokens: number; reservation: Reservation } {
    checkRequest(request);
    checkAlias(grant, request.model);
    const maxTokens = request.maxTokens ?? grant.maxTokensPerCall;
    if (maxTokens > grant.maxTokensPerCall) {
      throw budget(grant, `max-tokens ${maxTokens} is over maxTokensPerCall ${grant.maxTokensPerCall}`);
    }
    const reservation = this.#budgets.reserve(grant, estimateTokens(request.messages.map((m) => m.content)) + maxTokens);
    if (typeof reservation === 'string') throw budget(grant, reservation);
    return { maxTokens, reservation };
  }

  async #complete(grant: LlmGrant, request: ChatRequest): Promise<Completion> {
    const { maxTokens, reservation } = this.#admit(grant, request);
    return this.#charged(grant, request.model, reservation, (provider, model, signal, timeoutMs) =>
      provider.complete({ model, messages: request.messages, maxTokens, temperature: request.temperature, stop: request.stop, signal, timeoutMs }),
    );
  }

  /**
   * One whole (not streamed) request through the alias's providers within the grant's timeout:
   * its tokens and duration go to the metrics, and the reservation is settled with what the
   * provider reported (0 when every provider failed).
   */
  async #charged<T extends { readonly usage: TokenUsage }>(grant: LlmGrant, alias: string, reservation: Reservation, attempt: Attempt<T>): Promise<T> {
    const started = performance.now();
    let used = 0;
    try {
      const routed = await this.#router.run(alias, started + grant.timeoutMs, new AbortController().signal, attempt);
      used = total(routed.value.usage);
      this.#metrics?.tokens(grant, routed.provider, routed.model, routed.value.usage);
      this.#metrics?.duration(grant, routed.provider, routed.model, (performance.now() - started) / 1000);
      return routed.value;
    } finally {
      this.#budgets.settle(reservation, used);
    }
  }

  async #stream(grant: LlmGrant, request: ChatRequest): Promise<number> {
    const open = [...this.#streams.values()].filter((s) => s.grant.component === grant.component).length;
    if (open >= LLM_REQUEST_LIMITS.openStreams) throw new Refusal('invalid-request', `${open} streams are open; drop one first`);
    const { maxTokens, reservation } = this.#admit(grant, request);
    const started = performance.now();
    const deadline = started + grant.timeoutMs;
    const controller = new AbortController();
    let routed: Routed<AsyncIterator<Chunk>>;
    try {
      routed = await this.#router.run(request.model, deadline, controller.signal, (provider, model, signal, timeoutMs) =>
        provider.stream({ model, messages: request.messages, maxTokens, temperature: request.temperature, stop: request.stop, signal, timeoutMs }),
      );
    } catch (err) {
      this.#budgets.settle(reservation, 0);
      throw err;
    }
    const id = this.#nextStream++;
    // A stream the guest never finishes (or whose instance died) ends at its deadline.
    const timer = setTimeout(() => this.#end(id, true), Math.max(0, deadline - performance.now()));
    timer.unref();
    this.#streams.set(id, {
      grant,
      provider: routed.provider,
      model: routed.model,
      iterator: routed.value,
      controller,
      reservation,
      started,
      deadline,
      timer,
      firstToken: false,
    });
    return id;
  }

  async #next(grant: LlmGrant, id: number): Promise<Chunk | null> {
    const s = this.#streams.get(id);
    if (!s || s.grant.component !== grant.component) return null;
    const left = s.deadline - performance.now();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, left));
    });
    let step: IteratorResult<Chunk> | 'timeout';
    try {
      step = await Promise.race([s.iterator.next(), expired]);
    } catch (err) {
      this.#end(id, true);
      throw new RouteFailure({ case: 'unavailable', message: `the stream failed: ${err instanceof Error ? err.message : String(err)}` });
    } finally {
      clearTimeout(timer);
    }
    if (step === 'timeout') {
      this.#end(id, true);
      throw new RouteFailure({ case: 'timeout', message: `the stream passed its deadline (${grant.timeoutMs} ms)` });
    }
    if (step.done) {
      this.#end(id, false);
      return null;
    }
    const chunk = step.value;
    if (!s.firstToken && chunk.text) {
      s.firstToken = true;
      this.#metrics?.firstToken(grant, s.provider, s.model, (performance.now() - s.started) / 1000);
    }
    if (chunk.usage) {
      this.#budgets.settle(s.reservation, total(chunk.usage));
      this.#metrics?.tokens(grant, s.provider, s.model, chunk.usage);
      this.#metrics?.duration(grant, s.provider, s.model, (performance.now() - s.started) / 1000);
      // The last chunk: the stream is settled and forgotten; the guest's next `next` gets none.
      this.#end(id, false);
    }
    return chunk;
  }

  /** Forgets a stream; `abort`: stop the provider's stream (the reservation then stays counted). */
  #end(id: number, abort: boolean): void {
    const s = this.#streams.get(id);
    if (!s) return;
    this.#streams.delete(id);
    clearTimeout(s.timer);
    if (abort) s.controller.abort();
    void s.iterator.return?.().catch(() => undefined);
  }

  async #embed(grant: LlmGrant, alias: string, inputs: readonly string[]): Promise<Embeddings> {
    if (typeof alias !== 'string' || !Array.isArray(inputs)) throw new Refusal('invalid-request', 'malformed request');
    checkAlias(grant, alias);
    if (inputs.length === 0 || inputs.length > LLM_REQUEST_LIMITS.embedInputs) {
      throw new Refusal('invalid-request', `inputs must be 1 to ${LLM_REQUEST_LIMITS.embedInputs} texts`);
    }
    if (inputs.some((t) => typeof t !== 'string') || inputs.reduce((n, t) => n + t.length, 0) > LLM_REQUEST_LIMITS.embedChars) {
      throw new Refusal('invalid-request', `inputs must be texts of at most ${LLM_REQUEST_LIMITS.embedChars} characters in all`);
    }
    const estimate = estimateTokens(inputs);
    if (estimate > grant.maxTokensPerCall) throw budget(grant, `about ${estimate} input tokens is over maxTokensPerCall ${grant.maxTokensPerCall}`);
    const reservation = this.#budgets.reserve(grant, estimate);
    if (typeof reservation === 'string') throw budget(grant, reservation);
    return this.#charged(grant, alias, reservation, (provider, model, signal, timeoutMs) => provider.embed(model, inputs, signal, timeoutMs));
  }
}

/** A refusal before any provider is asked. */
class Refusal extends Error {
  readonly failure: LlmFailure;
  constructor(errorCase: LlmFailure['case'], message: string) {
    super(message);
    this.failure = { case: errorCase, message };
  }
}

function fail(errorCase: LlmFailure['case'], message: string): LlmAnswer {
  return { ok: false, failure: { case: errorCase, message } };
}

function budget(grant: LlmGrant, reason: string): Refusal {
  const err = new LnError('LN_ERR_BUDGET_TOKENS', { component: grant.component, reason });
  return new Refusal('budget-exceeded', `${err.code}: ${err.message}`);
}

function total(usage: TokenUsage): number {
  return usage.promptTokens + usage.completionTokens;
}

function validGrant(grant: LlmGrant | null | undefined): grant is LlmGrant {
  return (
    typeof grant === 'object' &&
    grant !== null &&
    typeof grant.component === 'string' &&
    Array.isArray(grant.models) &&
    Number.isFinite(grant.maxTokensPerCall) &&
    Number.isFinite(grant.timeoutMs)
  );
}

function checkAlias(grant: LlmGrant, alias: string): void {
  if (!grant.models.includes(alias)) {
    const shown = alias.length > LLM_REQUEST_LIMITS.aliasChars ? `${alias.slice(0, LLM_REQUEST_LIMITS.aliasChars)}…` : alias;
    throw new Refusal('denied', `model alias "${shown}" is not granted (granted: ${grant.models.join(', ')})`);
  }
}

/** @throws Refusal `invalid-request` for a malformed request */
function checkRequest(r: ChatRequest): void {
  const L = LLM_REQUEST_LIMITS;
  const bad = (reason: string): never => {
    throw new Refusal('invalid-request', reason);
  };
  if (!r || typeof r.model !== 'string' || !Array.isArray(r.messages) || !Array.isArray(r.stop)) bad('malformed request');
  if (r.messages.length === 0 || r.messages.length > L.messages) bad(`messages must be 1 to ${L.messages}`);
  let chars = 0;
  for (const m of r.messages) {
    if (!m || typeof m.content !== 'string' || !['system', 'user', 'assistant'].includes(m.role)) bad('malformed message');
    chars += m.content.length;
  }
  if (chars > L.contentChars) bad(`the messages hold ${chars} characters, over ${L.contentChars}`);
  if (r.maxTokens !== undefined && (!Number.isInteger(r.maxTokens) || r.maxTokens < 1)) bad('max-tokens must be at least 1');
  if (r.temperature !== undefined && !(Number.isFinite(r.temperature) && r.temperature >= 0 && r.temperature <= 2)) bad('temperature must be 0 to 2');
  if (r.stop.length > L.stops || r.stop.some((s) => typeof s !== 'string' || s.length === 0 || s.length > L.stopChars)) {
    bad(`stop takes at most ${L.stops} texts of 1 to ${L.stopChars} characters`);
  }
}
