/**
 * `liquid-nano:plugin/llm` (package 0.2.0): language models by the operator's aliases, through
 * the host's llm service (`llm-service.ts`: providers, retries, fallback, circuit breakers, token
 * budgets, metrics; configured by the host config's `llm` section, `llm-config.ts`). Closed: every
 * call fails with `error.denied`. A granted component blocks its thread for a call's duration, so
 * it gets a worker of its own.
 *
 * Manifest: `"llm": { "models": ["fast"], "maxTokensPerCall": 512, "tokensPerMinute": 20000, "tokensPerDay": 200000, "timeout": "30s" }`.
 * Flag: `--llm <alias>`. Policy: `"llm": { "allow": true, "models": ["fast", "smart"], "tokensPerDay": 1000000 }`.
 */
import { parseDurationMs } from '../../support/units.js';
import { beyondPolicy, type Capability } from '../capability.js';
import { LLM_NAME } from './llm-config.js';
import type { LlmGrant } from './llm-wire.js';

/** The llm key of a `capabilities` section. */
export interface LlmSection {
  readonly llm?:
    | {
        readonly models: readonly string[];
        readonly maxTokensPerCall?: number | undefined;
        readonly tokensPerMinute?: number | undefined;
        readonly tokensPerDay?: number | undefined;
        readonly timeout?: string | number | undefined;
      }
    | undefined;
}

/** The guest's language models. */
export interface LlmCapabilityGrant {
  readonly plugin: {
    /** The llm grant; null: every call fails with `error.denied`. */
    readonly llm: LlmGrant | null;
  };
}

/** `policy.llm` as written. */
export interface LlmPolicySection {
  allow?: boolean | undefined;
  models?: string[] | undefined;
  maxTokensPerCall?: number | undefined;
  tokensPerMinute?: number | undefined;
  tokensPerDay?: number | undefined;
  timeout?: string | number | undefined;
}

/** `policy.llm`, resolved. */
export interface LlmBound {
  readonly llmAllow: boolean;
  /** Aliases a grant may name; null: any. */
  readonly llmModels: readonly string[] | null;
  /** Ceilings of the grants' amounts (and their defaults, when lower). */
  readonly llmMax: {
    readonly maxTokensPerCall?: number | undefined;
    readonly tokensPerMinute?: number | undefined;
    readonly tokensPerDay?: number | undefined;
    readonly timeoutMs?: number | undefined;
  };
}

/** Defaults of an `llm` grant's amounts (budgets per minute and per day: none, unless the policy sets one). */
export const LLM_GRANT_DEFAULTS = Object.freeze({ maxTokensPerCall: 1024, timeoutMs: 30_000 });

const AMOUNTS = ['maxTokensPerCall', 'tokensPerMinute', 'tokensPerDay'] as const;

