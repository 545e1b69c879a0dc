/**
 * OpenAI-compatible servers (OpenAI, vLLM, llama.cpp's server, Ollama, LM Studio) through the
 * official `openai` SDK client, with its own retries off (the router retries, within the call's
 * deadline). Streams use `stream_options.include_usage` so the last chunk carries the token usage.
 */
import OpenAI from 'openai';
import type { Chunk, Completion, Embeddings, FinishReason, TokenUsage } from '../llm-wire.js';
import { finishReason, type LlmProvider, type ProviderCall, ProviderError, sdkFailure } from './provider.js';

/** What an OpenAI-compatible provider is configured with. */
export interface OpenAiProviderOptions {
  readonly name: string;
  /** e.g. `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`. */
  readonly baseUrl: string;
  /** The key; servers that need none get a placeholder. */
  readonly apiKey: string | null;
}

export class OpenAiProvider implements LlmProvider {
  readonly name: string;
  readonly #client: OpenAI;

  constructor(options: OpenAiProviderOptions) {
    this.name = options.name;
    // Nothing from the environment (OPENAI_ORG_ID, OPENAI_PROJECT_ID): only what the config says is sent.
    this.#client = new OpenAI({ apiKey: options.apiKey ?? 'none', baseURL: options.baseUrl, maxRetries: 0, organization: null, project: null });
  }

  #body(call: ProviderCall) {
    return {
      model: call.model,
      messages: call.messages.map((m) => ({ role: m.role, content: m.content })),
      max_tokens: call.maxTokens,
      ...(call.temperature !== undefined ? { temperature: call.temperature } : {}),
      ...(call.stop.length > 0 ? { stop: [...call.stop] } : {}),
    };
  }

  async complete(call: ProviderCall): Promise<Completion> {
    try {
      const res = await this.#client.chat.completions.create({ ...this.#body(call), stream: false }, { signal: call.signal, timeout: call.timeoutMs });
      const choice = res.choices[0];
      return {
        text: choice?.message?.content ?? '',
        finishReason: finishReason(choice?.finish_reason),
        usage: usage(res.usage),
      };
    } catch (err) {
      throw sdkFailure(this.name, err);
    }
  }

  async stream(call: ProviderCall): Promise<AsyncIterator<Chunk>> {
    let source: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>;
    try {
      source = await this.#client.chat.completions.create(
        { ...this.#body(call), stream: true, stream_options: { include_usage: true } },
        { signal: call.signal, timeout: call.timeoutMs },
      );
    } catch (err) {
      throw sdkFailure(this.name, err);
    }
    const name = this.name;
    return (async function* chunks(): AsyncGenerator<Chunk> {
      let finish: FinishReason | undefined;
      let used: TokenUsage | undefined;
      try {
        for await (const part of source) {
          const choice = part.choices[0];
          if (choice?.finish_reason) finish = finishReason(choice.finish_reason);
          if (part.usage) used = usage(part.usage);
          const text = choice?.delta?.content ?? '';
          if (text) yield { text };
        }
      } catch (err) {
        throw sdkFailure(name, err);
      }
      if (finish === undefined) throw new ProviderError('retryable', `provider ${name}: the stream ended before its finish reason`);
      yield { text: '', finishReason: finish, usage: used ?? { promptTokens: 0, completionTokens: 0 } };
    })();
  }

  async embed(model: string, inputs: readonly string[], signal: AbortSignal, timeoutMs: number): Promise<Embeddings> {
    try {
      const res = await this.#client.embeddings.create({ model, input: [...inputs], encoding_format: 'float' }, { signal, timeout: timeoutMs });
      return {
        vectors: [...res.data].sort((a, b) => a.index - b.index).map((d) => [...d.embedding]),
        usage: { promptTokens: res.usage?.prompt_tokens ?? 0, completionTokens: 0 },
      };
    } catch (err) {
      throw sdkFailure(this.name, err);
    }
  }
}

function usage(u: { prompt_tokens?: number; completion_tokens?: number } | null | undefined): TokenUsage {
  return { promptTokens: u?.prompt_tokens ?? 0, completionTokens: u?.completion_tokens ?? 0 };
}
