/**
 * `liquid-nano:plugin/llm` (package version 0.2.0) for one instance, built inside its worker.
 * Every function is a blocking round trip to the host's llm service (`llm-client.ts`); a failure
 * is thrown as the WIT `error` value, as jco expects from a `result` import. Without a grant every
 * call fails with `denied` and nothing leaves the worker. Each `complete`, `complete-stream` and
 * `embed` counts as an `llm` host call (a stream's `next` does not); past `LLM_CALLS_PER_CALL` of
 * them in one guest call, they fail with `invalid-request` before reaching the service.
 */
import type { HostBridge } from '../../sandbox/protocol.js';
import type { ImportBuilder } from '../capability.js';
import type { LlmCapabilityGrant } from './capability.js';
import { callLlm } from './llm-client.js';
import type { ChatRequest, Chunk, Completion, Embeddings, LlmAnswer, LlmGrant, LlmOp } from './llm-wire.js';

/** The WIT error value of a failed answer, as thrown to jco. */
function thrown(answer: LlmAnswer & { ok: false }): { tag: string; val: string } {
  return { tag: answer.failure.case, val: answer.failure.message };
}

/** Most `complete`, `complete-stream` and `embed` calls one guest call may make. */
export const LLM_CALLS_PER_CALL = 64;

const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

/** The import object of one instance. */
export function llmImports(grant: LlmGrant | null, bridge: HostBridge): Record<string, unknown> {
  const call = (op: LlmOp): unknown => {
    if (grant === null) throw { tag: 'denied', val: 'llm is not granted to this plugin (manifest capabilities.llm)' };
    if (op.op !== 'next' && bridge.hostCall('llm') > LLM_CALLS_PER_CALL) {
      throw { tag: 'invalid-request', val: `more than ${LLM_CALLS_PER_CALL} llm calls in one plugin call` };
    }
    const answer = callLlm(grant, op);
    if (!answer.ok) throw thrown(answer);
    return answer.value;
  };

  /** WIT resource `completion-stream`: a stream the service holds, read chunk by chunk. */
  class CompletionStream {
    readonly #id: number;
    #ended = false;
    constructor(id: number) {
      this.#id = id;
    }
    next(): Chunk | undefined {
      if (this.#ended) return undefined;
      const chunk = call({ op: 'next', stream: this.#id }) as Chunk | null;
      if (chunk === null) this.#ended = true;
      return chunk ?? undefined;
    }
    /** The guest dropped the stream: the service stops the provider's stream (best effort). */
    [DISPOSE](): void {
      if (this.#ended || grant === null) return;
      this.#ended = true;
      callLlm(grant, { op: 'close', stream: this.#id });
    }
  }

  return {
    CompletionStream,
    complete: (request: ChatRequest): Completion => call({ op: 'complete', request: plain(request) }) as Completion,
    completeStream: (request: ChatRequest): CompletionStream => new CompletionStream(call({ op: 'stream', request: plain(request) }) as number),
    embed: (model: string, inputs: string[]): Embeddings => call({ op: 'embed', model, inputs }) as Embeddings,
  };
}

/** The request as plain data (jco's lifted values may carry typed arrays or proxies). */
function plain(request: ChatRequest): ChatRequest {
  return {
    model: request.model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    maxTokens: request.maxTokens,
    temperature: request.temperature,
    stop: [...request.stop],
  };
}

export const imports: ImportBuilder<LlmCapabilityGrant> = (grants, bridge) => ({ 'liquid-nano:plugin/llm': llmImports(grants.plugin.llm, bridge) });
