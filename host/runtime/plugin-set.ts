import { toLnError, type SerializedError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { findExport, type CallableExport, type Component } from '../engine/component.js';
import { closedGrants } from '../capabilities/grants.js';
import { linkerSpec } from '../capabilities/linker-spec.js';
import type { GuestLogLine } from '../capabilities/plugin-imports.js';
import { loggerOutput } from '../sandbox/guest-output.js';
import { Supervisor } from '../sandbox/supervisor.js';
import type { NotifyMessage } from '../sandbox/protocol.js';
import { eventToEnvelope, type JsonEnvelope, type PluginEvent } from './event-envelope.js';

/** One plugin's answer to one event. */
export type PluginOutcome =
  | { readonly plugin: string; readonly ok: true; readonly events: JsonEnvelope[]; readonly durationMs: number }
  | { readonly plugin: string; readonly ok: false; readonly error: SerializedError | { code: 'LN_ERR_GUEST_ERROR'; value: unknown }; readonly durationMs?: number };

interface Member {
  readonly name: string;
  readonly supervisor: Supervisor;
  readonly handle: CallableExport;
}

/** Settings of a plugin set. */
export interface PluginSetOptions {
  readonly logger: Logger;
  /** Wall-clock deadline of one `handle` call, ms. */
  readonly timeoutMs: number;
}

/**
 * The plugins a host serves, each in its own supervised instance, and the delivery of one event
 * to every one of them, sequentially, in name order. A failing plugin fails only its own entry.
 * (The version manager and the event runtime replace the fixed membership and the routing.)
 */
export class PluginSet {
  readonly #members: Member[] = [];
  readonly #options: PluginSetOptions;

  constructor(options: PluginSetOptions) {
    this.#options = options;
  }

  /** Adds a plugin component under `name`; plugin names are unique. */
  add(name: string, component: Component): void {
    if (this.#members.some((m) => m.name === name)) throw new Error(`duplicate plugin name ${name}`);
    const handle = findExport(component.shape, 'handler#handle');
    if (component.kind !== 'plugin' || !handle) throw new Error(`${name} is not a plugin (no liquid-nano:plugin/handler export)`);
    const log = this.#options.logger.child({ component: name, digest: component.digest.slice(0, 12) });
    const supervisor = new Supervisor(component, {
      linker: linkerSpec(closedGrants(name)),
      output: loggerOutput(log),
      onNotify: (message) => logNotification(log, message),
    });
    this.#members.push({ name, supervisor, handle });
    this.#members.sort((a, b) => (a.name < b.name ? -1 : 1));
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
        const outcome = await member.supervisor.call(member.handle, [event], { timeoutMs: this.#options.timeoutMs });
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
    await Promise.all(this.#members.map((m) => m.supervisor.dispose()));
  }
}

function logNotification(log: Logger, message: NotifyMessage): void {
  if (message.topic === 'log') {
    const { level, message: text, fields } = message.payload as GuestLogLine;
    const entry = { guest: { level, message: String(text).slice(0, 8192), fields: Object.fromEntries(fields.slice(0, 64)) } };
    if (level === 'error') log.error(entry, 'guest log');
    else if (level === 'warn') log.warn(entry, 'guest log');
    else if (level === 'info') log.info(entry, 'guest log');
    else log.debug(entry, 'guest log');
  } else {
    log.debug({ guest: { topic: message.topic } }, 'guest notification');
  }
}

