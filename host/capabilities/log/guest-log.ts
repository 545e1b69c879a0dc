/**
 * The guest's `liquid-nano:plugin/log` function, inside its worker: lines are cut to size and
 * rate-limited there, so a flood never crosses to the host.
 */
import type { HostBridge } from '../../sandbox/protocol.js';
import { TokenBucket } from '../../support/token-bucket.js';

type Pair = [string, string];

/** The payload of a `log` notification: one line a guest wrote through `liquid-nano:plugin/log`. */
export interface GuestLogLine {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: ReadonlyArray<readonly [string, string]>;
  /** Lines dropped by the rate limit since the previous forwarded line. */
  readonly dropped?: number;
}

/** Longest log message forwarded; longer ones are cut (with a … mark). */
export const MAX_GUEST_LOG_MESSAGE = 8192;
/** Most fields forwarded with one log line, and the longest field value. */
const MAX_GUEST_LOG_FIELDS = 64;
const MAX_GUEST_LOG_FIELD = 1024;

/** `text` cut to `max` characters, with a … mark when cut. */
export const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * The guest's `log` function: forwards lines to the host, cut to size, at most `linesPerSecond`
 * / `bytesPerSecond`; past that, lines are dropped in the worker (they never cross to the host)
 * and the next forwarded line carries `dropped`.
 */
export function guestLog(
  linesPerSecond: number,
  bytesPerSecond: number,
  bridge: HostBridge,
): (level: GuestLogLine['level'], message: string, fields: Pair[]) => void {
  const lines = new TokenBucket(linesPerSecond);
  const bytes = new TokenBucket(bytesPerSecond);
  let dropped = 0;
  return (level, message, fields) => {
    bridge.hostCall('log');
    const text = cut(String(message), MAX_GUEST_LOG_MESSAGE);
    const kept = fields.slice(0, MAX_GUEST_LOG_FIELDS).map(([k, v]) => [cut(String(k), 128), cut(String(v), MAX_GUEST_LOG_FIELD)] as const);
    const size = text.length + kept.reduce((n, [k, v]) => n + k.length + v.length, 0);
    if (!lines.take() || !bytes.take(size)) {
      dropped++;
      return;
    }
    const line: GuestLogLine = { level, message: text, fields: kept, ...(dropped > 0 ? { dropped } : {}) };
    dropped = 0;
    bridge.notify('log', line);
  };
}
