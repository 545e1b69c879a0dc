/**
 * Delivers an event to every serving plugin whose `events` patterns match its type, one after
 * the other in a defined order: higher manifest `priority` first, then by name. A failing plugin
 * fails only its own entry. (The full LiquidNanoRuntime — follow-up events, pipelines — builds on
 * this.)
 */
import { toLnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import type { PluginEvent } from '../engine/plugin-event.js';
import type { PluginCallOutcome, VersionManager } from '../versions/version-manager.js';

/**
 * Whether an event type matches a manifest pattern: `*` matches anything (including dots),
 * other characters match themselves (`sensor.*` matches `sensor.reading` and `sensor.a.b`).
 */
export function eventTypeMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  let compiled = COMPILED.get(pattern);
  if (!compiled) {
    const parts = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
    compiled = new RegExp(`^${parts.join('.*')}$`);
    // Patterns come from manifests (at most 256 each): a bounded cache keeps every event from
    // compiling them again.
    if (COMPILED.size >= MAX_COMPILED) COMPILED.clear();
    COMPILED.set(pattern, compiled);
  }
  return compiled.test(type);
}

const COMPILED = new Map<string, RegExp>();
const MAX_COMPILED = 4096;

export class EventRouter {
  readonly #manager: VersionManager;
  readonly #log: Logger;

  constructor(manager: VersionManager, logger: Logger) {
    this.#manager = manager;
    this.#log = logger;
  }

  /** The serving plugins in delivery order. */
  get names(): string[] {
    return this.#ordered().map((p) => p.name);
  }

  #ordered(): ReturnType<VersionManager['plugins']> {
    return [...this.#manager.plugins()].sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Delivers `event` to every matching plugin, sequentially; one outcome per plugin. */
  async dispatch(event: PluginEvent): Promise<PluginCallOutcome[]> {
    const outcomes: PluginCallOutcome[] = [];
    for (const plugin of this.#ordered()) {
      if (!plugin.events.some((p) => eventTypeMatches(p, event.type))) continue;
      try {
        outcomes.push(await this.#manager.call(plugin.name, event));
      } catch (err) {
        const error = toLnError(err);
        this.#log.warn({ component: plugin.name, code: error.code, err: error }, 'plugin call failed');
        outcomes.push({ plugin: plugin.name, version: plugin.version, ok: false, error: error.toJSON() });
      }
    }
    return outcomes;
  }
}
