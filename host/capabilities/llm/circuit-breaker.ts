/**
 * One provider's circuit breaker: after `failures` failures in a row (retryable or unavailable
 * answers) the circuit opens and calls skip the provider for `cooldownMs`; then one trial call
 * goes through (half-open): a success closes the circuit, a failure opens it again.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  readonly #failures: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  #streak = 0;
  #openedAt = 0;
  #state: CircuitState = 'closed';
  /** A half-open trial is running. */
  #trial = false;

  constructor(failures: number, cooldownMs: number, now: () => number = () => performance.now()) {
    this.#failures = failures;
    this.#cooldownMs = cooldownMs;
    this.#now = now;
  }

  get state(): CircuitState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#cooldownMs) this.#state = 'half-open';
    return this.#state;
  }

  /** Whether a call may go to the provider now (in half-open, only the one trial). */
  allow(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#trial) return false;
    this.#trial = true;
    return true;
  }

  success(): void {
    this.#streak = 0;
    this.#trial = false;
    this.#state = 'closed';
  }

  failure(): void {
    this.#trial = false;
    this.#streak++;
    if (this.#state === 'half-open' || this.#streak >= this.#failures) {
      this.#state = 'open';
      this.#openedAt = this.#now();
    }
  }
}
