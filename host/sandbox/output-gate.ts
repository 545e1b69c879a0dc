/**
 * What a guest writes to stdout/stderr, on its way out of the instance's worker. Runs inside the
 * worker, where the bytes are produced, so a flood costs the guest's own thread and never the
 * host's main thread.
 *
 * Two modes, chosen by the instance's owner (see `GuestOutput.rate`):
 * - unlimited (`lnano run`): every byte is forwarded as written, in order, nothing dropped;
 * - rate-limited (`lnano serve`, where output goes to the log): bytes are split into lines, an
 *   over-long line is cut, and each line is forwarded or dropped by a lines-per-second and a
 *   bytes-per-second token bucket. Forwarded text is always whole lines. Drops are counted per
 *   call and reported as one summary per interval.
 */
import { TokenBucket } from '../support/token-bucket.js';

/** Longest line forwarded in rate-limited mode; the rest of an over-long line is cut (marked `…`). */
export const MAX_LOG_LINE_BYTES = 8192;

/** How much guest output one instance may send to the host before lines are dropped (and counted). */
export interface OutputRate {
  readonly linesPerSecond: number;
  readonly bytesPerSecond: number;
  /** At most one drop summary per this many ms (default 1000). */
  readonly summaryIntervalMs?: number;
}

/** Defaults: 1000 lines and 1 MiB a second per instance; one drop summary a second. */
export const OUTPUT_RATE_DEFAULTS: Required<OutputRate> = Object.freeze({ linesPerSecond: 1000, bytesPerSecond: 1024 * 1024, summaryIntervalMs: 1000 });

/** The guest's two output streams. */
export type OutputStreamName = 'stdout' | 'stderr';

/** Lines dropped since the previous summary, by stream. */
export interface DropSummary {
  readonly stdout: number;
  readonly stderr: number;
}

/** Where the gate sends what passes, and its drop summaries. */
export interface OutputGateSink {
  forward(stream: OutputStreamName, bytes: Uint8Array): void;
  dropped(summary: DropSummary): void;
}

/** What is nondeterministic in a gate: the clock (ms) and a one-shot timer. */
export interface OutputGateClock {
  now(): number;
  /** Runs `fn` once after `ms` (without keeping the thread alive). */
  schedule(fn: () => void, ms: number): void;
}

const REAL_CLOCK: OutputGateClock = {
  now: () => performance.now(),
  schedule: (fn, ms) => void setTimeout(fn, ms).unref(),
};

const NEWLINE = 0x0a;
const CUT_MARK = Buffer.from('…\n');
const LF = Buffer.from('\n');

/** A line being assembled from chunks: its bytes so far (up to the cut) and whether it was cut. */
interface LineState {
  parts: Buffer[];
  bytes: number;
  cut: boolean;
}

/**
 * The per-instance output gate.
 *
 * @example
 * const gate = new OutputGate(OUTPUT_RATE_DEFAULTS, { forward: post, dropped: postSummary });
 * gate.write('stderr', bytes);   // forwarded, or dropped and counted
 */
export class OutputGate {
  readonly #rate: Required<OutputRate> | null;
  readonly #sink: OutputGateSink;
  readonly #clock: OutputGateClock;
  readonly #lines: TokenBucket | undefined;
  readonly #bytes: TokenBucket | undefined;
  readonly #state: Record<OutputStreamName, LineState> = { stdout: { parts: [], bytes: 0, cut: false }, stderr: { parts: [], bytes: 0, cut: false } };
  /** Drops not yet summarized. */
  #window = { stdout: 0, stderr: 0 };
  /** When the current summary window opened (its first drop); undefined: no drops pending. */
  #windowStart: number | undefined;
  #callDropped = 0;
  /** Whether the summary timer is set (at most one at a time). */
  #timerSet = false;

