/**
 * Runs one call of an alias: its providers in order, each with retries (exponential backoff with
 * jitter, at least what the server's `retry-after` asked for) on retryable failures, skipping a
 * provider whose circuit is open (`circuit-breaker.ts`), moving to the next provider when one
 * fails for good — all within the call's deadline, which aborts the attempt in flight.
 */
import { CircuitBreaker } from './circuit-breaker.js';
import type { LlmHostConfig, LlmTarget } from './llm-config.js';
import type { LlmFailure } from './llm-wire.js';
import { type LlmProvider, ProviderError } from './providers/provider.js';

/** One attempt's outcome, for metrics and logs. */
export interface AttemptRecord {
  readonly provider: string;
  readonly model: string;
  /** `ok`, or the failure kind (`retryable`, `unavailable`, `invalid`, `circuit-open`, `timeout`). */
  readonly outcome: string;
  readonly status?: number | undefined;
}

/** What the router needs of an attempt: run it against one provider and model. */
export type Attempt<T> = (provider: LlmProvider, model: string, signal: AbortSignal, timeoutMs: number) => Promise<T>;

/** A routed call's result and who answered. */
export interface Routed<T> {
  readonly value: T;
  readonly provider: string;
  readonly model: string;
}

/** The router's failure: a WIT error case with a message (not redacted yet). */
export class RouteFailure extends Error {
  readonly failure: LlmFailure;
  constructor(failure: LlmFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

export class LlmRouter {
  readonly #config: LlmHostConfig;
  readonly #providers: ReadonlyMap<string, LlmProvider>;
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #random: () => number;
  /** Called for each attempt (metrics, debug logs). */
  readonly #onAttempt: (record: AttemptRecord) => void;

  constructor(
    config: LlmHostConfig,
    providers: ReadonlyMap<string, LlmProvider>,
    options: { random?: () => number; onAttempt?: (record: AttemptRecord) => void } = {},
  ) {
    this.#config = config;
    this.#providers = providers;
    this.#random = options.random ?? Math.random;
    this.#onAttempt = options.onAttempt ?? (() => {});
    for (const name of providers.keys()) this.#breakers.set(name, new CircuitBreaker(config.breaker.failures, config.breaker.cooldownMs));
  }

  /** The circuit of each provider (for status and tests). */
  circuit(provider: string): CircuitBreaker | undefined {
    return this.#breakers.get(provider);
  }

  /** The targets of an alias, or undefined when the operator did not define it. */
  targets(alias: string): readonly LlmTarget[] | undefined {
    return Object.hasOwn(this.#config.aliases, alias) ? this.#config.aliases[alias] : undefined;
  }

  /** The backoff before retry number `retry` (1-based): doubled each time, capped, with jitter in [50%, 100%]. */
  backoffMs(retry: number, retryAfterMs: number | undefined): number {
    const { baseDelayMs, maxDelayMs } = this.#config.retry;
    const exp = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
    const jittered = exp * (0.5 + this.#random() / 2);
    return Math.max(jittered, retryAfterMs ?? 0);
  }

  /**
   * Runs `attempt` over the alias's providers until one answers.
   *
   * @param deadline - `performance.now()` ms by which the call must end
   * @param signal - aborts the call (the guest dropped a stream)
   * @throws RouteFailure `unavailable` (no provider answered), `invalid-request` (a provider
   *   refused the request itself), `timeout` (the deadline passed)
   */
  async run<T>(alias: string, deadline: number, signal: AbortSignal, attempt: Attempt<T>): Promise<Routed<T>> {
    const targets = this.targets(alias);
    if (!targets) throw new RouteFailure({ case: 'unavailable', message: `alias "${alias}" is not defined in the host's llm config` });
    const reasons: string[] = [];
    const { attempts } = this.#config.retry;
    for (const target of targets) {
      const provider = this.#providers.get(target.provider);
      const breaker = this.#breakers.get(target.provider);
      if (!provider || !breaker) {
        reasons.push(`${target.provider}: not started`);
        continue;
      }
      for (let n = 1; n <= attempts; n++) {
        if (!breaker.allow()) {
          this.#onAttempt({ provider: target.provider, model: target.model, outcome: 'circuit-open' });
          reasons.push(`${target.provider}: circuit open`);
          break;
        }
        const left = Math.ceil(deadline - performance.now());
        if (left <= 0) throw timeout(reasons);
        const attemptSignal = AbortSignal.any([signal, AbortSignal.timeout(left)]);
        try {
          const value = await attempt(provider, target.model, attemptSignal, left);
          breaker.success();
          this.#onAttempt({ provider: target.provider, model: target.model, outcome: 'ok' });
          return { value, provider: target.provider, model: target.model };
        } catch (err) {
          if (signal.aborted) throw new RouteFailure({ case: 'invalid-request', message: 'the call was abandoned' });
          const e = err instanceof ProviderError ? err : new ProviderError('retryable', `provider ${target.provider}: ${errorName(err)}`);
          const timedOut = deadline - performance.now() <= 0;
          this.#onAttempt({ provider: target.provider, model: target.model, outcome: timedOut ? 'timeout' : e.kind, status: e.status });
          if (timedOut) throw timeout([...reasons, e.message]);
          if (e.kind === 'invalid') {
            // The provider answered: it is healthy, the request is not.
            breaker.success();
            throw new RouteFailure({ case: 'invalid-request', message: e.message });
          }
          breaker.failure();
          reasons.push(e.message);
          if (e.kind === 'unavailable' || n === attempts) break;
          const wait = this.backoffMs(n, e.retryAfterMs);
          // A backoff past the deadline (or past maxDelay for a long retry-after) moves on now.
          if (wait > this.#config.retry.maxDelayMs || performance.now() + wait >= deadline) break;
          await sleep(wait, signal);
        }
      }
    }
    throw new RouteFailure({ case: 'unavailable', message: `no provider of alias "${alias}" answered: ${reasons.join('; ') || 'none configured'}` });
  }
}

function timeout(reasons: readonly string[]): RouteFailure {
  return new RouteFailure({ case: 'timeout', message: `the call's deadline passed${reasons.length ? ` (${reasons.join('; ')})` : ''}` });
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : 'failed';
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
