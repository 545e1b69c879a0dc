/**
 * The guest instances of one thread: a sandbox worker's (`worker-main.ts`), or the main thread's
 * inline instances (`inline-sandbox.ts`). Both run the same code here: each `init` instantiates one
 * component instance under its own id, with its own imports (built by its linker from its own
 * grants), memories, meter globals and output gate; `call` runs one export of one instance;
 * `forget` drops an instance so its memories are collected. Calls run strictly one after the
 * other (jco's exports are synchronous), so "the running call" is always one call of one instance
 * (its host-call counts, limits and notifications).
 *
 * It never lets a guest failure escape: every call gets a `result` with its usage, and a failure
 * that unwound guest frames marks only that instance poisoned (and forgets it). A guest
 * instrumented with deadline checks unwinds when the thread's deadline flag is set
 * (`LN_ERR_BUDGET_TIME`).
 *
 * What leaves an instance goes to `post` as protocol messages: stdout/stderr through its
 * `OutputGate` as `output` messages, each write as it happens (so before the result that follows
 * them); host interface notifications of a call inside its `result` (`notes`), outside a call as
 * `notify` messages.
 */
import { Script } from 'node:vm';
import { deadlineImports } from '../engine/instrument/deadline-check.js';
import { DEADLINE_MODULE } from '../engine/instrument/deadline-pass.js';
import { FUEL_GLOBAL, GROW_FAILED_GLOBAL, type InstrumentOptions, METER_MODULE } from '../engine/instrument/meter-contract.js';
import { isLnError, LnError, toLnError } from '../errors/ln-error.js';
import { type BudgetSignals, classifyGuestFailure, isComponentError } from './guest-failure.js';
import { HostCallRecorder } from './host-call-spans.js';
import type { incomingHandlerArgs } from './incoming-http-types.js';
import { OutputGate } from './output-gate.js';
import type { CallMessage, HostToWorker, InitMessage, LinkFunction, NotifyMessage, ResultMessage, WorkerToHost } from './protocol.js';
import { payloadBytes, type WorkerUsage } from './usage.js';

type InstantiateCore = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => Promise<WebAssembly.Instance>;
type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: InstantiateCore,
) => Promise<Record<string, unknown>>;

/**
 * Fuel outside calls (instantiation, and guest code the bindings run between calls such as
 * resource destructors): 2^62, never reached; instantiation is bounded by the start timeout.
 */
const IDLE_FUEL = 1n << 62n;

/** The globals an instrumented component's core modules import, shared by all its core instances. */
interface Meter {
  readonly options: InstrumentOptions;
  readonly fuel: WebAssembly.Global;
  readonly growFailed: WebAssembly.Global;
}

/** One guest instance: everything that is its own. */
interface Guest {
  readonly id: number;
  readonly exports: Record<string, unknown>;
  /** Every linear memory a core instance exports (the component instance's memories). */
  readonly memories: ReadonlySet<WebAssembly.Memory>;
  readonly meter: Meter | null;
  readonly output: OutputGate;
  /** Makes the arguments of an incoming HTTP request (a guest that imports `wasi:http/types`). */
  readonly incoming: typeof incomingHandlerArgs | null;
}

/** How a thread hosts its guests. */
export interface GuestHostOptions {
  /** Int32Array[1] over a SharedArrayBuffer: nonzero means "the running call is past its deadline". */
  readonly deadlineFlag: Int32Array;
  /** Receives what leaves the instances (output, notifications outside calls). */
  readonly post: (message: WorkerToHost) => void;
  /**
   * Instantiates a compiled core module (default: `WebAssembly.instantiate`). The main thread
   * instantiates synchronously under its watchdog, so a start function that spins is stopped.
   */
  readonly instantiateCore?: (module: WebAssembly.Module, imports: WebAssembly.Imports) => Promise<WebAssembly.Instance>;
}

/** Distinct components' bindings kept compiled per thread. */
const BINDINGS_CACHE_SIZE = 128;

const NO_USAGE: WorkerUsage = { fuelUsed: null, peakMemoryBytes: 0, hostCalls: {}, bytesOut: 0 };

function totalMemoryBytes(memories: ReadonlySet<WebAssembly.Memory>): number {
  let total = 0;
  for (const memory of memories) total += memory.buffer.byteLength;
  return total;
}

function resolve(exports: Record<string, unknown>, path: readonly string[]): unknown {
  let target: unknown = exports;
  for (const key of path) {
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return undefined;
    target = Object.hasOwn(target, key) ? (target as Record<string, unknown>)[key] : undefined;
  }
  return target;
}

