/**
 * The Liquid Nano host interfaces of `wit/plugin.wit` for one instance. Runs inside the
 * instance's worker; what leaves the worker goes through the host bridge as notifications.
 */
import type { HostBridge } from '../sandbox/protocol.js';
import { TokenBucket } from '../support/token-bucket.js';
import type { PluginGrants } from './grants.js';
import { kvImports } from './kv/kv-store.js';

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

const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * The guest's `log` function: forwards lines to the host, cut to size, at most
 * `logLinesPerSecond` / `logBytesPerSecond`; past that, lines are dropped in the worker (they
 * never cross to the host) and the next forwarded line carries `dropped`.
 */
function guestLog(grants: PluginGrants, bridge: HostBridge): (level: GuestLogLine['level'], message: string, fields: Pair[]) => void {
  const lines = new TokenBucket(grants.logLinesPerSecond);
  const bytes = new TokenBucket(grants.logBytesPerSecond);
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

/** Builds the `liquid-nano:plugin/*` part of the import object (keys unversioned). */
export function pluginImports(grants: PluginGrants, bridge: HostBridge): Record<string, unknown> {
  const config = new Map(grants.config.map(([k, v]) => [k, v]));
  const metric = (kind: string) => (name: string, value: number, labels: Pair[]): void => {
    bridge.hostCall('metrics');
    bridge.notify('metric', { kind, component: grants.component, name: cut(String(name), 128), value, labels: labels.slice(0, 16) });
  };
  return {
    'liquid-nano:plugin/types': {},
    'liquid-nano:plugin/log': { log: guestLog(grants, bridge) },
    'liquid-nano:plugin/config': {
      get: (key: string): string | undefined => config.get(key),
      getAll: (): Pair[] => [...config].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    },
    'liquid-nano:plugin/kv': kvImports(grants.kv, bridge),
    'liquid-nano:plugin/metrics': {
      counterAdd: metric('counter'),
      gaugeSet: metric('gauge'),
      histogramObserve: metric('histogram'),
    },
    'liquid-nano:plugin/events': {
      /**
       * Forwards the event to the host (the event runtime routes it after the call returns).
       * Past the call's `emit` limit (fan-out or depth guard) it is refused: jco turns the thrown
       * string into `err(string)` for the guest.
       */
      emit(event: unknown): void {
        const n = bridge.hostCall('emit');
        const limit = bridge.hostCallLimit('emit');
        if (limit && n > limit.max) throw limit.reason;
        bridge.notify('emit', event);
      },
    },
  };
}