  /**
   * @param rate - the limit; null: unlimited (every byte forwarded as written)
   * @param sink - receives forwarded bytes and drop summaries
   * @param clock - tests pass their own
   */
  constructor(rate: OutputRate | null, sink: OutputGateSink, clock: OutputGateClock = REAL_CLOCK) {
    this.#rate = rate ? { ...OUTPUT_RATE_DEFAULTS, ...rate } : null;
    this.#sink = sink;
    this.#clock = clock;
    if (this.#rate) {
      const now = () => clock.now();
      this.#lines = new TokenBucket(this.#rate.linesPerSecond, this.#rate.linesPerSecond, now);
      this.#bytes = new TokenBucket(this.#rate.bytesPerSecond, this.#rate.bytesPerSecond, now);
    }
  }

  /**
   * Takes what the guest wrote to `stream`. The gate copies what it holds on to; the sink must
   * use (or copy) forwarded bytes at once, as `postMessage` does.
   */
  write(stream: OutputStreamName, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (!this.#rate) {
      this.#sink.forward(stream, bytes);
      return;
    }
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const kept: Buffer[] = [];
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(NEWLINE, start);
      this.#append(stream, chunk.subarray(start, end === -1 ? chunk.length : end));
      if (end === -1) break;
      this.#endLine(stream, kept);
      start = end + 1;
    }
    if (kept.length > 0) this.#sink.forward(stream, Buffer.concat(kept));
    this.tick();
  }

  /**
   * Ends the lines still open (rate-limited mode), so what the guest wrote before a result
   * crosses with it: a line continued by a later call then shows as two lines.
   */
  endLines(): void {
    if (!this.#rate) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.#state[stream].bytes === 0 && !this.#state[stream].cut) continue;
      const kept: Buffer[] = [];
      this.#endLine(stream, kept);
      if (kept.length > 0) this.#sink.forward(stream, Buffer.concat(kept));
    }
  }

  /** Sends the drop summary when its interval is over (called on writes and by the timer). */
  tick(): void {
    if (this.#windowStart === undefined) return;
    const due = this.#windowStart + this.#rate!.summaryIntervalMs - this.#clock.now();
    if (due <= 0) this.#summarize();
  }

  /** Sends the pending drop summary now, interval or not: the instance is ending. */
  finish(): void {
    this.endLines();
    if (this.#windowStart !== undefined) this.#summarize();
  }

  /** Lines dropped since the previous call of this (the running guest call's count). */
  takeCallDropped(): number {
    const n = this.#callDropped;
    this.#callDropped = 0;
    return n;
  }

  #append(stream: OutputStreamName, part: Buffer): void {
    const line = this.#state[stream];
    if (line.cut || part.length === 0) return;
    const room = MAX_LOG_LINE_BYTES - line.bytes;
    if (part.length > room) line.cut = true;
    // Copied: the guest's buffer is reused by its next write.
    const kept = Buffer.from(part.subarray(0, room));
    line.parts.push(kept);
    line.bytes += kept.length;
  }

  #endLine(stream: OutputStreamName, kept: Buffer[]): void {
    const line = this.#state[stream];
    const size = line.bytes + (line.cut ? CUT_MARK.length : 1);
    if (this.#lines!.take() && this.#bytes!.take(size)) {
      kept.push(...line.parts, line.cut ? CUT_MARK : LF);
    } else {
      this.#window[stream]++;
      this.#callDropped++;
      if (this.#windowStart === undefined) {
        this.#windowStart = this.#clock.now();
        this.#arm(this.#rate!.summaryIntervalMs);
      }
    }
    this.#state[stream] = { parts: [], bytes: 0, cut: false };
  }

  /** Sets the summary timer unless it is set: a flood inside one call opens a window a second. */
  #arm(ms: number): void {
    if (this.#timerSet) return;
    this.#timerSet = true;
    this.#clock.schedule(() => {
      this.#timerSet = false;
      if (this.#windowStart === undefined) return;
      const due = this.#windowStart + this.#rate!.summaryIntervalMs - this.#clock.now();
      if (due <= 0) this.#summarize();
      else this.#arm(due);
    }, ms);
  }

  #summarize(): void {
    const summary = this.#window;
    this.#window = { stdout: 0, stderr: 0 };
    this.#windowStart = undefined;
    this.#sink.dropped(summary);
  }
}
