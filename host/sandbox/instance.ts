import type { Context } from '@opentelemetry/api';
import type { Component } from '../engine/component.js';
import { type CallableExport, unversionedName } from '../engine/component.js';
import { LnError } from '../errors/ln-error.js';
import { emitHostCallSpans, tracedContext, traceparentOf } from './host-call-tracing.js';
import type { IncomingHttpCall } from './incoming-http-types.js';
import type { DropSummary, OutputRate } from './output-gate.js';
import type { CallMessage, HostCallLimit, InitMessage, LinkerSpec, NotifyMessage, WorkerToHost } from './protocol.js';
import type { GuestEndpoint, Sandbox, SandboxJob, WorkerLoss } from './sandbox-worker.js';
import { payloadBytes, type Usage, usageDetails } from './usage.js';
import { defaultWorkerPool, type Isolation, type WorkerPool } from './worker-pool.js';

/**
 * Where a guest's stdout/stderr bytes go. Each chunk arrives in the order the guest wrote it, and
 * everything the guest wrote before a call's result (or its exit, trap or stop) arrives before
 * that call settles.
 */
export interface GuestOutput {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /**
   * The rate limit applied inside the worker, before the bytes cross to this thread: past it,
   * whole lines are dropped and counted (`usage.outputDropped`, `onDropped`). Absent: unlimited,
   * every byte arrives as written.
   */
  readonly rate?: OutputRate;
  /** Receives the drop summaries of a rate-limited output, at most one per interval (and a last one when the instance ends). */
  onDropped?(summary: DropSummary): void;
}

/** Settings of one instance. Every default is in `INSTANCE_DEFAULTS`. */
export interface InstanceOptions {
  /** Builds the instance's imports inside the worker (see `capabilities/`). */
  readonly linker: LinkerSpec;
  /** Receives the guest's stdout and stderr; default: discarded. */
  readonly output?: GuestOutput;
  /** Receives host-interface notifications (guest log lines, metrics, emitted events). */
  readonly onNotify?: (message: NotifyMessage) => void;
  /** Wall-clock limit for instantiation, ms. */
  readonly startTimeoutMs?: number;
  /** Default fuel budget of each call (see `CallOptions.fuel`). */
  readonly fuel?: number;
  /** Default input limit of each call (see `CallOptions.maxInputBytes`). */
  readonly maxInputBytes?: number;
  /** Default output limit of each call (see `CallOptions.maxOutputBytes`). */
  readonly maxOutputBytes?: number;
  /**
   * Where the instance runs, when the component was loaded with deadline checks
   * (`meterOptions({ deadline: true })`; without them it always gets its own worker):
   * `inline`: on the main thread (no thread hop per call; a call stalls the event loop while it
   * runs); `shared`: a sandbox worker shared with other instances; `worker`: its own worker
   * (components that may block their thread). Absent: the worker pool's default
   * (`WorkerPoolOptions.isolation`, `shared` unless configured). See docs/sandbox.md.
   */
  readonly isolation?: Isolation;
  /** The workers to place the instance on; default: the process's (`defaultWorkerPool()`). */
  readonly workers?: WorkerPool;
}

