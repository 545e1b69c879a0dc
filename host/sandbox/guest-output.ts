import type { Logger } from '../log/logger.js';
import type { GuestOutput } from './instance.js';

/** Longest line kept in one log entry; the rest of an over-long line is cut. */
export const MAX_LOG_LINE_BYTES = 8192;

/**
 * A `GuestOutput` that turns a guest's stdout/stderr into log lines on `logger` (bind the
 * component and version to it with `logger.child`). The guest's text goes under the `guest` key,
 * never at the top level of the entry.
 */
export function loggerOutput(logger: Logger): GuestOutput & { flush(): void } {
  const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  const emit = (stream: 'stdout' | 'stderr', line: string): void => {
    const text = line.length > MAX_LOG_LINE_BYTES ? `${line.slice(0, MAX_LOG_LINE_BYTES)}…` : line;
    if (stream === 'stderr') logger.warn({ guest: { stream, line: text } }, 'guest output');
    else logger.info({ guest: { stream, line: text } }, 'guest output');
  };
  const write = (stream: 'stdout' | 'stderr') => (chunk: Buffer): void => {
    const lines = (pending[stream] + chunk.toString('utf8')).split('\n');
    pending[stream] = lines.pop() ?? '';
    if (pending[stream].length > MAX_LOG_LINE_BYTES) {
      emit(stream, pending[stream]);
      pending[stream] = '';
    }
    for (const line of lines) emit(stream, line);
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
  };
}
