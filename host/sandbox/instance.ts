import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import { LnError } from '../errors/ln-error.js';
import { compiledModuleUrl } from '../support/compiled-url.js';
import type { Component } from '../engine/component.js';
import { unversionedName, type CallableExport } from '../engine/component.js';
import type { DropSummary, OutputRate } from './output-gate.js';
import type { CallMessage, HostCallLimit, InitMessage, LinkerSpec, NotifyMessage, WorkerToHost } from './protocol.js';
import { payloadBytes, usageDetails, type Usage } from './usage.js';
import { emitHostCallSpans, tracedContext } from './host-call-tracing.js';
import type { Context } from '@opentelemetry/api';

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
}

/** Options of one call; each overrides the instance's default of the same name. */
export interface CallOptions {
  /** Wall-clock deadline of the call, ms; the worker is terminated when it passes. Default: none. */
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

const WORKER_ENTRY = compiledModuleUrl('./worker-main.js', import.meta.url);

interface Pending {
  resolve(outcome: CallOutcome): void;
  reject(err: LnError): void;
  started: number;
  timer: NodeJS.Timeout | undefined;
  readonly timeoutMs: number | undefined;
  readonly bytesIn: number;
  readonly message: CallMessage;
  readonly onNotify: ((message: NotifyMessage) => void) | undefined;
  /** The trace context of a traced call (its host calls become child spans). */
  readonly traced: Context | undefined;
}

/**
 * One guest instance, alone in its own worker thread (a wasmtime `Store` + `Instance`).
 *
 * Calls run one at a time in the order they are made. A trap, a guest `exit`, an uncaught error,
 * a passed deadline or a dead worker fails the call with a coded error and kills the instance
 * (`alive` turns false); the owner creates a new one. The host process is never affected.
 */
export class Instance {
  readonly component: Component;
  readonly #worker: Worker;
  #defaults: Pick<InstanceOptions, 'fuel' | 'maxInputBytes' | 'maxOutputBytes'> = {};
  readonly #queue: Array<Pending> = [];
  #current: Pending | undefined;
  #nextId = 1;
  #dead: LnError | undefined;
  readonly #onDeath: Array<(reason: LnError) => void> = [];
  #outputDrained: Promise<void> = Promise.resolve();

  private constructor(component: Component, worker: Worker) {
    this.component = component;
    this.#worker = worker;
  }

