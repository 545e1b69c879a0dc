/**
 * The entry point of a sandbox worker thread. Runs only inside a worker.
 *
 * One worker hosts many guest instances (see docs/sandbox.md): each `init` instantiates one
 * component instance under its own id, with its own imports (built by its linker from its own
 * grants), memories, meter globals and output gate; `call`s run on the instance they name;
 * `dispose` forgets an instance so its memories are collected. The host sends one job at a time,
 * and the worker also runs them strictly one after the other, so "the running call" is always
 * one call of one instance (its host-call counts, limits and notifications).
 *
 * It never lets a guest failure escape: every call gets a `result` with its usage, and a failure
 * that unwound guest frames marks only that instance poisoned. A guest instrumented with deadline
 * checks unwinds when the host sets the worker's deadline flag (`LN_ERR_BUDGET_TIME`).
 *
 * The guest's stdout/stderr leave through its `OutputGate` as `output` messages on the same port,
 * each write as it happens, so they reach the host before the result that follows them. Host
 * interface notifications of a call travel inside its `result` (`notes`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Script } from 'node:vm';
import { LnError, toLnError } from '../errors/ln-error.js';
import { FUEL_GLOBAL, GROW_FAILED_GLOBAL, METER_MODULE, type InstrumentOptions } from '../engine/instrument/instrument.js';
import { DEADLINE_MODULE } from '../engine/instrument/deadline-pass.js';
import { deadlineImports } from '../engine/instrument/deadline-check.js';
import { classifyGuestFailure, isComponentError, type BudgetSignals } from './guest-failure.js';
import type { CallMessage, HostToWorker, InitMessage, LinkFunction, NotifyMessage, ResultMessage, SandboxWorkerData, WorkerToHost } from './protocol.js';
import { payloadBytes, type WorkerUsage } from './usage.js';
import { HostCallRecorder } from './host-call-spans.js';
import { OutputGate } from './output-gate.js';

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

const port = parentPort;
if (!port) throw new Error('worker-main.js must run in a worker thread');
const post = (message: WorkerToHost): void => port.postMessage(message);

const data = workerData as SandboxWorkerData;
if (data.discardStdio) {
  // A shared worker's own stdout/stderr belong to no instance (and nobody reads them).
  process.stdout.write = () => true;
  process.stderr.write = () => true;
}
const deadlineFlag = new Int32Array(data.deadlineFlag);
/** The deadline check import, shared by every deadline-instrumented core instance of this worker. */
const deadline = deadlineImports(deadlineFlag);

/** The globals an instrumented component's core modules import, shared by all its core instances. */
interface Meter {
  readonly options: InstrumentOptions;
  readonly fuel: WebAssembly.Global;
  readonly growFailed: WebAssembly.Global;
}

/** One guest instance of this worker: everything that is its own. */
interface Guest {
  readonly id: number;
  readonly exports: Record<string, unknown>;
  /** Every linear memory a core instance exports (the component instance's memories). */
  readonly memories: ReadonlySet<WebAssembly.Memory>;
  readonly meter: Meter | null;
  readonly output: OutputGate;
}

const guests = new Map<number, Guest>();
/** The instance whose job runs now (for host-interface notifications and counts). */
let running: number | undefined;
/** Notifications of the running call, sent with its result. */
let notes: NotifyMessage[] | undefined;
/** Host calls made by the running guest call, by kind; reset when a call starts. */
let hostCalls = new Map<string, number>();
/** The running guest call's host-call limits, by kind. */
let hostCallLimits: CallMessage['hostCallLimits'] = null;
/** Times host calls of traced calls. */
const hostSpans = new HostCallRecorder();

function memoryBytes(memories: ReadonlySet<WebAssembly.Memory>): number {
  let total = 0;
  for (const memory of memories) total += memory.buffer.byteLength;
  return total;
}

/** jco's `instantiateCore` for one instance: supplies the meter globals and the deadline check, records the exported memories. */
function coreInstantiator(meter: Meter | null, memories: Set<WebAssembly.Memory>): InstantiateCore {
  return async (module, imports = {}) => {
    let full = imports;
    const wanted = new Set(WebAssembly.Module.imports(module).map((i) => i.module));
    if (meter && wanted.has(METER_MODULE)) {
      const own = (imports[METER_MODULE] ?? {}) as WebAssembly.ModuleImports;
      full = { ...full, [METER_MODULE]: { ...own, [FUEL_GLOBAL]: meter.fuel, [GROW_FAILED_GLOBAL]: meter.growFailed } };
    }
    if (wanted.has(DEADLINE_MODULE)) full = { ...full, ...deadline };
    const instance = await WebAssembly.instantiate(module, full);
    for (const value of Object.values(instance.exports)) {
      if (value instanceof WebAssembly.Memory) memories.add(value);
    }
    return instance;
  };
}

