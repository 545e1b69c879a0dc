/**
 * The host config's `llm` section: the providers (each with its key from the file or an
 * environment variable), the operator's aliases (each an ordered list of provider + model: the
 * next is tried when one fails), and the retry and circuit-breaker settings. Guests only ever
 * name an alias. Parsed by the config loader (`host/config`, key `llm`); keys are shown as
 * `(set)` wherever the config is printed (`displayLlmConfig`).
 *
 * @example
 * llm:
 *   providers:
 *     openai: { type: openai, baseUrl: https://api.openai.com/v1, apiKeyEnv: OPENAI_API_KEY }
 *     claude: { type: anthropic, apiKeyEnv: ANTHROPIC_API_KEY }
 *     local:  { type: llama, modelPath: ./models/qwen2.5-0.5b-instruct-q4_k_m.gguf }
 *   aliases:
 *     fast:  [{ provider: local, model: qwen }, { provider: openai, model: gpt-4o-mini }]
 *     smart: [{ provider: claude, model: claude-sonnet-4-5 }, { provider: openai, model: gpt-4o }]
 *   retry: { attempts: 3, baseDelay: 200ms, maxDelay: 5s }
 *   breaker: { failures: 5, cooldown: 30s }
 */
import { isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { LnError } from '../../errors/ln-error.js';
import { describeIssues, durationSchema, lazySchema, zod } from '../../support/schema.js';
import { parseDurationMs } from '../../support/units.js';

/** An alias or provider name: what manifests and the config write. */
export const LLM_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** One provider, as written. */
export type LlmProviderConfig =
  | { readonly type: 'openai'; readonly baseUrl: string; readonly apiKey?: string | undefined; readonly apiKeyEnv?: string | undefined }
  | { readonly type: 'anthropic'; readonly baseUrl?: string | undefined; readonly apiKey?: string | undefined; readonly apiKeyEnv?: string | undefined }
  | { readonly type: 'llama'; readonly modelPath: string; readonly contextSize?: number | undefined; readonly threads?: number | undefined };

/** One step of an alias. */
export interface LlmTarget {
  readonly provider: string;
  readonly model: string;
}

/** The `llm` section, resolved (durations in ms, model paths absolute). */
export interface LlmHostConfig {
  readonly providers: Readonly<Record<string, LlmProviderConfig>>;
  readonly aliases: Readonly<Record<string, readonly LlmTarget[]>>;
  /** Attempts per provider (the first included), and the backoff between them. */
  readonly retry: { readonly attempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
  /** Consecutive failures that open a provider's circuit, and how long it stays open. */
  readonly breaker: { readonly failures: number; readonly cooldownMs: number };
}

/** Defaults of `retry` and `breaker`. */
export const LLM_DEFAULTS = Object.freeze({
  retry: Object.freeze({ attempts: 3, baseDelayMs: 200, maxDelayMs: 5_000 }),
  breaker: Object.freeze({ failures: 5, cooldownMs: 30_000 }),
});

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** The zod schema of the section as written. */
export const llmConfigSchema = lazySchema(() => {
  const z = zod();
  const name = z.string().regex(LLM_NAME, 'must be 1-64 of a-z 0-9 . _ - (starting with a letter or digit)');
  const url = z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL');
  const key = {
    apiKey: z.string().min(1).max(4096).optional().describe('The key (prefer apiKeyEnv); never shown, logged or given to plugins'),
    apiKeyEnv: z.string().regex(ENV_NAME).optional().describe('The environment variable holding the key'),
  };
  const provider = z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('openai').describe('An OpenAI-compatible server (OpenAI, vLLM, llama.cpp, Ollama, LM Studio)'),
      baseUrl: url.describe('e.g. https://api.openai.com/v1, http://127.0.0.1:11434/v1'),
      ...key,
    }),
    z.strictObject({ type: z.literal('anthropic').describe("Anthropic's Messages API"), baseUrl: url.optional().describe("Default: Anthropic's API"), ...key }),
    z.strictObject({
      type: z.literal('llama').describe('A local GGUF model run in the host (node-llama-cpp)'),
      modelPath: z.string().min(1).max(4096).describe('A GGUF file (relative: to the config file), run in the host by node-llama-cpp'),
      contextSize: z.number().int().min(64).max(131072).optional().describe('Context window, tokens (default 2048)'),
      threads: z.number().int().min(1).max(256).optional().describe('CPU threads of a call (default 1; raise it on a host with cores to spare)'),
    }),
  ]);
  return z
    .strictObject({
      providers: z.record(name, provider).describe('Providers by name'),
      aliases: z
        .record(
          name,
          z
            .array(
              z.strictObject({
                provider: name.describe('A provider of llm.providers'),
                model: z.string().min(1).max(256).describe("The provider's model name"),
              }),
            )
            .min(1)
            .max(8),
        )
        .describe('Aliases plugins ask for: providers and models in fallback order'),
      retry: z
        .strictObject({
          attempts: z.number().int().min(1).max(10).optional().describe('Attempts per provider, the first included (default 3)'),
          baseDelay: durationSchema.optional().describe('First backoff (default 200ms), doubled per attempt, with jitter'),
          maxDelay: durationSchema.optional().describe('Longest backoff (default 5s); a longer retry-after moves on to the next provider'),
        })
        .optional()
        .describe('Retries of one provider before the next is tried'),
      breaker: z
        .strictObject({
          failures: z.number().int().min(1).max(1000).optional().describe('Consecutive failures that open the circuit (default 5)'),
          cooldown: durationSchema.optional().describe('How long an open circuit skips the provider (default 30s)'),
        })
        .optional()
        .describe("Each provider's circuit breaker"),
    })
    .describe('Language model providers and the aliases plugins use (docs/llm.md)');
});

