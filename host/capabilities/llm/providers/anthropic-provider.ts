/**
 * Anthropic's Messages API through the official `@anthropic-ai/sdk` client, its own retries off
 * (the router retries). System messages become the request's `system` text; Anthropic has no
 * embeddings API, so `embed` is `unavailable` here (the alias's next provider may have one).
 */
import Anthropic from '@anthropic-ai/sdk';
import type { Chunk, Completion, Embeddings, FinishReason } from '../llm-wire.js';
import { finishReason, type LlmProvider, type ProviderCall, ProviderError, sdkFailure } from './provider.js';

/** What an Anthropic provider is configured with. */
export interface AnthropicProviderOptions {
  readonly name: string;
  /** Default: Anthropic's API. */
  readonly baseUrl: string | null;
  readonly apiKey: string | null;
}

export class AnthropicProvider implements LlmProvider {
  readonly name: string;
  readonly #client: Anthropic;

  constructor(options: AnthropicProviderOptions) {
    this.name = options.name;
    // Nothing from the environment (ANTHROPIC_AUTH_TOKEN, ANTHROPIC_BASE_URL): only what the config says is sent.
    this.#client = new Anthropic({ apiKey: options.apiKey ?? 'none', authToken: null, maxRetries: 0, baseURL: options.baseUrl ?? 'https://api.anthropic.com' });
  }

  #body(call: ProviderCall) {
    const system = call.messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n');
    return {
      model: call.model,
      max_tokens: call.maxTokens,
      messages: call.messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content })),
      ...(system ? { system } : {}),
      ...(call.temperature !== undefined ? { temperature: Math.min(call.temperature, 1) } : {}),
      ...(call.stop.length > 0 ? { stop_sequences: [...call.stop] } : {}),
    };
  }

  async complete(call: ProviderCall): Promise<Completion> {
    try {
      const res = await this.#client.messages.create({ ...this.#body(call), stream: false }, { signal: call.signal, timeout: call.timeoutMs });
      const text = res.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      return {
        text,
        finishReason: finishReason(res.stop_reason),
        usage: { promptTokens: res.usage.input_tokens, completionTokens: res.usage.output_tokens },
      };
    } catch (err) {
      throw sdkFailure(this.name, err);
    }
  }

  async stream(call: ProviderCall): Promise<AsyncIterator<Chunk>> {
    let source: AsyncIterable<Anthropic.Messages.RawMessageStreamEvent>;
    try {
      source = await this.#client.messages.create({ ...this.#body(call), stream: true }, { signal: call.signal, timeout: call.timeoutMs });
    } catch (err) {
      throw sdkFailure(this.name, err);
    }
    const name = this.name;
    return (async function* chunks(): AsyncGenerator<Chunk> {
      let finish: FinishReason = 'other';
      let promptTokens = 0;
      let completionTokens = 0;
      let stopped = false;
      try {
        for await (const event of source) {
          if (event.type === 'message_start') {
            promptTokens = event.message.usage.input_tokens;
            completionTokens = event.message.usage.output_tokens;
          } else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
            if (event.delta.text) yield { text: event.delta.text };
          } else if (event.type === 'message_delta') {
            finish = finishReason(event.delta.stop_reason);
            completionTokens = event.usage.output_tokens;
          } else if (event.type === 'message_stop') {
            stopped = true;
          }
        }
      } catch (err) {
        throw sdkFailure(name, err);
      }
      if (!stopped) throw new ProviderError('retryable', `provider ${name}: the stream ended before message_stop`);
      yield { text: '', finishReason: finish, usage: { promptTokens, completionTokens } };
    })();
  }

  async embed(): Promise<Embeddings> {
    throw new ProviderError('unavailable', `provider ${this.name}: Anthropic has no embeddings API`);
  }
}