/**
 * Compiled bindings by their source, most recently used last: the instances of one component in
 * this worker share one compiled script (jco's `instantiate` keeps all its state inside each call).
 */
const bindingsCache = new Map<string, Instantiate>();
/** Distinct components' bindings kept compiled per worker. */
const BINDINGS_CACHE_SIZE = 128;

function bindingsOf(message: InitMessage): Instantiate {
  let instantiate = bindingsCache.get(message.bindings);
  if (instantiate) {
    bindingsCache.delete(message.bindings);
  } else {
    instantiate = new Script(message.bindings, { filename: `lnano-bindings/${message.subject}.js` }).runInThisContext() as Instantiate;
    if (bindingsCache.size >= BINDINGS_CACHE_SIZE) bindingsCache.delete(bindingsCache.keys().next().value!);
  }
  bindingsCache.set(message.bindings, instantiate);
  return instantiate;
}

async function init(message: InitMessage): Promise<void> {
  const id = message.instance;
  const output = new OutputGate(message.outputRate, {
    forward: (stream, bytes) => post({ type: 'output', instance: id, stream, bytes }),
    dropped: (dropped) => post({ type: 'output-dropped', instance: id, dropped }),
  });
  const linker = (await import(message.linker.module)) as { link: LinkFunction };
  const imports = hostSpans.wrap(linker.link(message.linker.config, {
    notify: (topic, payload) => {
      if (notes && running === id) notes.push({ type: 'notify', topic, payload });
      else post({ type: 'notify', instance: id, topic, payload });
    },
    output: (stream, bytes) => output.write(stream, bytes),
    hostCall: (kind) => {
      const n = (hostCalls.get(kind) ?? 0) + 1;
      hostCalls.set(kind, n);
      return n;
    },
    hostCallLimit: (kind) => (hostCallLimits && Object.hasOwn(hostCallLimits, kind) ? hostCallLimits[kind] : undefined),
  }));
  const missing = message.requiredImports.filter((name) => !(name in imports));
  if (missing.length > 0) {
    throw new LnError('LN_ERR_LINK_IMPORT_MISSING', { imports: missing.join(', ') });
  }
  const meter: Meter | null = message.meter ? {
    options: message.meter,
    fuel: new WebAssembly.Global({ value: 'i64', mutable: true }, IDLE_FUEL),
    growFailed: new WebAssembly.Global({ value: 'i32', mutable: true }, 0),
  } : null;
  const instantiate = bindingsOf(message);
  const modules = new Map(message.modules);
  const getCoreModule = (name: string): WebAssembly.Module => {
    const mod = modules.get(name);
    if (!mod) throw new LnError('LN_ERR_LOAD_INVALID', { subject: message.subject, reason: `missing core module ${name}` });
    return mod;
  };
  const memories = new Set<WebAssembly.Memory>();
  try {
    const exports = await instantiate(getCoreModule, imports, coreInstantiator(meter, memories));
    guests.set(id, { id, exports, memories, meter, output });
  } catch (err) {
    output.finish();
    if (Atomics.load(deadlineFlag, 0) !== 0) throw new LnError('LN_ERR_BUDGET_TIME', { call: 'instantiate', timeoutMs: null }, { cause: err });
    if (meter?.growFailed.value) {
      throw new LnError('LN_ERR_BUDGET_MEMORY', { call: 'instantiate', limitBytes: meter.options.maxMemoryBytes }, { cause: err });
    }
    const failure = classifyGuestFailure(err, 'instantiate');
    throw new LnError('LN_ERR_GUEST_INIT', { reason: failure.error.message }, { cause: err });
  }
}

function resolve(exports: Record<string, unknown>, path: readonly string[]): unknown {
  let target: unknown = exports;
  for (const key of path) {
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return undefined;
    target = Object.hasOwn(target, key) ? (target as Record<string, unknown>)[key] : undefined;
  }
  return target;
}

