/**
 * The sandbox workers of this process and the placement rule (see docs/sandbox.md).
 *
 * - `inline`: on the calling (main) thread itself, no thread hop per call (see `InlineSandbox`);
 *   like `shared`, only for components whose guest checks the deadline flag and whose grants
 *   cannot block the thread.
 * - `shared`: a small set of workers (default: the number of cores; `WorkerPool` options, or
 *   the host config's `sandbox.workers` through `configureDefaultWorkerPool`, change it) each hosting many instances of many components. A new
 *   instance goes to a new shared worker while there are fewer than the maximum and every one
 *   has instances, else to the one with the fewest instances. Only a component whose guest checks
 *   the deadline flag may share (the deadline then stops it without touching its neighbours).
 * - `worker`: a dedicated worker for one instance, ended with it: components that can block their
 *   thread (filesystem preopens, outgoing HTTP), components without deadline checks, and those
 *   whose limits ask for it (`limits.isolation: "worker"`).
 */
import { availableParallelism } from 'node:os';
import { InlineSandbox } from './inline-sandbox.js';
import { type Sandbox, SandboxWorker } from './sandbox-worker.js';

/** Where an instance runs: on the main thread, in a worker shared with other instances, or in its own. */
export type Isolation = 'inline' | 'shared' | 'worker';

/** The placements a pool may give an instance that asks for none (`WorkerPoolOptions.isolation`). */
export type DefaultIsolation = 'inline' | 'shared';

/** Settings of a worker pool. */
export interface WorkerPoolOptions {
  /** Most shared workers; default: the number of cores. */
  readonly sharedWorkers?: number;
  /**
   * After a call's deadline, how long its guest may take to stop at a deadline check before its
   * worker is terminated (and its neighbours with it), ms. Default 1000.
   */
  readonly graceMs?: number;
  /**
   * Where an instance that asks for no isolation goes (`InstanceOptions.isolation` absent; a
   * component whose limits say `auto`), when its guest checks the deadline flag. Default `shared`.
   */
  readonly isolation?: DefaultIsolation;
}

/** Defaults: 1 s of grace after a deadline; instances that ask for nothing share workers. */
export const WORKER_POOL_DEFAULTS = Object.freeze({ graceMs: 1000, isolation: 'shared' as DefaultIsolation });

function defaultSharedWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** Places instances on sandbox workers. */
export class WorkerPool {
  readonly #max: number;
  readonly #graceMs: number;
  readonly #shared: SandboxWorker[] = [];
  readonly #isolation: DefaultIsolation;
  #inline: InlineSandbox | undefined;
  #spawned = 0;

  constructor(options: WorkerPoolOptions = {}) {
    this.#max = options.sharedWorkers ?? defaultSharedWorkers();
    this.#graceMs = options.graceMs ?? WORKER_POOL_DEFAULTS.graceMs;
    this.#isolation = options.isolation ?? WORKER_POOL_DEFAULTS.isolation;
  }

  /**
   * The sandbox a new instance goes to. The caller has already sent components that may not
   * share a thread (no deadline checks, blocking grants) to `worker`.
   *
   * @param isolation - `worker`: a new dedicated worker; `inline`: the main thread; `shared`: a
   *   shared worker; undefined: the pool's default (`WorkerPoolOptions.isolation`)
   * @param stdio - a dedicated worker's own stdout/stderr go here
   */
  place(isolation: Isolation | undefined, name: string, stdio?: { stdout(chunk: Buffer): void; stderr(chunk: Buffer): void }): Sandbox {
    const where = isolation ?? this.#isolation;
    if (where === 'inline') {
      this.#inline ??= new InlineSandbox();
      return this.#inline;
    }
    if (where === 'worker') {
      return new SandboxWorker(true, { name: `lnano-guest-${name}`, graceMs: this.#graceMs, stdio });
    }
    const live = this.#shared.filter((w) => w.alive);
    if (live.length < this.#max && live.every((w) => w.size > 0)) {
      const worker = new SandboxWorker(false, {
        name: `lnano-sandbox-${++this.#spawned}`,
        graceMs: this.#graceMs,
        onExit: (gone) => this.#shared.splice(this.#shared.indexOf(gone) >>> 0, 1),
      });
      this.#shared.push(worker);
      return worker;
    }
    return live.reduce((a, b) => (b.size < a.size ? b : a));
  }

  /** What the pool holds: shared workers and the instances in them, and inline instances. */
  stats(): { sharedWorkers: number; sharedInstances: number; inlineInstances: number } {
    const live = this.#shared.filter((w) => w.alive);
    return { sharedWorkers: live.length, sharedInstances: live.reduce((n, w) => n + w.size, 0), inlineInstances: this.#inline?.size ?? 0 };
  }

  /** Terminates every shared worker and drops the inline instances (they are lost). */
  async close(): Promise<void> {
    const inline = this.#inline;
    this.#inline = undefined;
    await Promise.all([...this.#shared.splice(0).map((w) => w.terminate('the sandbox was closed')), inline?.terminate()]);
  }
}

let processPool: WorkerPool | undefined;

/**
 * Sets up the process's worker pool (`lnano serve` does, from the host config) before any
 * instance starts. @throws Error when instances already run on the default pool
 */
export function configureDefaultWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const used = processPool?.stats();
  if (used && (used.sharedWorkers > 0 || used.inlineInstances > 0)) throw new Error('the sandbox worker pool is already in use');
  processPool = new WorkerPool(options);
  return processPool;
}

/** The process's worker pool, used by instances started without one. */
export function defaultWorkerPool(): WorkerPool {
  processPool ??= new WorkerPool();
  return processPool;
}
