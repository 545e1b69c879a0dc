/**
 * The entry point of a guest instance's worker thread. Runs only inside a worker.
 *
 * It waits for one `init` (bindings, compiled core modules, the linker that builds the imports),
 * instantiates the component, then answers `call`s one at a time. It never lets a guest failure
 * escape: every call gets a `result` with its usage. The host terminates the worker after a
 * poisoning failure.
 *
 * The guest's stdout/stderr leave through the `OutputGate` as `output` messages on the same port,
 * each write as it happens, so they reach the host before the result that follows them.
 */
import { parentPort } from 'node:worker_threads';
import { Script } from 'node:vm';
import { LnError, toLnError } from '../errors/ln-error.js';
import { FUEL_GLOBAL, GROW_FAILED_GLOBAL, METER_MODULE, type InstrumentOptions } from '../engine/instrument/instrument.js';
import { classifyGuestFailure, isComponentError, type BudgetSignals } from './guest-failure.js';
import type { CallMessage, HostToWorker, InitMessage, LinkFunction, WorkerToHost } from './protocol.js';
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

let exportsObject: Record<string, unknown> | undefined;
/** Host calls made by the running guest call, by kind; reset when a call starts. */
let hostCalls = new Map<string, number>();
/** The running guest call's host-call limits, by kind. */
let hostCallLimits: CallMessage['hostCallLimits'] = null;
/** Every linear memory a core instance exports (the component instance's memories). */
const memories = new Set<WebAssembly.Memory>();
/** Times host calls of traced calls. */
const hostSpans = new HostCallRecorder();
/** The guest's stdout/stderr on their way to the host; set by `init`. */
let output: OutputGate | undefined;

/** Posts a `ready`, `init-failed` or `result` after the output written before it. */
function postAfterOutput(message: WorkerToHost, instanceEnds: boolean): void {
  if (instanceEnds) output?.finish();
  else output?.endLines();
  post(message);
}

/** The globals an instrumented component's core modules import, shared by all its core instances. */
interface Meter {
  readonly options: InstrumentOptions;
  readonly fuel: WebAssembly.Global;
  readonly growFailed: WebAssembly.Global;
}
let meter: Meter | null = null;

function memoryBytes(): number {
  let total = 0;
  for (const memory of memories) total += memory.buffer.byteLength;
  return total;
}

/** jco's `instantiateCore`: supplies the meter globals and records the exported memories. */
const instantiateCore: InstantiateCore = async (module, imports = {}) => {
  let full = imports;
  if (meter && WebAssembly.Module.imports(module).some((i) => i.module === METER_MODULE)) {
    const own = (imports[METER_MODULE] ?? {}) as WebAssembly.ModuleImports;
    full = { ...imports, [METER_MODULE]: { ...own, [FUEL_GLOBAL]: meter.fuel, [GROW_FAILED_GLOBAL]: meter.growFailed } };
  }
  const instance = await WebAssembly.instantiate(module, full);
  for (const value of Object.values(instance.exports)) {
    if (value instanceof WebAssembly.Memory) memories.add(value);
  }
  return instance;
};

