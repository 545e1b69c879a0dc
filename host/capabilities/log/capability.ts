/**
 * `liquid-nano:plugin/log`: guest log lines into the host log (under the `guest` key), cut to
 * size and rate-limited per instance (`guest-log.ts`). Always available; nothing to grant.
 */
import type { Capability } from '../capability.js';
import type { GuestLogLine } from './guest-log.js';

/** The guest log's rate limit. */
export interface LogGrant {
  readonly plugin: {
    /** Guest log lines (log interface) per second before lines are dropped (and counted). */
    readonly logLinesPerSecond: number;
    /** Guest log bytes per second before lines are dropped (and counted). */
    readonly logBytesPerSecond: number;
  };
}

/** Defaults of the guest log's rate limit. */
export const LOG_DEFAULTS = Object.freeze({ linesPerSecond: 1000, bytesPerSecond: 1024 * 1024 });

const rate = (): LogGrant => ({ plugin: { logLinesPerSecond: LOG_DEFAULTS.linesPerSecond, logBytesPerSecond: LOG_DEFAULTS.bytesPerSecond } });

export const logCapability: Capability<object, LogGrant> = {
  name: 'log',
  interfaces: ['liquid-nano:plugin/log'],
  withoutGrant: 'available, into the host log (rate-limited)',
  grantFlag: null,
  grantManifest: null,
  closed: rate,
  resolve: rate,
  loadImports: async () => (await import('./imports.js')).imports,
  notifications: {
    log(lines, payload) {
      const { level, message: text, fields, dropped } = payload as GuestLogLine;
      const entry = {
        guest: { level, message: String(text).slice(0, 8192), fields: Object.fromEntries(fields.slice(0, 64)), ...(dropped ? { dropped } : {}) },
      };
      lines.push(level === 'error' || level === 'warn' || level === 'info' ? level : 'debug', entry, 'guest log');
    },
  },
};
