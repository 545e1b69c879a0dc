/**
 * The Liquid Nano host interfaces of `wit/plugin.wit` for one instance. Runs inside the
 * instance's worker; what leaves the worker goes through the host bridge as notifications.
 */
import type { HostBridge } from '../sandbox/protocol.js';
import type { PluginGrants } from './grants.js';
import { kvImports } from './kv-store.js';

type Pair = [string, string];

/** The payload of a `log` notification: one line a guest wrote through `liquid-nano:plugin/log`. */
export interface GuestLogLine {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: ReadonlyArray<readonly [string, string]>;
}

/** Builds the `liquid-nano:plugin/*` part of the import object (keys unversioned). */
export function pluginImports(grants: PluginGrants, bridge: HostBridge): Record<string, unknown> {
  const config = new Map(grants.config.map(([k, v]) => [k, v]));
  const metric = (kind: string) => (name: string, value: number, labels: Pair[]) =>
    bridge.notify('metric', { kind, name, value, labels });
  return {
    'liquid-nano:plugin/types': {},
    'liquid-nano:plugin/log': {
      log(level: GuestLogLine['level'], message: string, fields: Pair[]): void {
        const line: GuestLogLine = { level, message, fields };
        bridge.notify('log', line);
      },
    },
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
      emit(event: unknown): void {
        bridge.notify('emit', event);
      },
    },
  };
}