type Written = z.infer<typeof llmConfigSchema>;

/** The section as a file (or an embedder's `createHost({ llm })`) writes it. */
export type LlmConfigInput = z.input<typeof llmConfigSchema>;

/**
 * Validates and resolves the section.
 *
 * @param baseDir - where a relative `modelPath` starts (the config file's folder)
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming `llm` and the problem
 */
export function parseLlmConfig(raw: unknown, source: string, baseDir: string): LlmHostConfig {
  const invalid = (reason: string): LnError => new LnError('LN_ERR_CONFIG_INVALID', { key: 'llm', source, reason });
  const parsed = llmConfigSchema.safeParse(raw);
  if (!parsed.success) throw invalid(describeIssues(parsed.error, 'llm'));
  const written: Written = parsed.data;
  for (const [alias, targets] of Object.entries(written.aliases)) {
    for (const t of targets) {
      if (!Object.hasOwn(written.providers, t.provider)) throw invalid(`alias ${alias} names provider "${t.provider}", which llm.providers does not define`);
    }
  }
  const providers: Record<string, LlmProviderConfig> = {};
  for (const [name, p] of Object.entries(written.providers)) {
    providers[name] = p.type === 'llama' ? { ...p, modelPath: isAbsolute(p.modelPath) ? p.modelPath : resolve(baseDir, p.modelPath) } : p;
  }
  const ms = (v: string | number | undefined, key: string, fallback: number): number => (v === undefined ? fallback : parseDurationMs(v, `llm.${key}`, source));
  const d = LLM_DEFAULTS;
  return Object.freeze({
    providers,
    aliases: written.aliases,
    retry: {
      attempts: written.retry?.attempts ?? d.retry.attempts,
      baseDelayMs: ms(written.retry?.baseDelay, 'retry.baseDelay', d.retry.baseDelayMs),
      maxDelayMs: ms(written.retry?.maxDelay, 'retry.maxDelay', d.retry.maxDelayMs),
    },
    breaker: { failures: written.breaker?.failures ?? d.breaker.failures, cooldownMs: ms(written.breaker?.cooldown, 'breaker.cooldown', d.breaker.cooldownMs) },
  });
}

/** The section as `--print-config` and `GET /v1/config` show it: keys as `(set)`. */
export function displayLlmConfig(config: LlmHostConfig | null): unknown {
  if (config === null) return null;
  const providers = Object.fromEntries(
    Object.entries(config.providers).map(([name, p]) => [name, 'apiKey' in p && p.apiKey !== undefined ? { ...p, apiKey: '(set)' } : p]),
  );
  return { ...config, providers };
}

/** The key of a provider: its `apiKey`, else its `apiKeyEnv` variable in `env`, else null. */
export function providerKey(p: LlmProviderConfig, env: NodeJS.ProcessEnv): string | null {
  if (p.type === 'llama') return null;
  if (p.apiKey !== undefined) return p.apiKey;
  if (p.apiKeyEnv !== undefined) return env[p.apiKeyEnv] || null;
  return null;
}
