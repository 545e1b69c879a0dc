/**
 * The path of guest-caused log lines (a guest's `log` calls, its refused requests) into the host's
 * log: asynchronous, bounded and drop-counting. A line is queued (a plugin call never waits for
 * its lines to be formatted and written) and written with the others in one batch on a later turn
 * of the event loop. Past `capacity` lines waiting, lines are dropped and counted; a warning with
 * the count is written with the next batch, at most once per `summaryIntervalMs`, and at `flush`.
 * A guest already has a rate limit in its worker; this bounds what all its instances together
 * cost the host's main thread.
 */
import type { Logger } from './logger.js';

/** The levels guest lines are written at. */
export type GuestLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Defaults of a `GuestLogQueue`. */
export const GUEST_LOG_QUEUE_DEFAULTS = Object.freeze({
  /** Lines waiting to be written, at most; past it lines are dropped. */
  capacity: 1024,
  /** The least time between two warnings about dropped lines, ms. */
  summaryIntervalMs: 10_000,
});

/** Settings of a queue; the nondeterministic parts are injectable. */
export interface GuestLogQueueOptions {
  readonly capacity?: number;
  readonly summaryIntervalMs?: number;
  /** The clock of the summaries, ms; default `performance.now`. */
  readonly now?: () => number;
  /** Runs a batch later; default `setImmediate`. */
  readonly schedule?: (drain: () => void) => void;
}

type Line = readonly [GuestLogLevel, object, string];

/**
 * @example
 * const lines = new GuestLogQueue(logger.child({ component, version }));
 * lines.push('info', { guest: { message: 'hello' } }, 'guest log');   // written on a later turn
 * lines.flush();                                                       // at shutdown
 */
export class GuestLogQueue {
  readonly #log: Logger;
  readonly #capacity: number;
  readonly #interval: number;
  readonly #now: () => number;
  readonly #schedule: (drain: () => void) => void;
  #lines: Line[] = [];
  #scheduled = false;
  #dropped = 0;
  #unreported = 0;
  #lastSummary = Number.NEGATIVE_INFINITY;

  constructor(log: Logger, options: GuestLogQueueOptions = {}) {
    this.#log = log;
    this.#capacity = options.capacity ?? GUEST_LOG_QUEUE_DEFAULTS.capacity;
    this.#interval = options.summaryIntervalMs ?? GUEST_LOG_QUEUE_DEFAULTS.summaryIntervalMs;
    this.#now = options.now ?? (() => performance.now());
    this.#schedule = options.schedule ?? ((drain) => setImmediate(drain));
  }

  /** Lines dropped since the queue was made. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Lines waiting to be written. */
  get pending(): number {
    return this.#lines.length;
  }

  /** Queues a line (one the logger's level lets through); returns false when it was dropped. */
  push(level: GuestLogLevel, entry: object, message: string): boolean {
    if (!this.#log.isLevelEnabled(level)) return true;
    if (this.#lines.length >= this.#capacity) {
      this.#dropped++;
      this.#unreported++;
      return false;
    }
    this.#lines.push([level, entry, message]);
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#schedule(() => this.#drain(false));
    }
    return true;
  }

  /** Writes every waiting line now, and the count of lines dropped since the last warning. */
  flush(): void {
    this.#drain(true);
  }

  #drain(final: boolean): void {
    this.#scheduled = false;
    const lines = this.#lines;
    this.#lines = [];
    for (const [level, entry, message] of lines) this.#log[level](entry, message);
    if (this.#unreported > 0 && (final || this.#now() - this.#lastSummary >= this.#interval)) {
      this.#log.warn(
        { dropped: this.#unreported, droppedTotal: this.#dropped, capacity: this.#capacity },
        'guest log lines dropped: too many waiting to be written',
      );
      this.#unreported = 0;
      this.#lastSummary = this.#now();
    }
  }
}
