/**
 * The global cap on step executions in flight, with a priority queue of the steps waiting for a
 * slot: higher run priority first, then older runs, then arrival order. Runs queue here: a run is
 * `queued` until its first step gets a slot.
 */

interface Waiter {
  readonly priority: number;
  readonly runSeq: number;
  readonly seq: number;
  readonly grant: () => void;
}

/** Whether `a` is served before `b`. */
const before = (a: Waiter, b: Waiter): boolean =>
  a.priority !== b.priority ? a.priority > b.priority : a.runSeq !== b.runSeq ? a.runSeq < b.runSeq : a.seq < b.seq;

export class StepSlots {
  readonly capacity: number;
  #inFlight = 0;
  #seq = 0;
  /** A binary heap ordered by `before`. */
  readonly #heap: Waiter[] = [];

  /** @param capacity - executions in flight at most (≥ 1) */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a whole number ≥ 1, got ${capacity}`);
    this.capacity = capacity;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get waiting(): number {
    return this.#heap.length;
  }

  /** Waits for a slot; resolves with the function that gives it back (call it exactly once). */
  acquire(priority: number, runSeq: number): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        this.#inFlight += 1;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.#inFlight -= 1;
          this.#next();
        });
      };
      this.#push({ priority, runSeq, seq: this.#seq++, grant });
      this.#next();
    });
  }

  #next(): void {
    while (this.#inFlight < this.capacity && this.#heap.length > 0) this.#pop().grant();
  }

  #push(w: Waiter): void {
    const h = this.#heap;
    h.push(w);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): Waiter {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < h.length && before(h[l]!, h[best]!)) best = l;
        if (r < h.length && before(h[r]!, h[best]!)) best = r;
        if (best === i) break;
        [h[i], h[best]] = [h[best]!, h[i]!];
        i = best;
      }
    }
    return top;
  }
}
