/**
 * Inline instances: guests that run on the main thread itself, with no thread hop per call (see
 * docs/sandbox.md, "Inline instances").
 *
 * The instance's jco bindings, import object (built by its linker, as in a worker) and output gate
 * live in this thread's `GuestHost`; a call runs the guest directly, to its end, inside `submit`.
 * Its answers reach the instance exactly as a worker's messages would (`GuestEndpoint.receive`),
 * so `Instance` keeps one code path and the same result, usage, notes and error semantics.
 *
 * Preemption is the instrumented deadline check: the `Watchdog` thread sets the flag when the
 * running call's deadline passes, the guest unwinds at its next check (`LN_ERR_BUDGET_TIME`) and
 * only that instance is dropped. There is no thread to terminate: a guest stuck in a host call, or
 * one that swallows the deadline error, cannot be stopped, so only components with deadline checks
 * and no blocking grants may go inline (`WorkerPool.place`), and a call stalls this thread's event
 * loop for as long as it runs.
 */
import { LnError, toLnError } from '../errors/ln-error.js';
import { GuestHost } from './guest-host.js';
import type { CallMessage, InitMessage, ResultMessage, WorkerToHost } from './protocol.js';
import type { GuestEndpoint, Sandbox, SandboxJob } from './sandbox-worker.js';
import { Watchdog, type WatchdogOptions } from './watchdog.js';

export class InlineSandbox implements Sandbox {
  readonly dedicated = false;
  readonly #watchdog: Watchdog;
  readonly #host: GuestHost;
  readonly #guests = new Map<number, GuestEndpoint>();
  #nextId = 1;
  /** Instantiations run one after the other (their synchronous parts are watched). */
  #inits: Promise<void> = Promise.resolve();
  /** The running instantiation's deadline, `performance.now()` ms. */
  #initDeadline = Number.POSITIVE_INFINITY;
  /** A call is running: jobs submitted meanwhile (from inside a host call's callback) wait for it. */
  #busy = false;
  readonly #deferred: SandboxJob[] = [];

  constructor(options: WatchdogOptions = {}) {
    this.#watchdog = new Watchdog(options);
    this.#host = new GuestHost({
      deadlineFlag: this.#watchdog.flag,
      post: (message) => this.#deliver(message, false),
      instantiateCore: (module, imports) => this.#instantiate(module, imports),
    });
  }

  /** Instances living here. */
  get size(): number {
    return this.#guests.size;
  }

  attach(endpoint: GuestEndpoint): number {
    const id = this.#nextId++;
    this.#guests.set(id, endpoint);
    return id;
  }

  detach(id: number): void {
    this.#guests.delete(id);
  }

  /** Runs the job: a call to its end before this returns, an instantiation in the background. */
  submit(job: SandboxJob): void {
    if (this.#busy) {
      this.#deferred.push(job);
      return;
    }
    const message = job.message;
    if (message.type === 'call') {
      this.#call(job, message);
    } else if (message.type === 'init') {
      this.#inits = this.#inits.then(() => this.#init(message, job.timeoutMs));
    } else {
      this.#host.forget(message.instance);
      this.#deliver({ type: 'disposed', instance: message.instance }, false);
    }
  }

  /** Nothing to do: no call of this thread can be running while other code runs. */
  interrupt(): void {}

  /** Drops every instance (they are lost) and ends the watchdog thread. */
  async terminate(reason = 'the sandbox was closed'): Promise<void> {
    const guests = [...this.#guests];
    this.#guests.clear();
    for (const [id, endpoint] of guests) {
      this.#host.forget(id);
      endpoint.lost({ culprit: false, expired: false, reason });
    }
    await this.#watchdog.close();
  }

  #call(job: SandboxJob, message: CallMessage): void {
    job.onStart?.();
    const armed = job.timeoutMs !== undefined;
    this.#busy = true;
    let result: ResultMessage;
    let expired = false;
    try {
      if (armed) this.#watchdog.arm(job.timeoutMs!, performance.now());
      result = this.#host.call(message);
    } finally {
      if (armed) expired = this.#watchdog.disarm();
      this.#busy = false;
    }
    this.#deliver(result, expired);
    const deferred = this.#deferred.splice(0);
    for (const next of deferred) this.submit(next);
  }

  async #init(message: InitMessage, timeoutMs: number | undefined): Promise<void> {
    this.#initDeadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
    try {
      // The watchdog thread starts while the instance is built (its own thread comes up even while
      // this one is busy, and watches an armed instantiation from then on); no instance is ready
      // before it runs, so its first call is already watched.
      const watching = this.#watchdog.start();
      await this.#host.init(message);
      await watching;
      this.#deliver({ type: 'ready', instance: message.instance }, false);
    } catch (err) {
      this.#deliver({ type: 'init-failed', instance: message.instance, error: toLnError(err).toJSON() }, false);
    } finally {
      this.#initDeadline = Number.POSITIVE_INFINITY;
    }
  }

  /**
   * Instantiates a core module synchronously under the watchdog, so a start function that spins
   * is stopped at the instantiation's deadline.
   */
  async #instantiate(module: WebAssembly.Module, imports: WebAssembly.Imports): Promise<WebAssembly.Instance> {
    const remaining = this.#initDeadline - performance.now();
    if (remaining <= 0) throw new LnError('LN_ERR_BUDGET_TIME', { call: 'instantiate', timeoutMs: null });
    const armed = Number.isFinite(remaining);
    if (armed) this.#watchdog.arm(remaining);
    let instance: WebAssembly.Instance | undefined;
    let failure: unknown;
    try {
      instance = new WebAssembly.Instance(module, imports);
    } catch (err) {
      failure = err;
    }
    if (armed && this.#watchdog.disarm()) throw new LnError('LN_ERR_BUDGET_TIME', { call: 'instantiate', timeoutMs: null }, { cause: failure });
    if (!instance) throw failure;
    return instance;
  }

  #deliver(message: WorkerToHost, expired: boolean): void {
    const endpoint = this.#guests.get(message.instance ?? 0);
    if (!endpoint) return;
    if (message.type === 'output') {
      // The gate's bytes may be reused by the guest's next write: the worker's postMessage copied them.
      endpoint.receive({ ...message, bytes: Uint8Array.prototype.slice.call(message.bytes) }, false);
      return;
    }
    endpoint.receive(message, expired);
  }
}