/** Fuel the running call started with (null: not fuel-metered). */
function startMetering(guest: Guest, message: CallMessage): bigint | null {
  hostCalls = new Map();
  hostCallLimits = message.hostCallLimits ?? null;
  hostSpans.begin(message.trace === true);
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
function stopMetering(guest: Guest, start: bigint | null, message: CallMessage, bytesOut: number): { usage: WorkerUsage; signals: BudgetSignals } {
  const meter = guest.meter;
  const left = start === null ? null : (meter!.fuel.value as bigint);
  if (start !== null) meter!.fuel.value = IDLE_FUEL;
  const spans = hostSpans.end();
  guest.output.endLines();
  const outputDropped = guest.output.takeCallDropped();
  const usage: WorkerUsage = {
    fuelUsed: left === null ? null : Number(start! - left),
    memoryBytes: memoryBytes(guest.memories),
    hostCalls: Object.fromEntries(hostCalls),
    bytesOut,
    ...(outputDropped > 0 ? { outputDropped } : {}),
    ...(spans ? { hostSpans: spans } : {}),
  };
  const signals: BudgetSignals = {
    fuelExhausted: left !== null && left < 0n,
    growFailed: meter !== null && meter.growFailed.value !== 0,
    fuel: message.fuel,
    limitBytes: meter?.options.maxMemoryBytes ?? null,
  };
  return { usage, signals };
}

const NO_USAGE: WorkerUsage = { fuelUsed: null, memoryBytes: 0, hostCalls: {}, bytesOut: 0 };

/** Runs one call and returns its result (with the notifications its host interfaces sent). */
async function call(message: CallMessage): Promise<ResultMessage> {
  const head = { type: 'result', instance: message.instance, id: message.id } as const;
  const guest = guests.get(message.instance);
  if (!guest) {
    const error = new LnError('LN_ERR_GUEST_CRASH', { call: message.name, reason: 'the instance is gone' });
    return { ...head, ok: false, error: error.toJSON(), poisoned: true, usage: NO_USAGE };
  }
  const fn = resolve(guest.exports, message.path);
  if (typeof fn !== 'function') {
    const error = new LnError('LN_ERR_LINK_EXPORT_MISSING', { name: message.name, available: 'see `lnano inspect`' });
    return { ...head, ok: false, error: error.toJSON(), poisoned: false, usage: { ...NO_USAGE, memoryBytes: memoryBytes(guest.memories) } };
  }
  const start = startMetering(guest, message);
  let value: unknown;
  let errResult = false;
  try {
    value = await fn(...message.args);
  } catch (err) {
    if (!isComponentError(err)) {
      const { usage, signals } = stopMetering(guest, start, message, 0);
      const { error, poisoned } = Atomics.load(deadlineFlag, 0) !== 0
        ? { error: new LnError('LN_ERR_BUDGET_TIME', { call: message.name, timeoutMs: null }), poisoned: true }
        : classifyGuestFailure(err, message.name, signals);
      if (poisoned) forget(guest);
      return { ...head, ok: false, error: error.toJSON(), poisoned, usage };
    }
    value = err.payload;
    errResult = true;
  }
  const limit = message.maxOutputBytes ?? Number.POSITIVE_INFINITY;
  const bytesOut = payloadBytes(value, limit);
  const { usage, signals } = stopMetering(guest, start, message, bytesOut);
  if (signals.fuelExhausted) {
    // The call finished, but its last straight-line stretch ran past the budget (see fuel-pass.ts).
    const error = new LnError('LN_ERR_BUDGET_FUEL', { call: message.name, fuel: message.fuel });
    return { ...head, ok: false, error: error.toJSON(), poisoned: false, usage };
  }
  if (bytesOut > limit) {
    const error = new LnError('LN_ERR_BUDGET_PAYLOAD', { direction: 'result', call: message.name, size: bytesOut, limit });
    return { ...head, ok: false, error: error.toJSON(), poisoned: false, usage };
  }
  return { ...head, ok: true, value, errResult, usage };
}

/**
 * Forgets an instance (poisoned or disposed): its output gate sends what it holds, and its
 * bindings, memories and imports become garbage. Its neighbours are untouched.
 */
function forget(guest: Guest): void {
  guest.output.finish();
  guests.delete(guest.id);
}

/** Runs one job; every job answers exactly once. */
async function run(message: HostToWorker): Promise<void> {
  running = message.instance;
  try {
    if (message.type === 'init') {
      try {
        await init(message);
        post({ type: 'ready', instance: message.instance });
      } catch (err) {
        post({ type: 'init-failed', instance: message.instance, error: toLnError(err).toJSON() });
      }
    } else if (message.type === 'call') {
      notes = [];
      let result: ResultMessage;
      try {
        result = await call(message);
      } catch (err) {
        result = { type: 'result', instance: message.instance, id: message.id, ok: false, error: toLnError(err).toJSON(), poisoned: false, usage: NO_USAGE };
      }
      const sent = notes;
      notes = undefined;
      post(sent.length > 0 ? { ...result, notes: sent } : result);
    } else {
      const guest = guests.get(message.instance);
      if (guest) forget(guest);
      post({ type: 'disposed', instance: message.instance });
    }
  } finally {
    running = undefined;
    notes = undefined;
  }
}

/** Jobs run strictly in order, even when a guest call awaits. */
let chain: Promise<void> = Promise.resolve();
port.on('message', (message: HostToWorker) => {
  chain = chain.then(() => run(message));
});