  /**
   * Starts a worker and instantiates the component in it.
   *
   * @throws LnError `LN_ERR_LINK_IMPORT_MISSING`, `LN_ERR_GUEST_INIT`, `LN_ERR_BUDGET_TIME` (start timeout)
   */
  static async start(component: Component, options: InstanceOptions): Promise<Instance> {
    const worker = new Worker(WORKER_ENTRY, {
      stdout: true,
      stderr: true,
      env: {},
      argv: [],
      execArgv: [],
      name: `lnano-guest-${component.digest.slice(0, 12)}`,
    });
    const output = options.output;
    const instance = new Instance(component, worker);
    instance.#outputDrained = Promise.all([
      pipeOutput(worker.stdout, (c) => output?.stdout(c)),
      pipeOutput(worker.stderr, (c) => output?.stderr(c)),
    ]).then(() => undefined);
    const init: InitMessage = {
      type: 'init',
      subject: component.digest.slice(0, 12),
      bindings: component.bindings,
      modules: [...component.modules],
      requiredImports: [...new Set(component.shape.imports.filter((i) => i.kind === 'interface' || i.kind === 'function').map((i) => unversionedName(i.name)))],
      linker: options.linker,
      meter: component.meter,
      outputRate: output?.rate ?? null,
    };
    instance.#defaults = { fuel: options.fuel, maxInputBytes: options.maxInputBytes, maxOutputBytes: options.maxOutputBytes };
    await instance.#initialize(init, options);
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
   * `memoryBytes`, `hostCalls`, `bytesIn`, `bytesOut`).
   *
   * @throws LnError the guest's failure (`LN_ERR_GUEST_*`), `LN_ERR_BUDGET_TIME`,
   *   `LN_ERR_BUDGET_FUEL` (the instance dies), `LN_ERR_BUDGET_MEMORY` (a grow the memory cap
   *   refused, then a failure: the instance dies), `LN_ERR_BUDGET_PAYLOAD` (the instance lives),
   *   `LN_ERR_CONFIG_INVALID` for a `fuel` the component cannot meter, or `LN_ERR_GUEST_CRASH`
   *   when the instance is already dead
   */
  call(target: Pick<CallableExport, 'name' | 'path'>, args: readonly unknown[], options: CallOptions = {}): Promise<CallOutcome> {
    if (this.#dead) return Promise.reject(this.#deadError(target.name));
    const fuel = options.fuel ?? this.#defaults.fuel ?? null;
    if (fuel !== null && (!Number.isSafeInteger(fuel) || fuel <= 0 || !this.component.meter?.fuel)) {
      return Promise.reject(new LnError('LN_ERR_CONFIG_INVALID', {
        key: 'fuel', source: `call to ${target.name}`,
        reason: this.component.meter?.fuel
          ? `${fuel} is not a positive whole number of instructions`
          : 'the component was loaded without fuel metering (engine.load with meter: { fuel: true })',
      }));
    }
    const maxInput = options.maxInputBytes ?? this.#defaults.maxInputBytes;
    const bytesIn = payloadBytes(args, maxInput);
    if (maxInput !== undefined && bytesIn > maxInput) {
      return Promise.reject(new LnError('LN_ERR_BUDGET_PAYLOAD', { direction: 'input', call: target.name, size: bytesIn, limit: maxInput }));
    }
    const traced = tracedContext();
    return new Promise<CallOutcome>((resolve, reject) => {
      const message: CallMessage = {
        type: 'call', id: this.#nextId++, name: target.name, path: [...target.path], args: [...args],
        fuel, maxOutputBytes: options.maxOutputBytes ?? this.#defaults.maxOutputBytes ?? null, hostCallLimits: options.hostCallLimits ?? null,
        ...(traced ? { trace: true } : {}),
      };
      const pending: Pending = { resolve, reject, started: 0, timer: undefined, timeoutMs: options.timeoutMs, bytesIn, message, onNotify: options.onNotify, traced };
      this.#queue.push(pending);
      this.#pump();
    });
  }

  /**
   * Stops the worker and waits until everything the guest wrote to stdout/stderr was delivered.
   * Calls still queued fail with `LN_ERR_GUEST_CRASH`.
   */
  async dispose(): Promise<void> {
    this.#kill(new LnError('LN_ERR_GUEST_CRASH', { call: '(none)', reason: 'the instance was disposed' }));
    await this.#worker.terminate();
    await this.#outputDrained;
  }

  #pump(): void {
    if (this.#current || this.#dead) return;
    const next = this.#queue.shift();
    if (!next) return;
    this.#current = next;
    next.started = performance.now();
    const timeoutMs = next.timeoutMs;
    if (timeoutMs !== undefined) {
      next.timer = setTimeout(() => {
        this.#kill(new LnError('LN_ERR_BUDGET_TIME', { call: next.message.name, timeoutMs }), next);
      }, timeoutMs);
    }
    try {
      this.#worker.postMessage(next.message);
    } catch (err) {
      this.#current = undefined;
      clearTimeout(next.timer);
      next.reject(new LnError('LN_ERR_CONFIG_INVOKE', { expr: next.message.name, reason: `arguments cannot be sent: ${(err as Error).message}` }));
      this.#pump();
    }
  }

  #initialize(init: InitMessage, options: InstanceOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timeoutMs = options.startTimeoutMs ?? INSTANCE_DEFAULTS.startTimeoutMs;
      const timer = setTimeout(() => {
        const err = new LnError('LN_ERR_BUDGET_TIME', { call: 'instantiate', timeoutMs });
        this.#kill(err);
        reject(err);
      }, timeoutMs);
      this.#worker.on('message', (message: WorkerToHost) => {
        switch (message.type) {
          case 'ready':
            clearTimeout(timer);
            resolve();
            break;
          case 'init-failed': {
            clearTimeout(timer);
            const err = LnError.fromJSON(message.error);
            this.#kill(err);
            reject(err);
            break;
          }
          case 'result':
            this.#settle(message);
            break;
          case 'notify':
            options.onNotify?.(message);
            this.#current?.onNotify?.(message);
            break;
          case 'output':
            options.output?.[message.stream](Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength));
            break;
          case 'output-dropped':
            options.output?.onDropped?.(message.dropped);
            break;
        }
      });
      const crashed = (reason: string): void => {
        const dead = new LnError('LN_ERR_GUEST_CRASH', { call: this.#current?.message.name ?? 'instantiate', reason });
        clearTimeout(timer);
        this.#kill(dead);
        reject(dead);
      };
      this.#worker.on('error', (err) => crashed(err instanceof Error ? err.message : String(err)));
      this.#worker.on('exit', (code) => crashed(`the worker exited with code ${code}`));
      this.#worker.postMessage(init);
    });
  }

  #settle(message: Extract<WorkerToHost, { type: 'result' }>): void {
    const current = this.#current;
    if (!current || current.message.id !== message.id) return;
    clearTimeout(current.timer);
    this.#current = undefined;
    const durationMs = performance.now() - current.started;
    const { hostSpans, ...measured } = message.usage;
    if (hostSpans && current.traced) emitHostCallSpans(current.traced, hostSpans);
    const usage: Usage = { ...measured, durationMs, bytesIn: current.bytesIn };
    if (message.ok) {
      current.resolve({ value: message.value, errResult: message.errResult, durationMs, usage });
    } else {
      const sent = LnError.fromJSON(message.error);
      const err = new LnError(sent.code, { ...sent.details, ...usageDetails(usage) });
      if (message.poisoned) {
        this.#kill(err, current);
        return;
      }
      current.reject(err);
    }
    this.#pump();
  }

  /**
   * Marks the instance dead: the failing call gets `reason`, everything queued a crash error. The
   * calls are failed once the worker is gone, when every message it sent before dying (the
   * guest's last output above all) has been delivered.
   */
  #kill(reason: LnError, failing?: Pending): void {
    if (this.#dead) return;
    this.#dead = reason;
    const doomed: Array<[Pending, LnError]> = failing ? [[failing, reason]] : [];
    const rest = [...(this.#current && this.#current !== failing ? [this.#current] : []), ...this.#queue.splice(0)];
    this.#current = undefined;
    for (const p of rest) doomed.push([p, this.#deadError(p.message.name)]);
    for (const [p] of doomed) clearTimeout(p.timer);
    const gone = this.#worker.terminate();
    for (const cb of this.#onDeath.splice(0)) cb(reason);
    const fail = (): void => {
      for (const [p, err] of doomed) p.reject(err);
    };
    gone.then(fail, fail);
  }

  #deadError(call: string): LnError {
    return new LnError('LN_ERR_GUEST_CRASH', { call, reason: `the instance is gone (${this.#dead?.code ?? 'disposed'})` });
  }
}

/** Forwards a worker's output stream; resolves when the stream has ended. */
function pipeOutput(stream: Readable, sink: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => sink(chunk));
    stream.on('error', () => resolve());
    stream.on('close', () => resolve());
    stream.on('end', () => resolve());
  });
}
