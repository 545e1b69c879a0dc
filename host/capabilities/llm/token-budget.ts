/**
 * Token budgets of components: tokens per minute and per day (prompt and completion alike),
 * counted per component over its versions, in fixed windows (the wall-clock minute, the UTC day).
 * A call reserves its worst case (its prompt estimate plus its `max-tokens`) before it goes out
 * and is refused when that would pass a budget; when it ends, the reservation is replaced by
 * what the provider counted. The counts live in this process (a restart starts them afresh).
 */
import type { LlmGrant } from './llm-wire.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

interface Window {
  start: number;
  used: number;
}

/** A reservation to settle when the call ends. */
export interface Reservation {
  readonly component: string;
  readonly tokens: number;
}

export class TokenBudgets {
  readonly #now: () => number;
  readonly #minute = new Map<string, Window>();
  readonly #day = new Map<string, Window>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #window(map: Map<string, Window>, component: string, size: number): Window {
    const start = Math.floor(this.#now() / size) * size;
    let w = map.get(component);
    if (!w || w.start !== start) {
      w = { start, used: 0 };
      map.set(component, w);
    }
    return w;
  }

  /**
   * Reserves `tokens` for a call of `grant`'s component.
   *
   * @returns the reservation, or why it is refused (`tokensPerMinute 1000 would be passed: 950 used`)
   */
  reserve(grant: LlmGrant, tokens: number): Reservation | string {
    const minute = this.#window(this.#minute, grant.component, MINUTE_MS);
    const day = this.#window(this.#day, grant.component, DAY_MS);
    if (grant.tokensPerMinute !== null && minute.used + tokens > grant.tokensPerMinute) {
      return `tokensPerMinute ${grant.tokensPerMinute} would be passed (${minute.used} used this minute, this call may take ${tokens})`;
    }
    if (grant.tokensPerDay !== null && day.used + tokens > grant.tokensPerDay) {
      return `tokensPerDay ${grant.tokensPerDay} would be passed (${day.used} used today, this call may take ${tokens})`;
    }
    minute.used += tokens;
    day.used += tokens;
    return { component: grant.component, tokens };
  }

  /** Replaces a reservation by the tokens the call used (0 for a call that failed before any). */
  settle(reservation: Reservation, used: number): void {
    const delta = used - reservation.tokens;
    for (const [map, size] of [
      [this.#minute, MINUTE_MS],
      [this.#day, DAY_MS],
    ] as const) {
      const w = this.#window(map, reservation.component, size);
      w.used = Math.max(0, w.used + delta);
    }
  }

  /** Tokens a component used in the current minute and day. */
  used(component: string): { minute: number; day: number } {
    return { minute: this.#window(this.#minute, component, MINUTE_MS).used, day: this.#window(this.#day, component, DAY_MS).used };
  }
}

/** A prompt's tokens before a provider counts them: about 4 characters a token, rounded up. */
export function estimateTokens(texts: readonly string[]): number {
  let chars = 0;
  for (const t of texts) chars += t.length;
  return Math.ceil(chars / 4);
}