/** Options of one call; each overrides the instance's default of the same name. */
export interface CallOptions {
  /**
   * Wall-clock deadline of the call, ms: when it passes, the guest stops at its next deadline
   * check (`LN_ERR_BUDGET_TIME`, only this instance dies), or its worker is terminated after the
   * grace period (see `WorkerPoolOptions.graceMs`). Default: none.
   */
  readonly timeoutMs?: number;
  /**
   * Instructions the call may run. Needs a component loaded with fuel metering
   * (`engine.load(bytes, subject, { meter: meterOptions({ fuel: true }) })`); running out is
   * `LN_ERR_BUDGET_FUEL` and kills the instance. Default: unlimited; a fuel-metered component
   * still reports `usage.fuelUsed`.
   */
  readonly fuel?: number;
  /**
   * Largest argument payload (estimated bytes, see `payloadBytes`): a larger one is refused with
   * `LN_ERR_BUDGET_PAYLOAD` before it is sent to the worker, and the instance stays alive.
   * Default: no limit.
   */
  readonly maxInputBytes?: number;
  /**
   * Largest result (estimated bytes): a larger one is replaced by `LN_ERR_BUDGET_PAYLOAD` in the
   * worker, before it is sent back; the instance stays alive. Default: no limit.
   */
  readonly maxOutputBytes?: number;
  /**
   * Caps on host calls of a kind during this call (e.g. `{ emit: { max: 3, reason: '…' } }`):
   * the host interface refuses calls past `max` with `reason`. Default: none.
   */
  readonly hostCallLimits?: Readonly<Record<string, HostCallLimit>>;
  /**
   * Receives the notifications the guest sends while this call runs (after the instance's own
   * `onNotify`): an instance runs one call at a time, so they belong to this call.
   */
  readonly onNotify?: (message: NotifyMessage) => void;
  /**
   * Makes this a `wasi:http/incoming-handler#handle` call for this request: the worker makes the
   * request and response-outparam resources (pass no `args`). See `server/http-routes/`.
   */
  readonly http?: IncomingHttpCall;
}

/** A call that returned. `errResult` marks a WIT `result` export that returned `err(value)`. */
export interface CallOutcome {
  readonly value: unknown;
  readonly errResult: boolean;
  /** Same as `usage.durationMs`. */
  readonly durationMs: number;
  /** What the call cost: time, fuel, memory, host calls, payload sizes. */
  readonly usage: Usage;
}

/** Defaults: instantiation must finish within 30 s. */
export const INSTANCE_DEFAULTS = Object.freeze({ startTimeoutMs: 30_000 });

/**
 * A call waiting for (or running in) its sandbox: also the job handed to the sandbox, so a call
 * costs one object there instead of a job and two closures.
 */
class Pending implements SandboxJob {
  started = 0;
  constructor(
    readonly resolve: (outcome: CallOutcome) => void,
    readonly reject: (err: LnError) => void,
    readonly timeoutMs: number | undefined,
    readonly bytesIn: number,
    readonly message: CallMessage,
    readonly onNotify: ((message: NotifyMessage) => void) | undefined,
    /** The trace context of a traced call (its host calls become child spans). */
    readonly traced: Context | undefined,
    /** The instance's handler of a call whose arguments cannot be posted. */
    readonly postFailed: (pending: Pending, err: Error) => void,
  ) {}

  /** The job starts: the call's clock starts. */
  onStart(): void {
    this.started = performance.now();
  }

  onPostError(err: Error): void {
    this.postFailed(this, err);
  }
}

/**
 * One guest instance (a wasmtime `Store` + `Instance`), living in a sandbox worker that may host
 * many others, or inline on the main thread (see `WorkerPool` for the placement rule). An inline
 * call runs the guest before `call` returns; its promise settles the same way as a worker call's.
 *
 * Calls run one at a time in the order they are made. A trap, a guest `exit`, an uncaught error,
 * a passed deadline or a lost worker fails the call with a coded error and kills the instance
 * (`alive` turns false); the owner creates a new one. Its neighbours in the worker and the host
 * process are never affected, except when the worker itself is lost (a guest that did not stop
 * at its deadline): they fail with `LN_ERR_GUEST_CRASH`, reason "worker recycled (…)".
 */
export class Instance implements GuestEndpoint {
  readonly component: Component;
  readonly #worker: Sandbox;
  readonly #id: number;
  readonly #options: InstanceOptions;
  #defaults: Pick<InstanceOptions, 'fuel' | 'maxInputBytes' | 'maxOutputBytes'> = {};
  readonly #queue: Array<Pending> = [];
  #current: Pending | undefined;
  #nextId = 1;
  #dead: LnError | undefined;
  readonly #onDeath: Array<(reason: LnError) => void> = [];
  /** Settles the `init` job. */
  #starting: { resolve(): void; reject(err: LnError): void } | undefined;
  /** Settles the `dispose` job. */
  #disposed: (() => void) | undefined;
  /** Set once the instance left its worker (or the worker was lost). */
  #leaving: Promise<void> | undefined;

