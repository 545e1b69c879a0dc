/**
 * The llm service's Prometheus families, on the host's registry:
 * - `lnano_llm_tokens_total{component,version,provider,model,kind}`: tokens the providers
 *   counted, `kind` `prompt` or `completion`;
 * - `lnano_llm_request_duration_seconds{component,version,provider,model}`: a call from the
 *   service taking it to its answer (a stream: to its last chunk), retries and fallbacks included;
 * - `lnano_llm_time_to_first_token_seconds{component,version,provider,model}`: streams only;
 * - `lnano_llm_errors_total{component,version,class}`: failed calls by WIT error case;
 * - `lnano_llm_attempts_total{provider,model,outcome}`: provider attempts (`ok`, `retryable`,
 *   `unavailable`, `invalid`, `circuit-open`, `timeout`), so retries and fallbacks show.
 * Label values are bounded by the operator's config (providers, models) and the deployed versions.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { AttemptRecord } from './llm-router.js';
import type { LlmErrorCase, LlmGrant, TokenUsage } from './llm-wire.js';

const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class LlmMetrics {
  readonly #tokens: Counter<string>;
  readonly #duration: Histogram<string>;
  readonly #ttft: Histogram<string>;
  readonly #errors: Counter<string>;
  readonly #attempts: Counter<string>;

  constructor(registry: Registry) {
    const registers = [registry];
    const call = ['component', 'version', 'provider', 'model'];
    this.#tokens = new Counter({
      name: 'lnano_llm_tokens_total',
      help: 'Language-model tokens the providers counted, by kind (prompt, completion).',
      labelNames: [...call, 'kind'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'lnano_llm_request_duration_seconds',
      help: 'Language-model calls from request to answer (streams: to the last chunk), retries and fallbacks included.',
      labelNames: call,
      buckets: BUCKETS,
      registers,
    });
    this.#ttft = new Histogram({
      name: 'lnano_llm_time_to_first_token_seconds',
      help: 'Streamed language-model calls: time to the first chunk of text.',
      labelNames: call,
      buckets: BUCKETS,
      registers,
    });
    this.#errors = new Counter({
      name: 'lnano_llm_errors_total',
      help: 'Failed language-model calls, by error class (denied, budget-exceeded, unavailable, invalid-request, timeout).',
      labelNames: ['component', 'version', 'class'],
      registers,
    });
    this.#attempts = new Counter({
      name: 'lnano_llm_attempts_total',
      help: 'Attempts against language-model providers, by outcome (ok, retryable, unavailable, invalid, circuit-open, timeout).',
      labelNames: ['provider', 'model', 'outcome'],
      registers,
    });
  }

  tokens(grant: LlmGrant, provider: string, model: string, usage: TokenUsage): void {
    const labels = { component: grant.component, version: grant.version, provider, model };
    this.#tokens.inc({ ...labels, kind: 'prompt' }, usage.promptTokens);
    this.#tokens.inc({ ...labels, kind: 'completion' }, usage.completionTokens);
  }

  duration(grant: LlmGrant, provider: string, model: string, seconds: number): void {
    this.#duration.observe({ component: grant.component, version: grant.version, provider, model }, seconds);
  }

  firstToken(grant: LlmGrant, provider: string, model: string, seconds: number): void {
    this.#ttft.observe({ component: grant.component, version: grant.version, provider, model }, seconds);
  }

  error(grant: LlmGrant, errorCase: LlmErrorCase): void {
    this.#errors.inc({ component: grant.component, version: grant.version, class: errorCase });
  }

  attempt(record: AttemptRecord): void {
    this.#attempts.inc({ provider: record.provider, model: record.model, outcome: record.outcome });
  }
}
