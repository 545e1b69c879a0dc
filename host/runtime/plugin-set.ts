import { toLnError, type SerializedError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { findExport, type CallableExport, type Component } from '../engine/component.js';
import { closedGrants, type InstanceGrants } from '../capabilities/grants.js';
import { GuestMetrics, type GuestMetricSample } from '../capabilities/guest-metrics.js';
import { HTTP_DENIED_TOPIC, type HttpDenial } from '../capabilities/http-outgoing.js';
import { linkerSpec } from '../capabilities/linker-spec.js';
import type { GuestLogLine } from '../capabilities/plugin-imports.js';
import { InstancePool } from '../resources/instance-pool.js';
import { LIMIT_DEFAULTS, type Limits } from '../resources/limits.js';
import { loggerOutput } from '../sandbox/guest-output.js';
import type { NotifyMessage } from '../sandbox/protocol.js';
import { eventToEnvelope, type JsonEnvelope, type PluginEvent } from './event-envelope.js';

/** One plugin's answer to one event. */
export type PluginOutcome =
  | { readonly plugin: string; readonly ok: true; readonly events: JsonEnvelope[]; readonly durationMs: number }
  | { readonly plugin: string; readonly ok: false; readonly error: SerializedError | { code: 'LN_ERR_GUEST_ERROR'; value: unknown }; readonly durationMs?: number };

interface Member {
  readonly name: string;
  readonly pool: InstancePool;
  readonly handle: CallableExport;
}

/** Settings of a plugin set. */
export interface PluginSetOptions {
  readonly logger: Logger;
}

/** How one plugin runs: its grants and limits (default: nothing granted, the host's default limits). */
export interface PluginSettings {
  readonly grants?: InstanceGrants;
  readonly limits?: Limits;
}

/**
 * The plugins a host serves, each in its own supervised instance, and the delivery of one event
 * to every one of them, sequentially, in name order. A failing plugin fails only its own entry.
 * (The version manager and the event runtime replace the fixed membership and the routing.)
 */
export class PluginSet {
  readonly #members: Member[] = [];
  readonly #options: PluginSetOptions;
  /** What the plugins reported through `liquid-nano:plugin/metrics`, labelled by plugin. */
  readonly metrics = new GuestMetrics();

  constructor(options: PluginSetOptions) {
    this.#options = options;
  }

  /**
   * Adds a plugin component under `name` (plugin names are unique) and starts its warm instances.
   *
   * @throws LnError when its warm instances cannot start (e.g. `LN_ERR_GUEST_INIT`)
   */
  async add(name: string, component: Component, settings: PluginSettings = {}): Promise<void> {
    if (this.#members.some((m) => m.name === name)) throw new Error(`duplicate plugin name ${name}`);
    const handle = findExport(component.shape, 'handler#handle');
    if (component.kind !== 'plugin' || !handle) throw new Error(`${name} is not a plugin (no liquid-nano:plugin/handler export)`);
    const log = this.#options.logger.child({ component: name, digest: component.digest.slice(0, 12) });
    const limits = settings.limits ?? LIMIT_DEFAULTS;
    const pool = new InstancePool(component, {
      name, limits, logger: log,
      instance: {
        linker: linkerSpec(settings.grants ?? closedGrants(name)),
        output: loggerOutput(log),
        onNotify: (message) => this.#notification(log, message),
      },
    });
    await pool.warm();
    this.#members.push({ name, pool, handle });
    this.#members.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  #notification(log: Logger, message: NotifyMessage): void {
    if (message.topic === 'metric') this.metrics.record(message.payload as GuestMetricSample);
    else logNotification(log, message);
  }

  /** The plugin names, in delivery order. */
  get names(): string[] {
    return this.#members.map((m) => m.name);
  }

  /** Delivers one event to every plugin, one after the other. */
  async dispatch(event: PluginEvent): Promise<PluginOutcome[]> {
    const outcomes: PluginOutcome[] = [];
    for (const member of this.#members) {
      try {
        const outcome = await member.pool.call(member.handle, [event]);
        if (outcome.errResult) {
          outcomes.push({ plugin: member.name, ok: false, error: { code: 'LN_ERR_GUEST_ERROR', value: outcome.value }, durationMs: outcome.durationMs });
        } else {
          const events = (outcome.value as PluginEvent[]).map(eventToEnvelope);
          outcomes.push({ plugin: member.name, ok: true, events, durationMs: outcome.durationMs });
        }
      } catch (err) {
        const error = toLnError(err);
        this.#options.logger.warn({ component: member.name, code: error.code, err: error }, 'plugin call failed');
        outcomes.push({ plugin: member.name, ok: false, error: error.toJSON() });
      }
    }
    return outcomes;
  }

  /** Stops every instance. */
  async close(): Promise<void> {
    await Promise.all(this.#members.map((m) => m.pool.close()));
  }
}

function logNotification(log: Logger, message: NotifyMessage): void {
  if (message.topic === 'log') {
    const { level, message: text, fields, dropped } = message.payload as GuestLogLine;
    const entry = { guest: { level, message: String(text).slice(0, 8192), fields: Object.fromEntries(fields.slice(0, 64)), ...(dropped ? { dropped } : {}) } };
    if (level === 'error') log.error(entry, 'guest log');
    else if (level === 'warn') log.warn(entry, 'guest log');
    else if (level === 'info') log.info(entry, 'guest log');
    else log.debug(entry, 'guest log');
  } else if (message.topic === HTTP_DENIED_TOPIC) {
    log.warn({ denied: message.payload as HttpDenial }, 'outgoing HTTP request refused');
  } else {
    log.debug({ guest: { topic: message.topic } }, 'guest notification');
  }
}

