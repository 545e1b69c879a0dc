/**
 * The health of one running version: the outcomes of its last calls (a sliding window, counted in
 * calls) and their latencies. The version manager reads the window's error rate to roll a bad
 * version back (or abort a bad canary) by itself.
 *
 * What counts as an error is what the version did wrong: a WIT `err` result, a trap, an exit, a
 * crashed instance, a passed deadline, running out of fuel or memory, an oversized result. What
 * the caller or the load did is not held against it: a full queue (`LN_ERR_BUDGET_CONCURRENCY`)
 * and an oversized input (`LN_ERR_BUDGET_PAYLOAD` in direction `input`).
 */
import type { ErrorCode } from '../errors/codes.js';
import { LnError } from '../errors/ln-error.js';

/** When a version counts as unhealthy, and how long after a swap that is acted on. */
export interface HealthPolicy {
  /** How many of the latest calls the error rate is taken over. */
  readonly windowCalls: number;
  /** Fewest calls in the window before the rate is judged at all. */
  readonly minCalls: number;
  /** The error rate (0–1) that, when passed (strictly), makes the version unhealthy. */
  readonly maxErrorRate: number;
  /**
   * How long after a version was swapped in (deploy or promote) an unhealthy window rolls it back,
   * ms. A canary is watched for as long as it runs. Versions made active by a rollback or by a
   * restart are not watched: they were chosen on purpose, and there is nothing to go back to.
   */
  readonly watchMs: number;
}

/** Defaults: over the last 100 calls, at least 20 of them, more than half failing, within 10 minutes of the swap. */
export const HEALTH_DEFAULTS: HealthPolicy = Object.freeze({ windowCalls: 100, minCalls: 20, maxErrorRate: 0.5, watchMs: 10 * 60_000 });

/** Latency samples kept for the percentiles. */
const LATENCY_SAMPLES = 1024;

/**
 * Validates a (partial) health policy over the defaults.
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the bad key
 */
export function resolveHealthPolicy(partial: Partial<HealthPolicy> = {}, source = 'version manager options'): HealthPolicy {
  const policy = { ...HEALTH_DEFAULTS, ...partial };
  const bad = (key: string, reason: string): LnError => new LnError('LN_ERR_CONFIG_INVALID', { key: `health.${key}`, source, reason });
  if (!Number.isInteger(policy.windowCalls) || policy.windowCalls < 1 || policy.windowCalls > 100_000)
    throw bad('windowCalls', 'must be a whole number of calls, 1-100000');
  if (!Number.isInteger(policy.minCalls) || policy.minCalls < 1 || policy.minCalls > policy.windowCalls)
    throw bad('minCalls', `must be a whole number of calls, 1-${policy.windowCalls} (the window)`);
  if (!(policy.maxErrorRate >= 0 && policy.maxErrorRate < 1)) throw bad('maxErrorRate', 'must be a rate from 0 up to (not including) 1');
  if (!Number.isFinite(policy.watchMs) || policy.watchMs < 0) throw bad('watchMs', 'must be a duration in ms, 0 or more');
  return Object.freeze(policy);
}

/** Whether a failed call counts against the version that served it (see the top of this file). */
export function isVersionFault(error: { readonly code: ErrorCode; readonly details?: Readonly<Record<string, unknown>> }): boolean {
  if (error.code === 'LN_ERR_BUDGET_CONCURRENCY') return false;
  if (error.code === 'LN_ERR_BUDGET_PAYLOAD' && error.details?.direction === 'input') return false;
  return true;
}

/** What a window says, for status output. */
export interface HealthSummary {
  /** Calls recorded since the version started serving. */
  readonly calls: number;
  /** Of those, the ones that counted as errors. */
  readonly errors: number;
  /** Calls in the window (at most `windowCalls`). */
  readonly windowCalls: number;
  /** Errors in the window. */
  readonly windowErrors: number;
  /** `windowErrors / windowCalls`, 0 for an empty window. */
  readonly errorRate: number;
  /** Median latency of the last calls (queueing included), ms; null before the first call. */
  readonly p50Ms: number | null;
  /** 99th percentile latency, ms; null before the first call. */
  readonly p99Ms: number | null;
}

/** The sliding window of one version's call outcomes. */
export class HealthWindow {
  readonly policy: HealthPolicy;
  readonly #outcomes: Uint8Array;
  readonly #latencies = new Float64Array(LATENCY_SAMPLES);
  #calls = 0;
  #errors = 0;
  #windowErrors = 0;

  constructor(policy: HealthPolicy = HEALTH_DEFAULTS) {
    this.policy = policy;
    this.#outcomes = new Uint8Array(policy.windowCalls);
  }

  /** Records one call: whether it counted as an error, and how long it took (ms). */
  record(failed: boolean, latencyMs: number): void {
    const slot = this.#calls % this.#outcomes.length;
    if (this.#calls >= this.#outcomes.length) this.#windowErrors -= this.#outcomes[slot]!;
    this.#outcomes[slot] = failed ? 1 : 0;
    this.#windowErrors += failed ? 1 : 0;
    this.#latencies[this.#calls % LATENCY_SAMPLES] = latencyMs;
    this.#calls++;
    if (failed) this.#errors++;
  }

  /** The window's error rate, 0 for an empty window. */
  get errorRate(): number {
    const n = Math.min(this.#calls, this.#outcomes.length);
    return n === 0 ? 0 : this.#windowErrors / n;
  }

  /** Whether the window holds at least `minCalls` calls and its error rate passes `maxErrorRate`. */
  get unhealthy(): boolean {
    return Math.min(this.#calls, this.#outcomes.length) >= this.policy.minCalls && this.errorRate > this.policy.maxErrorRate;
  }

  /** Why the window is unhealthy, in words (for the audit trail). */
  describe(): string {
    const n = Math.min(this.#calls, this.#outcomes.length);
    return `error rate ${this.errorRate.toFixed(2)} (${this.#windowErrors} of the last ${n} calls) passed the limit of ${this.policy.maxErrorRate}`;
  }

  summary(): HealthSummary {
    const n = Math.min(this.#calls, LATENCY_SAMPLES);
    const sorted = Array.from(this.#latencies.subarray(0, n)).sort((a, b) => a - b);
    const at = (q: number): number | null => (n === 0 ? null : Math.round(sorted[Math.min(n - 1, Math.floor(q * n))]! * 1000) / 1000);
    return {
      calls: this.#calls,
      errors: this.#errors,
      windowCalls: Math.min(this.#calls, this.#outcomes.length),
      windowErrors: this.#windowErrors,
      errorRate: this.errorRate,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
    };
  }
}
