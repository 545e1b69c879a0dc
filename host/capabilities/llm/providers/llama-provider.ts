/**
 * Local inference in the host: a GGUF model run by `node-llama-cpp` (an optional dependency,
 * loaded on the first call; CPU only). Without the package, every call is `unavailable` with a
 * message saying how to install it; the alias's next provider may still answer. The model loads
 * once (on first use) and each call gets a fresh context sequence; calls run one at a time.
 */
import type { Chunk, Completion, Embeddings } from '../llm-wire.js';
import { finishReason, type LlmProvider, type ProviderCall, ProviderError } from './provider.js';

/** What a local provider is configured with. */
export interface LlamaProviderOptions {
  readonly name: string;
  readonly modelPath: string;
  readonly contextSize?: number | undefined;
  readonly threads?: number | undefined;
}

type LlamaModule = typeof import('node-llama-cpp');
type LlamaModel = Awaited<ReturnType<Awaited<ReturnType<LlamaModule['getLlama']>>['loadModel']>>;

const DEFAULT_CONTEXT = 2048;
/**
 * CPU threads of a context unless configured: one. llama.cpp's threads spin while they wait for
 * each other, so on a busy host more threads than free cores slow every token down by orders of
 * magnitude (measured: 12 tokens of a tiny model took 32 s with the default on a loaded 2-core
 * box, 20 ms with one thread). Raise `threads` for a big model on a host with cores to spare.
 */
const DEFAULT_THREADS = 1;

export class LlamaProvider implements LlmProvider {
  readonly name: string;
  readonly #options: LlamaProviderOptions;
  #loaded: Promise<{ lib: LlamaModule; model: LlamaModel }> | undefined;
  /** Calls run one after the other (one model, CPU-bound). */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: LlamaProviderOptions) {
    this.name = options.name;
    this.#options = options;
  }

  #load(): Promise<{ lib: LlamaModule; model: LlamaModel }> {
    this.#loaded ??= (async () => {
      let lib: LlamaModule;
      try {
        lib = await import('node-llama-cpp');
      } catch {
        throw new ProviderError(
          'unavailable',
          `provider ${this.name}: local inference needs the optional package node-llama-cpp (npm install node-llama-cpp@3.21.1)`,
        );
      }
      try {
        const llama = await lib.getLlama({ gpu: false, logLevel: lib.LlamaLogLevel.error });
        const model = await llama.loadModel({ modelPath: this.#options.modelPath });
        return { lib, model };
      } catch (err) {
        throw new ProviderError(
          'unavailable',
          `provider ${this.name}: cannot load the model (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
        );
      }
    })();
    // A failed load is not remembered: the next call tries again.
    this.#loaded.catch(() => {
      this.#loaded = undefined;
    });
    return this.#loaded;
  }

  /** Runs `work` after the calls before it. */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Runs one completion, handing each piece of text to `onText`. */
  async #generate(call: ProviderCall, onText: (text: string) => void): Promise<Completion> {
    const { lib, model } = await this.#load();
    const context = await model.createContext({
      contextSize: Math.min(this.#options.contextSize ?? DEFAULT_CONTEXT, model.trainContextSize),
      threads: this.#options.threads ?? DEFAULT_THREADS,
    });
    try {
      const sequence = context.getSequence();
      const prompt = call.messages.map((m) => `${m.role}: ${m.content}`).join('\n');
      const tokens = model.tokenize(`${prompt}\nassistant:`);
      let text = '';
      let completionTokens = 0;
      let reason = 'maxTokens';
      const stops = call.stop;
      for await (const token of sequence.evaluate(tokens, { temperature: call.temperature ?? 0.7 })) {
        if (call.signal.aborted) {
          reason = 'abort';
          break;
        }
        if (model.isEogToken(token)) {
          reason = 'eogToken';
          break;
        }
        completionTokens++;
        const piece = model.detokenize([token]);
        text += piece;
        const stop = stops.find((s) => text.includes(s));
        if (stop !== undefined) {
          text = text.slice(0, text.indexOf(stop));
          reason = 'stopGenerationTrigger';
          break;
        }
        onText(piece);
        if (completionTokens >= call.maxTokens) break;
      }
      void lib;
      if (reason === 'abort') throw new ProviderError('retryable', `provider ${this.name}: timed out`);
      return { text, finishReason: finishReason(reason), usage: { promptTokens: tokens.length, completionTokens } };
    } finally {
      await context.dispose();
    }
  }

  complete(call: ProviderCall): Promise<Completion> {
    return this.#serial(() => this.#generate(call, () => {}));
  }

  async stream(call: ProviderCall): Promise<AsyncIterator<Chunk>> {
    // Loads the model before answering, so a failure to start is a ProviderError here.
    await this.#load();
    const pending: Chunk[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let failure: unknown;
    const push = (chunk: Chunk): void => {
      pending.push(chunk);
      wake?.();
    };
    void this.#serial(() => this.#generate(call, (text) => push({ text })))
      .then((c) => push({ text: '', finishReason: c.finishReason, usage: c.usage }))
      .catch((err: unknown) => {
        failure = err;
      })
      .finally(() => {
        done = true;
        wake?.();
      });
    return (async function* chunks(): AsyncGenerator<Chunk> {
      for (;;) {
        const next = pending.shift();
        if (next) {
          yield next;
          continue;
        }
        if (done) {
          if (failure) throw failure;
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    })();
  }

  embed(_model: string, inputs: readonly string[]): Promise<Embeddings> {
    return this.#serial(async () => {
      const { model } = await this.#load();
      const context = await model.createEmbeddingContext({
        contextSize: Math.min(this.#options.contextSize ?? DEFAULT_CONTEXT, model.trainContextSize),
        threads: this.#options.threads ?? DEFAULT_THREADS,
      });
      try {
        const vectors: number[][] = [];
        let promptTokens = 0;
        for (const input of inputs) {
          promptTokens += model.tokenize(input).length;
          vectors.push([...(await context.getEmbeddingFor(input)).vector]);
        }
        return { vectors, usage: { promptTokens, completionTokens: 0 } };
      } finally {
        await context.dispose();
      }
    });
  }

  async close(): Promise<void> {
    const loaded = await this.#loaded?.catch(() => undefined);
    await loaded?.model.dispose();
  }
}