export const llmCapability: Capability<LlmSection, LlmCapabilityGrant, LlmBound, LlmPolicySection> = {
  name: 'language models',
  interfaces: ['liquid-nano:plugin/llm'],
  withoutGrant: 'every call fails with error.denied',
  grantFlag: '--llm <alias>',
  grantManifest: '"llm": { "models": ["fast"] }',
  manifest: {
    shape: ({ z, duration }) => {
      const tokens = z.number().int().positive().max(1_000_000_000_000);
      return {
        llm: z
          .strictObject({
            models: z
              .array(z.string().regex(LLM_NAME, 'must be an alias: 1-64 of a-z 0-9 . _ - (starting with a letter or digit)'))
              .min(1)
              .max(64)
              .describe("The model aliases (the operator's, from the host config) the plugin may use"),
            maxTokensPerCall: tokens.optional().describe('Most tokens one call may generate (default 1024)'),
            tokensPerMinute: tokens.optional().describe('Most tokens (prompt and completion) per minute'),
            tokensPerDay: tokens.optional().describe('Most tokens (prompt and completion) per UTC day'),
            timeout: duration.optional().describe('Deadline of one call, retries and fallbacks included (default 30s)'),
          })
          .optional()
          .describe('Language models by alias, with token budgets (flag: --llm alias)'),
      };
    },
    merge(base, extra) {
      const llm =
        base.llm && extra.llm ? { ...base.llm, ...extra.llm, models: [...new Set([...base.llm.models, ...extra.llm.models])] } : (extra.llm ?? base.llm);
      return llm ? { llm } : {};
    },
  },
  flags: [
    {
      name: 'llm',
      multiple: true,
      usage: '--llm <alias>',
      helpRank: 5,
      key: 'llm',
      help: ["a language-model alias of the host config's llm section (repeatable)"],
      toSection: (values) => ({ llm: { models: [...values] } }),
    },
  ],
  policy: {
    key: 'llm',
    schema: ({ z, duration }) =>
      z.strictObject({
        allow: z.boolean().optional().describe('Whether any plugin may use language models (default true)'),
        models: z.array(z.string().regex(LLM_NAME)).max(256).optional().describe('The aliases grants may name (default: any)'),
        maxTokensPerCall: z.number().int().positive().optional().describe('Most tokens per call a grant may allow'),
        tokensPerMinute: z.number().int().positive().optional().describe('Most tokens per minute a grant may allow (and the default)'),
        tokensPerDay: z.number().int().positive().optional().describe('Most tokens per day a grant may allow (and the default)'),
        timeout: duration.optional().describe('Longest call deadline a grant may ask for'),
      }),
    bound: (section, ctx) => ({
      llmAllow: section?.allow ?? true,
      llmModels: section?.models ?? null,
      llmMax: {
        maxTokensPerCall: section?.maxTokensPerCall,
        tokensPerMinute: section?.tokensPerMinute,
        tokensPerDay: section?.tokensPerDay,
        timeoutMs: section?.timeout === undefined ? undefined : parseDurationMs(section.timeout, 'policy.llm.timeout', ctx.source),
      },
    }),
    open: { llmAllow: true, llmModels: null, llmMax: {} },
  },
  closed: () => ({ plugin: { llm: null } }),
  resolve(section, source, policy) {
    const llm = section.llm;
    if (!llm) return { plugin: { llm: null } };
    if (!policy.llmAllow) throw beyondPolicy(policy, 'language models', llm.models.join(', '), 'policy.llm.allow');
    for (const alias of llm.models) {
      if (policy.llmModels && !policy.llmModels.includes(alias)) throw beyondPolicy(policy, 'language models', `model ${alias}`, 'policy.llm.models');
    }
    const max = policy.llmMax;
    const grant: LlmGrant = {
      component: source.name,
      version: source.version ?? '',
      models: [...new Set(llm.models)].sort(),
      maxTokensPerCall: llm.maxTokensPerCall ?? Math.min(LLM_GRANT_DEFAULTS.maxTokensPerCall, max.maxTokensPerCall ?? Infinity),
      tokensPerMinute: llm.tokensPerMinute ?? max.tokensPerMinute ?? null,
      tokensPerDay: llm.tokensPerDay ?? max.tokensPerDay ?? null,
      timeoutMs:
        llm.timeout === undefined
          ? Math.min(LLM_GRANT_DEFAULTS.timeoutMs, max.timeoutMs ?? Infinity)
          : parseDurationMs(llm.timeout, 'capabilities.llm.timeout', source.source),
    };
    for (const key of AMOUNTS) {
      const limit = max[key];
      const value = grant[key];
      if (limit !== undefined && value !== null && value > limit) throw beyondPolicy(policy, 'language models', `${key} ${value}`, `policy.llm.${key}`);
    }
    if (max.timeoutMs !== undefined && grant.timeoutMs > max.timeoutMs) {
      throw beyondPolicy(policy, 'language models', `timeout ${grant.timeoutMs} ms`, 'policy.llm.timeout');
    }
    return { plugin: { llm: grant } };
  },
  diff(section) {
    const llm = section.llm;
    if (!llm) return {};
    const amounts = [];
    for (const key of AMOUNTS) {
      const value = llm[key];
      if (value !== undefined) amounts.push({ name: key, value, text: String(value) });
    }
    if (llm.timeout !== undefined) amounts.push({ name: 'timeout', value: parseDurationMs(llm.timeout, 'timeout', 'diff'), text: String(llm.timeout) });
    return { grants: [...new Set(llm.models)].sort().map((m) => `model ${m}`), amounts };
  },
  blocksThread: (grants) => grants.plugin.llm !== null,
  loadImports: async () => (await import('./imports.js')).imports,
};