export class GuestHost {
  readonly #flag: Int32Array;
  readonly #post: (message: WorkerToHost) => void;
  readonly #instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => Promise<WebAssembly.Instance>;
  /** The deadline check import, shared by every deadline-instrumented core instance of this thread. */
  readonly #deadline: Record<string, Record<string, () => void>>;
  readonly #guests = new Map<number, Guest>();
  /** The instance whose call runs now (for host-interface notifications and counts). */
  #running: number | undefined;
  /** Whether a call runs (its notifications go with its result). */
  #inCall = false;
  /** Notifications of the running call, sent with its result (made at the first). */
  #notes: NotifyMessage[] | undefined;
  /** Host calls made by the running guest call, by kind; reset when a call starts. */
  #hostCalls = new Map<string, number>();
  /** The running guest call's host-call limits, by kind. */
  #hostCallLimits: CallMessage['hostCallLimits'] = null;
  /** Times host calls of traced calls. */
  readonly #hostSpans = new HostCallRecorder();
  /**
   * Compiled bindings by their source, most recently used last: the instances of one component in
   * this thread share one compiled script (jco's `instantiate` keeps all its state inside each call).
   */
  readonly #bindings = new Map<string, Instantiate>();

  constructor(options: GuestHostOptions) {
    this.#flag = options.deadlineFlag;
    this.#post = options.post;
    this.#instantiateCore = options.instantiateCore ?? ((module, imports) => WebAssembly.instantiate(module, imports));
    this.#deadline = deadlineImports(this.#flag);
  }

  /** Instances living here. */
  get size(): number {
    return this.#guests.size;
  }

  /** Whether the deadline flag is set. */
  get #expired(): boolean {
    return Atomics.load(this.#flag, 0) !== 0;
  }

  /**
   * Runs one job of the protocol and posts its answer (`ready` / `init-failed`, `result`,
   * `disposed`): every job answers exactly once.
   */
  async run(message: HostToWorker): Promise<void> {
    if (message.type === 'init') {
      try {
        await this.init(message);
        this.#post({ type: 'ready', instance: message.instance });
      } catch (err) {
        this.#post({ type: 'init-failed', instance: message.instance, error: toLnError(err).toJSON() });
      }
    } else if (message.type === 'call') {
      this.#post(this.call(message));
    } else {
      this.forget(message.instance);
      this.#post({ type: 'disposed', instance: message.instance });
    }
  }

