/**
 * Where the host's log lines go, and how they look: JSON lines (pino's own format, for log
 * shippers) or pretty, coloured lines (`pino-pretty`, for a person at a terminal). `auto` picks
 * pretty when the log stream (stderr) is a terminal.
 */
import { type DestinationStream, pino } from 'pino';
import pretty from 'pino-pretty';

/** How log lines are written. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** The format `auto` stands for, given whether the log stream is a terminal. */
export function effectiveLogFormat(format: LogFormat, isTty: boolean): 'json' | 'pretty' {
  return format === 'auto' ? (isTty ? 'pretty' : 'json') : format;
}

/** A destination writing to `fd` (default stderr) in `format`. */
export function logDestination(format: 'json' | 'pretty', fd = 2): DestinationStream {
  if (format === 'json') return pino.destination({ fd, sync: false });
  return pretty({ destination: fd, colorize: true, sync: false, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,svc' });
}
