/**
 * Hot reload of the host config file: on a change (or `reload()`, e.g. on SIGHUP) the config is
 * resolved again from the same environment and flags. Changed keys that are live (see
 * `CONFIG_KEYS`) apply at once and are announced to subscribers; changed keys that need a
 * restart are logged and keep their running value; an invalid file is logged with its coded
 * error and the running config stays.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { toLnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { KEYS_BY_NAME } from './config-keys.js';
import { buildConfig, type ConfigInputs, type HostConfig, type ResolvedConfig, resolveHostConfig } from './host-config.js';

/** What one reload changed. */
export interface ConfigChange {
  /** Live keys whose new value now applies. */
  readonly applied: readonly string[];
  /** Keys that changed in the file but keep their running value until a restart. */
  readonly needsRestart: readonly string[];
  readonly config: HostConfig;
}

/** Defaults: changes within 100 ms are read once. */
export const CONFIG_WATCH_DEFAULTS = Object.freeze({ debounceMs: 100 });

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export class ConfigWatcher {
  readonly #inputs: ConfigInputs;
  readonly #log: Logger;
  readonly #debounceMs: number;
  readonly #listeners = new Set<(change: ConfigChange) => void>();
  #current: ResolvedConfig;
  #watcher: FSWatcher | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(inputs: ConfigInputs, initial: ResolvedConfig, options: { logger: Logger; debounceMs?: number }) {
    this.#inputs = inputs;
    this.#current = initial;
    this.#log = options.logger;
    this.#debounceMs = options.debounceMs ?? CONFIG_WATCH_DEFAULTS.debounceMs;
  }

  /** The running config. */
  get current(): ResolvedConfig {
    return this.#current;
  }

  /** Calls `listener` after every reload that applied a live key; returns the unsubscribe function. */
  subscribe(listener: (change: ConfigChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Reads the config again and applies what can change live. Returns what changed, or null when
   * the new config is invalid (logged; the running config stays). Never throws.
   */
  reload(): ConfigChange | null {
    let next: ResolvedConfig;
    try {
      next = resolveHostConfig(this.#inputs);
    } catch (err) {
      const error = toLnError(err);
      this.#log.error({ code: error.code, err: error, file: this.#current.file }, 'config reload refused; the running config stays');
      return null;
    }
    const values = new Map(this.#current.values);
    const sources = new Map(this.#current.sources);
    const applied: string[] = [];
    const needsRestart: string[] = [];
    for (const [key, value] of next.values) {
      if (same(value, values.get(key))) continue;
      if (KEYS_BY_NAME.get(key)?.live) {
        values.set(key, value);
        sources.set(key, next.sources.get(key)!);
        applied.push(key);
      } else {
        needsRestart.push(key);
      }
    }
    if (needsRestart.length > 0) this.#log.warn({ keys: needsRestart, file: this.#current.file }, 'config change needs a restart');
    if (applied.length === 0) return { applied, needsRestart, config: this.#current.config };
    const config = buildConfig(values, this.#current.config.policy, this.#current.config.limitsPolicy);
    this.#current = { config, values, sources, file: this.#current.file };
    this.#log.info({ keys: applied, file: this.#current.file }, 'config reloaded');
    const change = { applied, needsRestart, config };
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        this.#log.error({ err: toLnError(err) }, 'a config listener failed');
      }
    }
    return change;
  }

  /** Watches the config file (its folder, so editors that replace the file are seen); no file: nothing to watch. */
  watch(): void {
    const file = this.#current.file;
    if (!file || this.#watcher) return;
    const name = basename(file);
    this.#watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.reload(), this.#debounceMs);
    });
    this.#watcher.on('error', (err) => this.#log.warn({ err, file }, 'cannot watch the config file; hot reload is off'));
  }

  /** Stops watching. */
  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = null;
  }
}
