/**
 * The instances of one component version: a pool with a minimum kept warm, at most
 * `limits.concurrency` of them (each runs one call at a time, so that is also the number of calls
 * in flight), and a bounded queue in front. A call that finds the queue full is refused at once
 * with `LN_ERR_BUDGET_CONCURRENCY` (HTTP 429) instead of piling up.
 *
 * An instance that dies (trap, exit, deadline, budget) is dropped; when the pool falls below its
 * minimum a replacement starts right away, so the next call finds a warm instance.
 */

import type { CallableExport, Component } from '../engine/component.js';
import { LnError, toLnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { type CallOptions, type CallOutcome, Instance, type InstanceOptions } from '../sandbox/instance.js';
import type { Limits } from './limits.js';
import { callBudgets } from './metering.js';

/** Settings of a pool. */
export interface PoolOptions {
  /** How each instance is started (its linker, output, notifications). */
  readonly instance: InstanceOptions;
  readonly limits: Limits;
  /** The component's name, for errors and logs. */
  readonly name: string;
  readonly logger?: Logger;
  /**
   * Runs on every new instance before it takes calls (warm-up, growth and replacements alike),
   * e.g. the plugin's `init` and restored state. A failure discards the instance.
   */
  readonly prepare?: (instance: Instance) => Promise<void>;
}

/** A snapshot of a pool, for status output and metrics. */
export interface PoolStats {
  readonly instances: number;
  readonly idle: number;
  readonly busy: number;
  readonly starting: number;
  readonly queued: number;
  /** Instances started since the pool was made (warm-up, growth and replacements). */
  readonly started: number;
  /** Instances that died (trap, exit, deadline, budget). */
  readonly died: number;
  /** Calls refused because the queue was full. */
  readonly refused: number;
}

interface Waiter {
  resolve(instance: Instance): void;
  reject(err: unknown): void;
}

/** Pause before restarting a warm instance after an instance failed to start. */
const RESTART_BACKOFF_MS = 1000;

export class InstancePool {
  readonly component: Component;
  readonly #options: PoolOptions;
  readonly #log: Logger;
  readonly #idle: Instance[] = [];
  readonly #busy = new Set<Instance>();
  readonly #queue: Waiter[] = [];
  #starting = 0;
  #started = 0;
  #died = 0;
  #refused = 0;
  #closed = false;
  #drained: Array<() => void> = [];
  #backoffUntil = 0;
  /** A parked pool keeps no warm instance (see `park`). */
  #parked = false;

  constructor(component: Component, options: PoolOptions) {
    this.component = component;
    this.#options = options;
    this.#log = options.logger ?? silentLogger();
  }

  get limits(): Limits {
    return this.#options.limits;
  }

  /** The warm minimum now: `limits.minInstances`, or 0 while parked. */
  get #minimum(): number {
    return this.#parked ? 0 : this.#options.limits.minInstances;
  }

  /**
   * Parks the pool (an idle standby version: a rollback target, the old side of a blue-green
   * swap): its idle instances are dropped and none is kept warm, so it costs only its compiled
   * modules. Calls still work: each grows the pool on demand (instantiation takes milliseconds).
   */
  async park(): Promise<void> {
    this.#parked = true;
    await Promise.all(this.#idle.splice(0).map((i) => i.dispose()));
  }

  /** Ends `park`: starts the warm minimum again. @throws LnError when an instance cannot start */
  unpark(): Promise<void> {
    this.#parked = false;
    return this.warm();
  }

  /** Starts instances up to the minimum; rejects if one fails to start. */
  async warm(): Promise<void> {
    const missing = this.#minimum - this.#idle.length - this.#busy.size - this.#starting;
    const started = await Promise.allSettled(Array.from({ length: Math.max(0, missing) }, () => this.#start()));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    for (const s of started) if (s.status === 'fulfilled') this.#release(s.value);
  }

  /**
   * Calls an export on a free instance, waiting in the queue if all are busy. The call gets the
   * pool's deadline and fuel unless `options` says otherwise; a deadline in `options` can only
   * shorten the pool's (a pipeline step's timeout never outlives the plugin's own limit).
   *
   * @throws LnError `LN_ERR_BUDGET_CONCURRENCY` when the queue is full, or what the call threw
   */
  call(target: Pick<CallableExport, 'name' | 'path'>, args: readonly unknown[], options: CallOptions = {}): Promise<CallOutcome> {
    // An idle instance is taken in this tick (no await before the call reaches it).
    const idle = this.#closed ? undefined : this.#idle.pop();
    if (idle) {
      this.#busy.add(idle);
      return this.#callOn(idle, target, args, options);
    }
    return this.#acquire().then((instance) => this.#callOn(instance, target, args, options));
  }

  /** Calls on an instance taken for this call; gives it back (or replaces it) after. */
  async #callOn(instance: Instance, target: Pick<CallableExport, 'name' | 'path'>, args: readonly unknown[], options: CallOptions): Promise<CallOutcome> {
    try {
      const limits = this.#options.limits;
      const timeoutMs =
        options.timeoutMs === undefined ? limits.timeoutMs : limits.timeoutMs === undefined ? options.timeoutMs : Math.min(options.timeoutMs, limits.timeoutMs);
      // A copy only when the deadline changes (assigned: a spread with more keys takes V8's slow path).
      let callOptions = options;
      if (timeoutMs !== options.timeoutMs) {
        callOptions = Object.assign({}, options);
        (callOptions as { timeoutMs?: number }).timeoutMs = timeoutMs;
      }
      return await instance.call(target, args, callOptions);
    } finally {
      this.#busy.delete(instance);
      if (instance.alive) this.#release(instance);
      else this.#dispatch();
    }
  }

  /** The pool's current state. */
  stats(): PoolStats {
    return {
      instances: this.#idle.length + this.#busy.size,
      idle: this.#idle.length,
      busy: this.#busy.size,
      starting: this.#starting,
      queued: this.#queue.length,
      started: this.#started,
      died: this.#died,
      refused: this.#refused,
    };
  }

  /** Resolves when no call is in flight or queued (new calls may still arrive). */
  drain(): Promise<void> {
    if (this.#busy.size === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Refuses new calls, fails queued ones, waits for in-flight calls, then stops every instance. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#queue.splice(0)) waiter.reject(this.#closedError());
    await this.drain();
    await Promise.all(this.#idle.splice(0).map((i) => i.dispose()));
  }

  #closedError(): LnError {
    return new LnError('LN_ERR_GUEST_CRASH', { call: '(queued)', reason: `the pool of ${this.#options.name} was closed` });
  }

  #acquire(): Promise<Instance> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const idle = this.#idle.pop();
    if (idle) {
      this.#busy.add(idle);
      return Promise.resolve(idle);
    }
    const { concurrency, queue } = this.#options.limits;
    if (this.#queue.length >= queue) {
      this.#refused++;
      return Promise.reject(new LnError('LN_ERR_BUDGET_CONCURRENCY', { component: this.#options.name, concurrency, queue }));
    }
    const waiting = new Promise<Instance>((resolve, reject) => this.#queue.push({ resolve, reject }));
    if (this.#busy.size + this.#starting < concurrency) this.#grow();
    return waiting;
  }

  /** Starts one more instance for the queue. */
  #grow(): void {
    this.#start().then(
      (instance) => this.#release(instance),
      (err: unknown) => {
        // The instance could not start: the oldest waiter gets the reason (it would fail the same way).
        this.#queue.shift()?.reject(err);
        this.#settleDrain();
      },
    );
  }

  async #start(): Promise<Instance> {
    this.#starting++;
    this.#started++;
    try {
      const instance = await Instance.start(this.component, { ...callBudgets(this.#options.limits), ...this.#options.instance });
      if (this.#options.prepare) {
        try {
          await this.#options.prepare(instance);
        } catch (err) {
          await instance.dispose();
          throw err;
        }
      }
      instance.onDeath((reason) => this.#onDeath(instance, reason));
      return instance;
    } catch (err) {
      this.#backoffUntil = performance.now() + RESTART_BACKOFF_MS;
      throw err;
    } finally {
      this.#starting--;
    }
  }

  /** An instance is free: give it to the oldest waiter, or keep it idle. */
  #release(instance: Instance): void {
    if (!instance.alive) return;
    if (this.#closed) {
      void instance.dispose();
      this.#settleDrain();
      return;
    }
    const waiter = this.#queue.shift();
    if (waiter) {
      this.#busy.add(instance);
      waiter.resolve(instance);
    } else {
      this.#idle.push(instance);
    }
    this.#settleDrain();
  }

  #onDeath(instance: Instance, reason: LnError): void {
    const idleAt = this.#idle.indexOf(instance);
    if (idleAt !== -1) this.#idle.splice(idleAt, 1);
    if (this.#closed) return;
    this.#died++;
    this.#log.warn({ component: this.#options.name, code: reason.code }, 'instance died; replacing it');
    this.#dispatch();
  }

  /** After an instance is gone: grow for waiters, or back up to the warm minimum. */
  #dispatch(): void {
    if (this.#closed) return;
    const total = this.#idle.length + this.#busy.size + this.#starting;
    if (this.#queue.length > 0 && this.#busy.size + this.#starting < this.#options.limits.concurrency) {
      this.#grow();
    } else if (total < this.#minimum) {
      const delay = Math.max(0, this.#backoffUntil - performance.now());
      setTimeout(() => {
        if (this.#closed) return;
        this.#start().then(
          (instance) => this.#release(instance),
          (err: unknown) => this.#log.error({ component: this.#options.name, err: toLnError(err) }, 'a warm instance failed to start'),
        );
      }, delay).unref();
    }
    this.#settleDrain();
  }

  #settleDrain(): void {
    if (this.#busy.size === 0 && this.#queue.length === 0) {
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  }
}
