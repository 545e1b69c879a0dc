import type { Logger } from '../log/logger.js';
import type { GuestOutput } from './instance.js';
import { type DropSummary, MAX_LOG_LINE_BYTES, OUTPUT_RATE_DEFAULTS, type OutputRate } from './output-gate.js';

/** Chunks are split into slices this big, so a newline-free chunk never builds one huge string. */
const SLICE_BYTES = 64 * 1024;

/**
 * A `GuestOutput` that turns a guest's stdout/stderr into log lines on `logger` (bind the
 * component and version to it with `logger.child`). The guest's text goes under the `guest` key,
 * never at the top level of the entry.
 *
 * The rate limit (`rate`) is applied in each instance's worker (see `OutputGate`): lines past it
 * never reach this thread. Each drop summary the workers send (at most one per interval and
 * instance) becomes one warning, `guest output over its rate limit: lines dropped`, with the
 * counts under `guest.dropped`; `dropped` totals them. Lines are cut to `MAX_LOG_LINE_BYTES` here
 * too, for output that did not pass a gate.
 *
 * One sink may serve several instances (a version's pool): rate-limited output arrives as whole
 * lines, so their lines never mix.
 */
export function loggerOutput(
  logger: Logger,
  rate: OutputRate = OUTPUT_RATE_DEFAULTS,
): GuestOutput & { flush(): void; readonly dropped: number; readonly rate: OutputRate } {
  const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  let dropped = 0;
  const emit = (stream: 'stdout' | 'stderr', line: string): void => {
    const text = line.length > MAX_LOG_LINE_BYTES ? `${line.slice(0, MAX_LOG_LINE_BYTES)}…` : line;
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
  const write =
    (stream: 'stdout' | 'stderr') =>
    (chunk: Buffer): void => {
      for (let offset = 0; offset < chunk.length; offset += SLICE_BYTES) {
        writeSlice(stream, chunk.subarray(offset, offset + SLICE_BYTES).toString('utf8'));
      }
    };
  return {
    stdout: write('stdout'),
    stderr: write('stderr'),
    rate,
    onDropped(summary: DropSummary): void {
      dropped += summary.stdout + summary.stderr;
      logger.warn({ guest: { dropped: { stdout: summary.stdout, stderr: summary.stderr } } }, 'guest output over its rate limit: lines dropped');
    },
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
