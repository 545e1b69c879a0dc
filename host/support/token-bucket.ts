/**
 * A token bucket: up to `ratePerSecond` tokens a second, with bursts up to `burst`. Used to
 * rate-limit what a guest can push into the host's log.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  /**
   * @param ratePerSecond - tokens added per second
   * @param burst - the most tokens held at once (default: one second's worth)
   * @param now - the clock in ms (tests pass their own)
   */
  constructor(ratePerSecond: number, burst = ratePerSecond, now: () => number = () => performance.now()) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  /** Takes `n` tokens if there are that many; returns whether it did. */
  take(n = 1): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }
}
