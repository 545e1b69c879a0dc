/**
 * How many files one instance may hold open at once: its descriptors plus the file streams it
 * created. The fd table is the whole host's (and a preview2 guest can open handles without end),
 * so one guest must not be able to exhaust it and starve the server of sockets and files.
 */

/** Open descriptors and file streams per instance before `open-at` and `*-via-stream` fail. */
export const MAX_OPEN_FILES = 1024;

/** A count of one instance's open files, bounded by `max`. */
export class FdBudget {
  #open = 0;

  constructor(readonly max: number = MAX_OPEN_FILES) {}

  /**
   * Counts one more open file.
   * @throws `insufficient-memory` when `max` are open (WASI has no "too many open files")
   */
  take(): void {
    if (this.#open >= this.max) throw 'insufficient-memory';
    this.#open++;
  }

  /** Counts one file closed. */
  release(): void {
    if (this.#open > 0) this.#open--;
  }

  /** Files open now. */
  get open(): number {
    return this.#open;
  }
}
