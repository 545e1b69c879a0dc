/**
 * A tee for the host's log: every line goes on to the real destination, and lines about a
 * component (those with a `component` field: guest log lines, guest output, call failures) are
 * also kept in a bounded ring per component, for `lnano logs` and its `-f`.
 */
import type { DestinationStream } from 'pino';

/** One kept log line: pino's JSON object. */
export type LogEntry = Record<string, unknown> & { component: string };

/** Lines kept per component, and components tracked at most. */
export const LOG_RING_DEFAULTS = Object.freeze({ linesPerComponent: 1000, components: 256 });

export class LogRing implements DestinationStream {
  readonly #next: DestinationStream;
  readonly #lines = new Map<string, LogEntry[]>();
  readonly #followers = new Map<string, Set<(entry: LogEntry) => void>>();
  readonly #perComponent: number;
  readonly #components: number;

  constructor(next: DestinationStream, options: { linesPerComponent?: number; components?: number } = {}) {
    this.#next = next;
    this.#perComponent = options.linesPerComponent ?? LOG_RING_DEFAULTS.linesPerComponent;
    this.#components = options.components ?? LOG_RING_DEFAULTS.components;
  }

  write(line: string): void {
    this.#next.write(line);
    if (!line.includes('"component":')) return;
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      return;
    }
    if (typeof entry.component !== 'string') return;
    let ring = this.#lines.get(entry.component);
    if (!ring) {
      if (this.#lines.size >= this.#components) this.#lines.delete(this.#lines.keys().next().value!);
      ring = [];
      this.#lines.set(entry.component, ring);
    }
    ring.push(entry);
    if (ring.length > this.#perComponent) ring.splice(0, ring.length - this.#perComponent);
    for (const follow of this.#followers.get(entry.component) ?? []) follow(entry);
  }

  /** Flushes the destination (pino's `logger.flush()` ends here; `lnano serve` calls it at exit). */
  flush(cb?: (err?: Error) => void): void {
    const next = this.#next as DestinationStream & { flush?: (cb: (err?: Error) => void) => void };
    if (typeof next.flush === 'function') next.flush(cb ?? (() => undefined));
    else cb?.();
  }

  /** The last `count` lines about `component`, oldest first. */
  recent(component: string, count = 100): LogEntry[] {
    return (this.#lines.get(component) ?? []).slice(-count);
  }

  /** Calls `onEntry` with every new line about `component`; returns the unsubscribe function. */
  follow(component: string, onEntry: (entry: LogEntry) => void): () => void {
    const set = this.#followers.get(component) ?? new Set();
    set.add(onEntry);
    this.#followers.set(component, set);
    return () => {
      set.delete(onEntry);
      if (set.size === 0) this.#followers.delete(component);
    };
  }
}
