import type { CallableExport, Component } from '../engine/component.js';
import { Instance, type CallOptions, type CallOutcome, type InstanceOptions } from './instance.js';

/**
 * Keeps one live instance of a component and replaces it when it dies.
 *
 * A trap, an exit, a deadline or a crash kills only the instance that had it; the next call
 * starts a fresh one. The resource manager's pool (min warm, max) builds on this.
 */
export class Supervisor {
  readonly component: Component;
  readonly #options: InstanceOptions;
  #instance: Promise<Instance> | undefined;
  #disposed = false;
  /** How many instances this supervisor has started (1 + the number of replacements). */
  instancesStarted = 0;

  constructor(component: Component, options: InstanceOptions) {
    this.component = component;
    this.#options = options;
  }

  /** Calls an export on the live instance, starting one first if needed. */
  async call(target: Pick<CallableExport, 'name' | 'path'>, args: readonly unknown[], options?: CallOptions): Promise<CallOutcome> {
    const instance = await this.instance();
    return instance.call(target, args, options);
  }

  /** The live instance, started on demand. */
  instance(): Promise<Instance> {
    if (this.#disposed) return Promise.reject(new Error('supervisor disposed'));
    if (!this.#instance) {
      this.instancesStarted++;
      const starting = Instance.start(this.component, this.#options);
      this.#instance = starting;
      starting.then(
        (instance) => instance.onDeath(() => {
          if (this.#instance === starting) this.#instance = undefined;
        }),
        () => {
          if (this.#instance === starting) this.#instance = undefined;
        },
      );
    }
    return this.#instance;
  }

  /** Stops the live instance; further calls are refused. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    const current = this.#instance;
    this.#instance = undefined;
    if (current) await current.then((i) => i.dispose(), () => undefined);
  }
}