async function init(message: InitMessage): Promise<void> {
  output = new OutputGate(message.outputRate, {
    forward: (stream, bytes) => post({ type: 'output', stream, bytes }),
    dropped: (dropped) => post({ type: 'output-dropped', dropped }),
  });
  const linker = (await import(message.linker.module)) as { link: LinkFunction };
  const imports = hostSpans.wrap(linker.link(message.linker.config, {
    notify: (topic, payload) => post({ type: 'notify', topic, payload }),
    output: (stream, bytes) => output?.write(stream, bytes),
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
  if (message.meter) {
    meter = {
      options: message.meter,
      fuel: new WebAssembly.Global({ value: 'i64', mutable: true }, IDLE_FUEL),
      growFailed: new WebAssembly.Global({ value: 'i32', mutable: true }, 0),
    };
  }
  const instantiate = new Script(message.bindings, { filename: `lnano-bindings/${message.subject}.js` })
    .runInThisContext() as Instantiate;
  const modules = new Map(message.modules);
  const getCoreModule = (name: string): WebAssembly.Module => {
    const mod = modules.get(name);
    if (!mod) throw new LnError('LN_ERR_LOAD_INVALID', { subject: message.subject, reason: `missing core module ${name}` });
    return mod;
  };
  try {
    exportsObject = await instantiate(getCoreModule, imports, instantiateCore);
  } catch (err) {
    if (meter?.growFailed.value) {
      throw new LnError('LN_ERR_BUDGET_MEMORY', { call: 'instantiate', limitBytes: meter.options.maxMemoryBytes }, { cause: err });
    }
    const failure = classifyGuestFailure(err, 'instantiate');
    throw new LnError('LN_ERR_GUEST_INIT', { reason: failure.error.message }, { cause: err });
  }
}

function resolve(path: readonly string[]): unknown {
  let target: unknown = exportsObject;
  for (const key of path) {
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return undefined;
    target = Object.hasOwn(target, key) ? (target as Record<string, unknown>)[key] : undefined;
  }
  return target;
}

/** Fuel the running call started with (null: not fuel-metered). */
function startMetering(message: CallMessage): bigint | null {
  hostCalls = new Map();
  hostCallLimits = message.hostCallLimits ?? null;
  hostSpans.begin(message.trace === true);
  output?.takeCallDropped();
  if (!meter) return null;
  meter.growFailed.value = 0;
  if (!meter.options.fuel) return null;
  const start = message.fuel === null ? IDLE_FUEL : BigInt(message.fuel);
  meter.fuel.value = start;
  return start;
}

/** Reads the call's usage and what the meter globals say, and resets fuel for between calls. */
function stopMetering(start: bigint | null, message: CallMessage, bytesOut: number): { usage: WorkerUsage; signals: BudgetSignals } {
  const left = start === null ? null : (meter!.fuel.value as bigint);
  if (start !== null) meter!.fuel.value = IDLE_FUEL;
  const spans = hostSpans.end();
  output?.endLines();
  const outputDropped = output?.takeCallDropped() ?? 0;
  const usage: WorkerUsage = {
    fuelUsed: left === null ? null : Number(start! - left),
    memoryBytes: memoryBytes(),
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

async function call(message: CallMessage): Promise<void> {
  const fn = resolve(message.path);
  if (typeof fn !== 'function') {
    const error = new LnError('LN_ERR_LINK_EXPORT_MISSING', { name: message.name, available: 'see `lnano inspect`' });
    post({ type: 'result', id: message.id, ok: false, error: error.toJSON(), poisoned: false, usage: stopMetering(null, message, 0).usage });
    return;
  }
  const start = startMetering(message);
  let value: unknown;
  let errResult = false;
  try {
    value = await fn(...message.args);
  } catch (err) {
    if (!isComponentError(err)) {
      const { usage, signals } = stopMetering(start, message, 0);
      const { error, poisoned } = classifyGuestFailure(err, message.name, signals);
      // A poisoned instance's worker is terminated as soon as the host reads this result; what the
      // guest wrote before it (e.g. an error message, then exit(1)) is already on the port ahead.
      postAfterOutput({ type: 'result', id: message.id, ok: false, error: error.toJSON(), poisoned, usage }, poisoned);
      return;
    }
    value = err.payload;
    errResult = true;
  }
  const limit = message.maxOutputBytes ?? Number.POSITIVE_INFINITY;
  const bytesOut = payloadBytes(value, limit);
  const { usage, signals } = stopMetering(start, message, bytesOut);
  if (signals.fuelExhausted) {
    // The call finished, but its last straight-line stretch ran past the budget (see fuel-pass.ts).
    const error = new LnError('LN_ERR_BUDGET_FUEL', { call: message.name, fuel: message.fuel });
    postAfterOutput({ type: 'result', id: message.id, ok: false, error: error.toJSON(), poisoned: false, usage }, false);
  } else if (bytesOut > limit) {
    const error = new LnError('LN_ERR_BUDGET_PAYLOAD', { direction: 'result', call: message.name, size: bytesOut, limit });
    postAfterOutput({ type: 'result', id: message.id, ok: false, error: error.toJSON(), poisoned: false, usage }, false);
  } else {
    postAfterOutput({ type: 'result', id: message.id, ok: true, value, errResult, usage }, false);
  }
}

port.on('message', (message: HostToWorker) => {
  if (message.type === 'init') {
    init(message).then(
      () => postAfterOutput({ type: 'ready' }, false),
      (err: unknown) => postAfterOutput({ type: 'init-failed', error: toLnError(err).toJSON() }, true),
    );
  } else if (message.type === 'call') {
    void call(message);
  }
});