  /**
   * Instantiates a component instance under `message.instance`.
   *
   * @throws LnError `LN_ERR_LINK_IMPORT_MISSING`, `LN_ERR_GUEST_INIT`, `LN_ERR_BUDGET_TIME` (the
   *   flag was set), `LN_ERR_BUDGET_MEMORY`
   */
  async init(message: InitMessage): Promise<void> {
    const id = message.instance;
    const post = this.#post;
    const output = new OutputGate(message.outputRate, {
      forward: (stream, bytes) => post({ type: 'output', instance: id, stream, bytes }),
      dropped: (dropped) => post({ type: 'output-dropped', instance: id, dropped }),
    });
    const linker = (await import(message.linker.module)) as { link: LinkFunction };
    const imports = this.#hostSpans.wrap(
      linker.link(message.linker.config, {
        notify: (topic, payload) => {
          if (this.#inCall && this.#running === id) (this.#notes ??= []).push({ type: 'notify', topic, payload });
          else post({ type: 'notify', instance: id, topic, payload });
        },
        output: (stream, bytes) => output.write(stream, bytes),
        hostCall: (kind) => {
          const n = (this.#hostCalls.get(kind) ?? 0) + 1;
          this.#hostCalls.set(kind, n);
          return n;
        },
        hostCallLimit: (kind) => (this.#hostCallLimits && Object.hasOwn(this.#hostCallLimits, kind) ? this.#hostCallLimits[kind] : undefined),
        traceparent: () => this.#hostSpans.outgoingTraceparent(),
      }),
    );
    const missing = message.requiredImports.filter((name) => !(name in imports));
    if (missing.length > 0) {
      throw new LnError('LN_ERR_LINK_IMPORT_MISSING', { imports: missing.join(', ') });
    }
    const meter: Meter | null = message.meter
      ? {
          options: message.meter,
          fuel: new WebAssembly.Global({ value: 'i64', mutable: true }, IDLE_FUEL),
          growFailed: new WebAssembly.Global({ value: 'i32', mutable: true }, 0),
        }
      : null;
    const instantiate = this.#bindingsOf(message);
    const modules = new Map(message.modules);
    const getCoreModule = (name: string): WebAssembly.Module => {
      const mod = modules.get(name);
      if (!mod) throw new LnError('LN_ERR_LOAD_INVALID', { subject: message.subject, reason: `missing core module ${name}` });
      return mod;
    };
    const memories = new Set<WebAssembly.Memory>();
    // Loaded only for guests that can take an incoming request (it loads preview2-shim).
    const incoming = message.requiredImports.includes('wasi:http/types') ? (await import('./incoming-http-types.js')).incomingHandlerArgs : null;
    try {
      const exports = await instantiate(getCoreModule, imports, this.#coreInstantiator(meter, memories));
      this.#guests.set(id, { id, exports, memories, meter, output, incoming });
    } catch (err) {
      output.finish();
      if (isLnError(err, 'LN_ERR_BUDGET_TIME')) throw err;
      if (this.#expired) throw new LnError('LN_ERR_BUDGET_TIME', { call: 'instantiate', timeoutMs: null }, { cause: err });
      if (meter?.growFailed.value) {
        throw new LnError('LN_ERR_BUDGET_MEMORY', { call: 'instantiate', limitBytes: meter.options.maxMemoryBytes }, { cause: err });
      }
      const failure = classifyGuestFailure(err, 'instantiate');
      throw new LnError('LN_ERR_GUEST_INIT', { reason: failure.error.message }, { cause: err });
    }
  }

  /**
   * Runs one call to its end (jco's exports are synchronous) and returns its result, with the
   * notifications its host interfaces sent. Never throws.
   */
  call(message: CallMessage): ResultMessage {
    this.#running = message.instance;
    this.#inCall = true;
    this.#notes = undefined;
    let result: ResultMessage;
    try {
      result = this.#call(message);
    } catch (err) {
      result = { type: 'result', instance: message.instance, id: message.id, ok: false, error: toLnError(err).toJSON(), poisoned: false, usage: NO_USAGE };
    }
    const notes = this.#notes;
    this.#notes = undefined;
    this.#inCall = false;
    this.#running = undefined;
    return notes ? { ...result, notes } : result;
  }

  /**
   * Forgets an instance (poisoned or disposed): its output gate sends what it holds, and its
   * bindings, memories and imports become garbage. Its neighbours are untouched.
   */
  forget(id: number): void {
    const guest = this.#guests.get(id);
    if (!guest) return;
    guest.output.finish();
    this.#guests.delete(id);
  }

  #call(message: CallMessage): ResultMessage {
    const { instance, id, name } = message;
    const guest = this.#guests.get(instance);
    if (!guest) {
      const error = new LnError('LN_ERR_GUEST_CRASH', { call: name, reason: 'the instance is gone' });
      return { type: 'result', instance, id, ok: false, error: error.toJSON(), poisoned: true, usage: NO_USAGE };
    }
    const fn = resolve(guest.exports, message.path);
    if (typeof fn !== 'function') {
      const error = new LnError('LN_ERR_LINK_EXPORT_MISSING', { name, available: 'see `lnano inspect`' });
      return {
        type: 'result',
        instance,
        id,
        ok: false,
        error: error.toJSON(),
        poisoned: false,
        usage: { ...NO_USAGE, peakMemoryBytes: totalMemoryBytes(guest.memories) },
      };
    }
    const exchange = message.http && guest.incoming ? guest.incoming(message.http) : undefined;
    const start = this.#startMetering(guest, message);
    let value: unknown;
    let errResult = false;
    try {
      value = (fn as (...args: unknown[]) => unknown)(...(exchange ? exchange.args : message.args));
      exchange?.end(null);
    } catch (err) {
      exchange?.end(this.#expired ? 'the deadline passed' : 'the guest failed');
      if (!isComponentError(err)) {
        const { usage, signals } = this.#stopMetering(guest, start, message, 0);
        const { error, poisoned } = this.#expired
          ? { error: new LnError('LN_ERR_BUDGET_TIME', { call: name, timeoutMs: null }), poisoned: true }
          : classifyGuestFailure(err, name, signals);
        if (poisoned) this.forget(guest.id);
        return { type: 'result', instance, id, ok: false, error: error.toJSON(), poisoned, usage };
      }
      value = err.payload;
      errResult = true;
    }
    const limit = message.maxOutputBytes ?? Number.POSITIVE_INFINITY;
    const bytesOut = payloadBytes(value, limit);
    const { usage, signals } = this.#stopMetering(guest, start, message, bytesOut);
    if (signals.fuelExhausted) {
      // The call finished, but its last straight-line stretch ran past the budget (see fuel-pass.ts).
      const error = new LnError('LN_ERR_BUDGET_FUEL', { call: name, fuel: message.fuel });
      return { type: 'result', instance, id, ok: false, error: error.toJSON(), poisoned: false, usage };
    }
    if (bytesOut > limit) {
      const error = new LnError('LN_ERR_BUDGET_PAYLOAD', { direction: 'result', call: name, size: bytesOut, limit });
      return { type: 'result', instance, id, ok: false, error: error.toJSON(), poisoned: false, usage };
    }
    return { type: 'result', instance, id, ok: true, value, errResult, usage };
  }

  /** Fuel the running call started with (null: not fuel-metered). */
  #startMetering(guest: Guest, message: CallMessage): bigint | null {
    if (this.#hostCalls.size > 0) this.#hostCalls = new Map();
    this.#hostCallLimits = message.hostCallLimits ?? null;
    this.#hostSpans.begin(message.trace === true, message.traceparent);
    guest.output.takeCallDropped();
    const meter = guest.meter;
    if (!meter) return null;
    meter.growFailed.value = 0;
    if (!meter.options.fuel) return null;
    const start = message.fuel === null ? IDLE_FUEL : BigInt(message.fuel);
    meter.fuel.value = start;
    return start;
  }

  /** Reads the call's usage and what the meter globals say, and resets fuel for between calls. */
  #stopMetering(guest: Guest, start: bigint | null, message: CallMessage, bytesOut: number): { usage: WorkerUsage; signals: BudgetSignals } {
    const meter = guest.meter;
    const left = start === null ? null : (meter!.fuel.value as bigint);
    if (start !== null) meter!.fuel.value = IDLE_FUEL;
    const spans = this.#hostSpans.end();
    guest.output.endLines();
    const outputDropped = guest.output.takeCallDropped();
    const hostCalls: Record<string, number> = {};
    for (const [kind, n] of this.#hostCalls) hostCalls[kind] = n;
    // Built without spreads: this runs on every call, and an inline call's whole budget is microseconds.
    const usage: { -readonly [K in keyof WorkerUsage]: WorkerUsage[K] } = {
      fuelUsed: left === null ? null : Number(start! - left),
      peakMemoryBytes: totalMemoryBytes(guest.memories),
      hostCalls,
      bytesOut,
    };
    if (outputDropped > 0) usage.outputDropped = outputDropped;
    if (spans) usage.hostSpans = spans;
    const signals: BudgetSignals = {
      fuelExhausted: left !== null && left < 0n,
      growFailed: meter !== null && meter.growFailed.value !== 0,
      fuel: message.fuel,
      limitBytes: meter?.options.maxMemoryBytes ?? null,
    };
    return { usage, signals };
  }

  /** jco's `instantiateCore` for one instance: supplies the meter globals and the deadline check, records the exported memories. */
  #coreInstantiator(meter: Meter | null, memories: Set<WebAssembly.Memory>): InstantiateCore {
    return async (module, imports = {}) => {
      let full = imports;
      const wanted = new Set(WebAssembly.Module.imports(module).map((i) => i.module));
      if (meter && wanted.has(METER_MODULE)) {
        const own = (imports[METER_MODULE] ?? {}) as WebAssembly.ModuleImports;
        full = { ...full, [METER_MODULE]: { ...own, [FUEL_GLOBAL]: meter.fuel, [GROW_FAILED_GLOBAL]: meter.growFailed } };
      }
      if (wanted.has(DEADLINE_MODULE)) full = { ...full, ...this.#deadline };
      const instance = await this.#instantiateCore(module, full);
      for (const value of Object.values(instance.exports)) {
        if (value instanceof WebAssembly.Memory) memories.add(value);
      }
      return instance;
    };
  }

  #bindingsOf(message: InitMessage): Instantiate {
    let instantiate = this.#bindings.get(message.bindings);
    if (instantiate) {
      this.#bindings.delete(message.bindings);
    } else {
      instantiate = new Script(message.bindings, { filename: `lnano-bindings/${message.subject}.js` }).runInThisContext() as Instantiate;
      if (this.#bindings.size >= BINDINGS_CACHE_SIZE) this.#bindings.delete(this.#bindings.keys().next().value!);
    }
    this.#bindings.set(message.bindings, instantiate);
    return instantiate;
  }
}
