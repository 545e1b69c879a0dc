import type { Logger } from '../log/logger.js';
import { TokenBucket } from '../support/token-bucket.js';
import type { GuestOutput } from './instance.js';

/** Longest line kept in one log entry; the rest of an over-long line is cut. */
export const MAX_LOG_LINE_BYTES = 8192;

/** How much guest output reaches the log before lines are dropped (and counted). */
export interface OutputRate {
  readonly linesPerSecond: number;
  readonly bytesPerSecond: number;
}

/** Defaults: 1000 lines and 1 MiB a second, per instance. */
export const OUTPUT_RATE_DEFAULTS: OutputRate = Object.freeze({ linesPerSecond: 1000, bytesPerSecond: 1024 * 1024 });

/** Chunks are split into slices this big, so a newline-free flood never builds one huge string. */
const SLICE_BYTES = 64 * 1024;

/**
 * A `GuestOutput` that turns a guest's stdout/stderr into log lines on `logger` (bind the
 * component and version to it with `logger.child`). The guest's text goes under the `guest` key,
 * never at the top level of the entry. Past `rate`, lines are dropped; the next line that gets
 * through is preceded by a warning with how many were dropped. `dropped` counts them all.
 */
export function loggerOutput(logger: Logger, rate: OutputRate = OUTPUT_RATE_DEFAULTS): GuestOutput & { flush(): void; readonly dropped: number } {
  const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  const lines = new TokenBucket(rate.linesPerSecond);
  const bytes = new TokenBucket(rate.bytesPerSecond);
  let droppedSinceLast = 0;
  let dropped = 0;
  const emit = (stream: 'stdout' | 'stderr', line: string): void => {
    const text = line.length > MAX_LOG_LINE_BYTES ? `${line.slice(0, MAX_LOG_LINE_BYTES)}…` : line;
    if (!lines.take() || !bytes.take(text.length + 1)) {
      droppedSinceLast++;
      dropped++;
      return;
    }
    if (droppedSinceLast > 0) {
      logger.warn({ guest: { stream, dropped: droppedSinceLast } }, 'guest output over its rate limit: lines dropped');
      droppedSinceLast = 0;
    }
    if (stream === 'stderr') logger.warn({ guest: { stream, line: text } }, 'guest output');
    else logger.info({ guest: { stream, line: text } }, 'guest output');
  };
  const writeSlice = (stream: 'stdout' | 'stderr', slice: string): void => {
    const parts = (pending[stream] + slice).split('\n');
    pending[stream] = parts.pop() ?? '';
    if (pending[stream].length > MAX_LOG_LINE_BYTES) {
      emit(stream, pending[stream]);
      pending[stream] = '';
    }
    for (const line of parts) emit(stream, line);
  };
  const write = (stream: 'stdout' | 'stderr') => (chunk: Buffer): void => {
    for (let offset = 0; offset < chunk.length; offset += SLICE_BYTES) {
      writeSlice(stream, chunk.subarray(offset, offset + SLICE_BYTES).toString('utf8'));
    }
  };
  return {
    stdout: write('stdout'),
    stderr: write('stderr'),
    flush(): void {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (pending[stream]) emit(stream, pending[stream]);
        pending[stream] = '';
      }
    },
    get dropped() {
      return dropped;
    },
  };
}
