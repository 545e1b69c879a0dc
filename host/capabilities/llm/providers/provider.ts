/**
 * What an llm provider is to the router (`llm-router.ts`): one backend (an OpenAI-compatible
 * server, Anthropic, a local GGUF model) that completes, streams and embeds for a model name.
 * A provider does no retries of its own; it reports each failure as a `ProviderError` whose
 * `kind` tells the router what to do next.
 */
import type { ChatMessage, Chunk, Completion, Embeddings, FinishReason } from '../llm-wire.js';

/** One call as a provider gets it: the model resolved from the alias, the tokens bounded. */
export interface ProviderCall {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens: number;
  readonly temperature?: number | undefined;
  readonly stop: readonly string[];
  /** Aborted when the call's deadline passes or the guest drops the stream. */
  readonly signal: AbortSignal;
  /** This attempt's own deadline, ms from now (at most what is left of the call's). */
  readonly timeoutMs: number;
}

/** An llm backend. */
export interface LlmProvider {
  /** Its name in the host config (`providers.<name>`), for metrics and logs. */
  readonly name: string;
  complete(call: ProviderCall): Promise<Completion>;
  /**
   * A streamed completion. The promise settles once the provider accepted the request (so a
   * failure to start is a `ProviderError` the router may retry or fall back from); the iterator
   * then yields chunks, the last one with `finishReason` and `usage`.
   */
  stream(call: ProviderCall): Promise<AsyncIterator<Chunk>>;
  embed(model: string, inputs: readonly string[], signal: AbortSignal, timeoutMs: number): Promise<Embeddings>;
  /** Releases what it holds (a loaded model). */
  close?(): Promise<void>;
}

/**
 * How a provider failed:
 * - `retryable`: 429, 5xx, a timeout or a lost connection; try again after a backoff;
 * - `unavailable`: this provider cannot answer (not configured for it, a 401/403/404, no local
 *   runtime); the next provider of the alias may;
 * - `invalid`: the request itself is wrong (a 400); no provider will take it.
 */
export type ProviderFailureKind = 'retryable' | 'unavailable' | 'invalid';

/** A provider's failure. Its message must never hold a key (the router redacts it again anyway). */
export class ProviderError extends Error {
  readonly kind: ProviderFailureKind;
  /** The HTTP status, if any. */
  readonly status: number | undefined;
  /** What the server's `retry-after` (or `retry-after-ms`) asked for, ms. */
  readonly retryAfterMs: number | undefined;
  constructor(kind: ProviderFailureKind, message: string, extra: { status?: number | undefined; retryAfterMs?: number | undefined } = {}) {
    super(message);
    this.name = 'ProviderError';
    this.kind = kind;
    this.status = extra.status;
    this.retryAfterMs = extra.retryAfterMs;
  }
}

/** `retry-after` (seconds or an HTTP date) or `retry-after-ms`, in ms; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The failure kind of an HTTP status. */
export function statusKind(status: number | undefined): ProviderFailureKind {
  if (status === undefined || status === 408 || status === 409 || status === 429 || status >= 500) return 'retryable';
  if (status === 400 || status === 413 || status === 422) return 'invalid';
  return 'unavailable';
}

/**
 * A failure of an official SDK client (`openai`, `@anthropic-ai/sdk`: both throw an `APIError`
 * with `status` and `headers`, and connection/timeout errors without a status) as a
 * `ProviderError`. Only the status and the error's class name go into the message: the SDKs'
 * messages quote response bodies, which a hostile server could fill with anything.
 */
export function sdkFailure(provider: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { status?: unknown; headers?: unknown; name?: unknown; constructor?: { name?: string } };
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const headers = e?.headers instanceof Headers ? e.headers : undefined;
  const kindName = typeof e?.constructor?.name === 'string' ? e.constructor.name : 'Error';
  const what = status !== undefined ? `HTTP ${status}` : /timeout/i.test(kindName) ? 'timed out' : /abort/i.test(kindName) ? 'aborted' : 'connection failed';
  return new ProviderError(statusKind(status), `provider ${provider}: ${what} (${kindName})`, { status, retryAfterMs: retryAfterMs(headers) });
}

/** A provider's finish reason as WIT's. */
export function finishReason(value: string | null | undefined): FinishReason {
  switch (value) {
    case 'stop':
    case 'end_turn':
    case 'stop_sequence':
    case 'eogToken':
    case 'stopGenerationTrigger':
    case 'customStopTrigger':
      return 'stop';
    case 'length':
    case 'max_tokens':
    case 'maxTokens':
      return 'length';
    case 'content_filter':
    case 'refusal':
      return 'content-filter';
    default:
      return 'other';
  }
}