  private constructor(component: Component, options: InstanceOptions) {
    this.component = component;
    this.#options = options;
    const preemptible = component.meter?.deadline === true;
    const isolation: Isolation | undefined = preemptible ? options.isolation : 'worker';
    const output = options.output;
    this.#worker = (options.workers ?? defaultWorkerPool()).place(isolation, component.digest.slice(0, 12), {
      stdout: (c) => output?.stdout(c),
      stderr: (c) => output?.stderr(c),
    });
    this.#id = this.#worker.attach(this, preemptible);
  }

  /**
   * Places the instance on a sandbox worker and instantiates the component there.
   *
   * @throws LnError `LN_ERR_LINK_IMPORT_MISSING`, `LN_ERR_GUEST_INIT`, `LN_ERR_BUDGET_TIME` (start timeout)
   */
  static async start(component: Component, options: InstanceOptions): Promise<Instance> {
    const instance = new Instance(component, options);
    instance.#defaults = { fuel: options.fuel, maxInputBytes: options.maxInputBytes, maxOutputBytes: options.maxOutputBytes };
    const init: InitMessage = {
      type: 'init',
      instance: instance.#id,
      subject: component.digest.slice(0, 12),
      bindings: component.bindings,
      modules: [...component.modules],
      requiredImports: [...new Set(component.shape.imports.filter((i) => i.kind === 'interface' || i.kind === 'function').map((i) => unversionedName(i.name)))],
      linker: options.linker,
      meter: component.meter,
      outputRate: options.output?.rate ?? null,
    };
    const timeoutMs = options.startTimeoutMs ?? INSTANCE_DEFAULTS.startTimeoutMs;
    try {
      await new Promise<void>((resolve, reject) => {
        instance.#starting = { resolve, reject };
        instance.#worker.submit({ message: init, timeoutMs });
      });
    } catch (err) {
      await instance.#leave(true);
      throw err;
    }
    return instance;
  }

  /** Whether the instance can take calls. */
  get alive(): boolean {
    return this.#dead === undefined;
  }

  /** Registers a callback for when the instance dies (poisoned, crashed or disposed). */
  onDeath(callback: (reason: LnError) => void): void {
    if (this.#dead) callback(this.#dead);
    else this.#onDeath.push(callback);
  }

  /**
   * Calls an export.
   *
   * A failure from the worker carries the call's usage in its details (`durationMs`, `fuelUsed`,
   * `peakMemoryBytes`, `hostCalls`, `bytesIn`, `bytesOut`).
   *
   * @throws LnError the guest's failure (`LN_ERR_GUEST_*`), `LN_ERR_BUDGET_TIME`,
   *   `LN_ERR_BUDGET_FUEL` (the instance dies), `LN_ERR_BUDGET_MEMORY` (a grow the memory cap
   *   refused, then a failure: the instance dies), `LN_ERR_BUDGET_PAYLOAD` (the instance lives),
   *   `LN_ERR_CONFIG_INVALID` for a `fuel` the component cannot meter, or `LN_ERR_GUEST_CRASH`
   *   when the instance is already dead or its worker was lost
   */
  call(target: Pick<CallableExport, 'name' | 'path'>, args: readonly unknown[], options: CallOptions = {}): Promise<CallOutcome> {
    if (this.#dead) return Promise.reject(this.#deadError(target.name));
    const fuel = options.fuel ?? this.#defaults.fuel ?? null;
    if (fuel !== null && (!Number.isSafeInteger(fuel) || fuel <= 0 || !this.component.meter?.fuel)) {
      return Promise.reject(
        new LnError('LN_ERR_CONFIG_INVALID', {
          key: 'fuel',
          source: `call to ${target.name}`,
          reason: this.component.meter?.fuel
            ? `${fuel} is not a positive whole number of instructions`
            : 'the component was loaded without fuel metering (engine.load with meter: { fuel: true })',
        }),
      );
    }
    const maxInput = options.maxInputBytes ?? this.#defaults.maxInputBytes;
    const bytesIn = payloadBytes(args, maxInput);
    if (maxInput !== undefined && bytesIn > maxInput) {
      return Promise.reject(new LnError('LN_ERR_BUDGET_PAYLOAD', { direction: 'input', call: target.name, size: bytesIn, limit: maxInput }));
    }
    const traced = tracedContext();
    return new Promise<CallOutcome>((resolve, reject) => {
      const message: CallMessage = {
        type: 'call',
        instance: this.#id,
        id: this.#nextId++,
        name: target.name,
        path: target.path,
        args: [...args],
        fuel,
        maxOutputBytes: options.maxOutputBytes ?? this.#defaults.maxOutputBytes ?? null,
        hostCallLimits: options.hostCallLimits ?? null,
        ...(traced ? { trace: true, traceparent: traceparentOf(traced) } : {}),
        ...(options.http ? { http: options.http } : {}),
      };
      this.#queue.push(new Pending(resolve, reject, options.timeoutMs, bytesIn, message, options.onNotify, traced, this.#postFailed));
      this.#pump();
    });
  }

  /**
   * Drops the instance and waits until everything the guest wrote to stdout/stderr was delivered.
   * Calls still queued or running fail with `LN_ERR_GUEST_CRASH`; a running one is stopped like
   * one past its deadline (a dedicated worker is terminated).
   */
  async dispose(): Promise<void> {
    if (this.#current) this.#worker.interrupt(this.#id);
    this.#fail(new LnError('LN_ERR_GUEST_CRASH', { call: '(none)', reason: 'the instance was disposed' }));
    await this.#leave(false);
  }

  /** Receives a message of this instance from its worker (see `GuestEndpoint`). */
  receive(message: WorkerToHost, expired: boolean): void {
    switch (message.type) {
      case 'ready':
        this.#starting?.resolve();
        this.#starting = undefined;
        break;
      case 'init-failed': {
        const err = expired
          ? new LnError('LN_ERR_BUDGET_TIME', { call: 'instantiate', timeoutMs: this.#options.startTimeoutMs ?? INSTANCE_DEFAULTS.startTimeoutMs })
          : LnError.fromJSON(message.error);
        this.#fail(err, undefined, true);
        this.#starting?.reject(err);
        this.#starting = undefined;
        break;
      }
      case 'disposed':
        this.#disposed?.();
        break;
      case 'result':
        if (message.notes) for (const note of message.notes) this.#notify(note);
        this.#settle(message, expired);
        break;
      case 'notify':
        this.#notify(message);
        break;
      case 'output':
        this.#options.output?.[message.stream](Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength));
        break;
      case 'output-dropped':
        this.#options.output?.onDropped?.(message.dropped);
        break;
    }
  }

  /** The worker is gone, and this instance with it (see `GuestEndpoint`). */
  lost(loss: WorkerLoss): void {
    this.#leaving ??= Promise.resolve();
    this.#disposed?.();
    const current = this.#current;
    const call = current?.message.name ?? (this.#starting ? 'instantiate' : '(none)');
    const err = loss.expired
      ? new LnError('LN_ERR_BUDGET_TIME', { call, timeoutMs: current?.timeoutMs ?? this.#options.startTimeoutMs ?? INSTANCE_DEFAULTS.startTimeoutMs })
      : new LnError('LN_ERR_GUEST_CRASH', { call, reason: loss.reason });
    this.#fail(err, current);
    this.#starting?.reject(err);
    this.#starting = undefined;
  }

  #notify(message: NotifyMessage): void {
    this.#options.onNotify?.(message);
    this.#current?.onNotify?.(message);
  }

  #pump(): void {
    if (this.#current || this.#dead) return;
    const next = this.#queue.shift();
    if (!next) return;
    this.#current = next;
    this.#worker.submit(next);
  }

  /** A call whose arguments cannot be posted (not cloneable) fails alone; the next one goes. */
  readonly #postFailed = (pending: Pending, err: Error): void => {
    this.#current = undefined;
    pending.reject(new LnError('LN_ERR_CONFIG_INVOKE', { expr: pending.message.name, reason: `arguments cannot be sent: ${err.message}` }));
    this.#pump();
  };

  #settle(message: Extract<WorkerToHost, { type: 'result' }>, expired: boolean): void {
    const current = this.#current;
    if (!current || current.message.id !== message.id) return;
    this.#current = undefined;
    const durationMs = performance.now() - current.started;
    const measured = message.usage;
    if (measured.hostSpans && current.traced) emitHostCallSpans(current.traced, measured.hostSpans);
    // Built without spreads or rest: an inline call's whole budget is microseconds.
    const usage: { -readonly [K in keyof Usage]: Usage[K] } = {
      durationMs,
      fuelUsed: measured.fuelUsed,
      peakMemoryBytes: measured.peakMemoryBytes,
      hostCalls: measured.hostCalls,
      bytesIn: current.bytesIn,
      bytesOut: measured.bytesOut,
    };
    if (measured.outputDropped !== undefined) usage.outputDropped = measured.outputDropped;
    if (expired) {
      // Past its deadline: the guest was stopped at a deadline check (or finished just then).
      const err = new LnError('LN_ERR_BUDGET_TIME', { call: current.message.name, timeoutMs: current.timeoutMs ?? null, ...usageDetails(usage) });
      this.#fail(err, current, !message.ok && message.poisoned);
      return;
    }
    if (message.ok) {
      current.resolve({ value: message.value, errResult: message.errResult, durationMs, usage });
    } else {
      const sent = LnError.fromJSON(message.error);
      const err = new LnError(sent.code, { ...sent.details, ...usageDetails(usage) });
      if (message.poisoned) {
        this.#fail(err, current, true);
        return;
      }
      current.reject(err);
    }
    this.#pump();
  }

  /**
   * Marks the instance dead: the failing call gets `reason`, everything queued (and a call still
   * running, e.g. at `dispose`) a crash error. The instance then leaves its worker: `forgotten`
   * says the worker dropped it already (a poisoning failure).
   */
  #fail(reason: LnError, failing?: Pending, forgotten = false): void {
    if (this.#dead) return;
    this.#dead = reason;
    const rest = [...(this.#current && this.#current !== failing ? [this.#current] : []), ...this.#queue.splice(0)];
    this.#current = undefined;
    for (const cb of this.#onDeath.splice(0)) cb(reason);
    failing?.reject(reason);
    for (const p of rest) p.reject(this.#deadError(p.message.name));
    if (!this.#starting) void this.#leave(forgotten);
  }

  /**
   * Removes the instance from its worker: a dedicated worker is terminated (which also stops a
   * call still running); in a shared one a `dispose` job drops its bindings (after a running call).
   * Resolves when everything the guest wrote was delivered.
   */
  #leave(forgotten: boolean): Promise<void> {
    this.#leaving ??= (async () => {
      if (!forgotten && !this.#worker.dedicated) {
        await new Promise<void>((resolve) => {
          this.#disposed = resolve;
          this.#worker.submit({ message: { type: 'dispose', instance: this.#id } });
        });
      }
      this.#worker.detach(this.#id);
      if (this.#worker.dedicated) await this.#worker.terminate('the instance was disposed');
    })();
    return this.#leaving;
  }

  #deadError(call: string): LnError {
    return new LnError('LN_ERR_GUEST_CRASH', { call, reason: `the instance is gone (${this.#dead?.code ?? 'disposed'})` });
  }
}
