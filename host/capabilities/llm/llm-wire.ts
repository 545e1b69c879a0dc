/**
 * What crosses between a guest's `liquid-nano:plugin/llm` imports (inside its sandbox worker,
 * `llm-client.ts`) and the host's llm service (on the main thread, `llm-service.ts`): the
 * request and answer shapes, and the shared-memory handshake.
 *
 * A guest's call is synchronous and a provider's answer is not, so the worker posts the request
 * on the process-wide `BroadcastChannel` `LLM_CHANNEL` with a fresh `SharedArrayBuffer` and
 * blocks in `Atomics.wait` on it; the service (one per process, like the sandbox pool) marks it
 * accepted (without waking the worker), runs it, writes the answer's JSON into the buffer and wakes
 * the worker. A request still not accepted after a short while means no service runs. Keys never
 * cross: the request names an alias, the answer holds text, tokens and coded failures whose
 * messages the service has already redacted.
 */

/** The process-wide channel the llm service listens on. */
export const LLM_CHANNEL = 'liquid-nano:llm';

/**
 * Layout of an answer buffer: Int32 `STATE` (`PENDING`, then `ACCEPTED` once the service took
 * the request, then `DONE`), Int32 `LENGTH` (bytes of the answer's UTF-8 JSON, from `DATA_OFFSET`).
 */
export const AnswerSlot = Object.freeze({ STATE: 0, LENGTH: 1, DATA_OFFSET: 8, PENDING: 0, ACCEPTED: 1, DONE: 2 });

/** Largest answer, bytes of JSON (embeddings of many inputs are the large ones). */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** The cases of WIT `llm.error`. */
export type LlmErrorCase = 'denied' | 'budget-exceeded' | 'unavailable' | 'invalid-request' | 'timeout';

/** A failed llm call, as the guest sees it (the message is redacted). */
export interface LlmFailure {
  readonly case: LlmErrorCase;
  readonly message: string;
}

/** WIT `llm.role`. */
export type ChatRole = 'system' | 'user' | 'assistant';

/** WIT `llm.message`. */
export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
}

/** WIT `llm.completion-request` as jco lifts it (camelCase, options as undefined). */
export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens?: number | undefined;
  readonly temperature?: number | undefined;
  readonly stop: readonly string[];
}

/** WIT `llm.finish-reason`. */
export type FinishReason = 'stop' | 'length' | 'content-filter' | 'other';

/** WIT `llm.token-usage`. */
export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** WIT `llm.completion`. */
export interface Completion {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly usage: TokenUsage;
}

/** WIT `llm.chunk`. */
export interface Chunk {
  readonly text: string;
  readonly finishReason?: FinishReason | undefined;
  readonly usage?: TokenUsage | undefined;
}

/** WIT `llm.embeddings`. */
export interface Embeddings {
  readonly vectors: number[][];
  readonly usage: TokenUsage;
}

/** One operation a guest asks for. */
export type LlmOp =
  | { readonly op: 'complete'; readonly request: ChatRequest }
  | { readonly op: 'stream'; readonly request: ChatRequest }
  | { readonly op: 'next'; readonly stream: number }
  | { readonly op: 'close'; readonly stream: number }
  | { readonly op: 'embed'; readonly model: string; readonly inputs: readonly string[] };

/** What the service answers: the op's value (a `Completion`, a stream id, a `Chunk` or null, `Embeddings`), or a failure. */
export type LlmAnswer = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly failure: LlmFailure };

/** One request on the channel. */
export interface LlmEnvelope {
  /** The guest's grant (the worker's host code sets it; a guest cannot forge it). */
  readonly grant: LlmGrant;
  readonly op: LlmOp;
  /** The answer buffer (see `AnswerSlot`). */
  readonly answer: SharedArrayBuffer;
}

/** An instance's `llm` grant, resolved (structured-cloneable: it crosses into the worker). */
export interface LlmGrant {
  /** The component and version, for budgets, metrics and logs. */
  readonly component: string;
  readonly version: string;
  /** The aliases it may use. */
  readonly models: readonly string[];
  /** Most tokens one call may ask for (`max-tokens`, and its default). */
  readonly maxTokensPerCall: number;
  /** Most tokens (prompt and completion) per minute and per day; null: no such budget. */
  readonly tokensPerMinute: number | null;
  readonly tokensPerDay: number | null;
  /** Deadline of one call (retries and fallbacks included), ms. */
  readonly timeoutMs: number;
}
