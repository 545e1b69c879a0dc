import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/** Options for the host logger. Defaults: level `info`, JSON lines to stderr. */
export interface LoggerConfig {
  /** pino level: trace, debug, info, warn, error, fatal or silent. */
  readonly level?: string;
  /** Where the lines go; defaults to stderr (fd 2) so stdout stays free for command output. */
  readonly destination?: DestinationStream;
}

/**
 * Creates the host's structured logger (pino). Log object first, constant message:
 * `log.info({ component, callId, durationMs }, 'call finished')`. Guest-supplied fields go under
 * a `guest` key, never at the top level.
 */
export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: { svc: 'lnano' },
  };
  return pino(options, config.destination ?? pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything (embedders that bring no logger, tests that do not look). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
