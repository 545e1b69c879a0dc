/**
 * The plugins the runtime routes to: those a `PluginSource` serves (the version manager's deployed
 * plugins) plus those an embedder registers itself. Names are unique across both; the delivery
 * order is manifest priority (higher first), then name.
 */
import { z } from 'zod';
import type { PluginEvent } from '../engine/plugin-event.js';
import { LnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import type { CallOptions } from '../sandbox/instance.js';
import { anyPatternMatches } from '../support/event-pattern.js';
import { describeIssues } from '../support/schema.js';
import type { PluginCallOutcome } from '../versions/version-manager.js';

/** How a plugin is described for routing. */
export interface PluginRoute {
  readonly name: string;
  readonly version: string;
  /** Event type patterns (`sensor.*`, `*`). */
  readonly events: readonly string[];
  /** Higher is called first. */
  readonly priority: number;
}

/** Where deployed plugins come from (`VersionManager` is one). */
export interface PluginSource {
  plugins(): PluginRoute[];
  /**
   * A number that changes whenever `plugins()` would answer differently (a deploy, promote,
   * rollback, removal). With it the runtime caches its routes per event type; without it they are
   * worked out for every event.
   */
  revision?(): number;
  /** @throws LnError when the name does not serve (e.g. `LN_ERR_VERSION_STATE`) */
  call(name: string, event: PluginEvent, options: CallOptions): Promise<PluginCallOutcome>;
}

/**
 * A plugin an embedder registers directly. `handle` should pass `options` on to its instance
 * (deadline, `hostCallLimits`, `onNotify`: that is how emitted events reach the runtime), and
 * report failures as `{ ok: false }` outcomes.
 */
export interface RuntimePlugin extends PluginRoute {
  handle(event: PluginEvent, options: CallOptions): Promise<PluginCallOutcome>;
}

const pluginSchema = z.object({
  name: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lowercase letters, digits, ".", "_" or "-"'),
  version: z.string().min(1).max(80),
  events: z.array(z.string().min(1).max(256)).max(256),
  priority: z.number().int().min(-1000).max(1000),
  handle: z.custom<RuntimePlugin['handle']>((v) => typeof v === 'function', 'must be a function'),
});

/** A plugin to call: its route and how to call it. */
export interface RoutedPlugin extends PluginRoute {
  call(event: PluginEvent, options: CallOptions): Promise<PluginCallOutcome>;
}

/** Event types whose matching plugins are kept; past it the oldest type is forgotten. */
export const MAX_CACHED_EVENT_TYPES = 1024;

export class PluginSet {
  readonly #source: PluginSource | undefined;
  readonly #registered = new Map<string, RuntimePlugin>();
  readonly #log: Logger;
  /** Names already warned about (a deployed name that a registered plugin shadows). */
  readonly #warned = new Set<string>();
  /** Per event type, its plugins in delivery order; valid while the source's revision is `#cachedAt`. */
  readonly #matches = new Map<string, RoutedPlugin[]>();
  #ordered: RoutedPlugin[] | null = null;
  #cachedAt: number | undefined;

  constructor(source: PluginSource | undefined, logger: Logger) {
    this.#source = source;
    this.#log = logger;
  }

  /**
   * Adds an embedder's plugin; returns the function that removes it.
   *
   * @throws LnError `LN_ERR_EVENT_DUPLICATE_PLUGIN` when the name is registered or deployed
   *   already, `LN_ERR_CONFIG_INVALID` for a malformed plugin
   */
  register(plugin: RuntimePlugin): () => void {
    const parsed = pluginSchema.safeParse(plugin);
    if (!parsed.success)
      throw new LnError('LN_ERR_CONFIG_INVALID', { key: 'plugin', source: 'runtime.register', reason: describeIssues(parsed.error, '', { max: 3 }) });
    const { name } = plugin;
    if (this.#registered.has(name)) throw new LnError('LN_ERR_EVENT_DUPLICATE_PLUGIN', { name, where: 'registered with runtime.register' });
    if (this.#source?.plugins().some((p) => p.name === name)) throw new LnError('LN_ERR_EVENT_DUPLICATE_PLUGIN', { name, where: 'deployed' });
    const frozen: RuntimePlugin = Object.freeze({
      name,
      version: plugin.version,
      events: Object.freeze([...plugin.events]),
      priority: plugin.priority,
      handle: plugin.handle.bind(plugin),
    });
    this.#registered.set(name, frozen);
    this.#forget();
    return () => {
      if (this.#registered.get(name) === frozen) this.#registered.delete(name);
      this.#forget();
    };
  }

  /** Every plugin in delivery order: priority (higher first), then name. */
  ordered(): readonly RoutedPlugin[] {
    this.#revalidate();
    this.#ordered ??= this.#order();
    return this.#ordered;
  }

  #order(): RoutedPlugin[] {
    const out: RoutedPlugin[] = [];
    const source = this.#source;
    for (const p of source?.plugins() ?? []) {
      if (this.#registered.has(p.name)) {
        // Deployed after a plugin of the same name was registered: the registered one keeps the name.
        if (!this.#warned.has(p.name))
          this.#log.warn({ component: p.name }, 'a deployed plugin has the name of a registered one; the registered one gets its events');
        this.#warned.add(p.name);
        continue;
      }
      out.push({ ...p, call: (event, options) => source!.call(p.name, event, options) });
    }
    for (const p of this.#registered.values()) out.push({ ...p, call: (event, options) => p.handle(event, options) });
    return out.sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * The plugins whose patterns match `type`, in delivery order. Cached per type (at most
   * `MAX_CACHED_EVENT_TYPES`) until the plugins change: a register or its removal here, a new
   * `revision()` of the source. A source without `revision` is asked for every event.
   */
  matching(type: string): readonly RoutedPlugin[] {
    const ordered = this.ordered();
    let found = this.#matches.get(type);
    if (!found) {
      found = ordered.filter((p) => anyPatternMatches(p.events, type));
      if (this.#matches.size >= MAX_CACHED_EVENT_TYPES) this.#matches.delete(this.#matches.keys().next().value!);
      this.#matches.set(type, found);
    }
    return found;
  }

  /** Drops the cached routes when the source's plugins changed (or it cannot tell: NaN never equals itself). */
  #revalidate(): void {
    const revision = this.#source?.revision?.() ?? (this.#source ? Number.NaN : 0);
    if (revision !== this.#cachedAt) {
      this.#forget();
      this.#cachedAt = revision;
    }
  }

  #forget(): void {
    this.#matches.clear();
    this.#ordered = null;
    this.#cachedAt = undefined;
  }

  /** One plugin by name, or undefined. */
  find(name: string): RoutedPlugin | undefined {
    const registered = this.#registered.get(name);
    if (registered) return { ...registered, call: (event, options) => registered.handle(event, options) };
    const source = this.#source;
    const p = source?.plugins().find((q) => q.name === name);
    return p && source ? { ...p, call: (event, options) => source.call(p.name, event, options) } : undefined;
  }
}
