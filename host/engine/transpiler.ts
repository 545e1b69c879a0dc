import { type ChildProcess, fork } from 'node:child_process';
import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LnError, type SerializedError } from '../errors/ln-error.js';
import { compiledModuleUrl } from '../support/compiled-url.js';
import type { DecodedComponent } from './component-types/component-type-reader.js';
import type { InstrumentOptions } from './instrument/instrument.js';

/**
 * What the engine asks the thread for: jco's transpile (see `TRANSPILE_OPTIONS` in engine.ts), the
 * instrumentation of core modules (`instrumentModule`, named by `subject`) or a type decode.
 */
export type TranspileRequest =
  | { readonly id: number; readonly op: 'transpile'; readonly bytes: Uint8Array; readonly options: Readonly<Record<string, unknown>> }
  | { readonly id: number; readonly op: 'instrument'; readonly files: Record<string, Uint8Array>; readonly meter: InstrumentOptions; readonly subject: string }
  | { readonly id: number; readonly op: 'decode'; readonly bytes: ComponentSource; readonly maxItems: number }
  | {
      readonly id: number;
      readonly op: 'prepare';
      readonly bytes: ComponentSource;
      readonly options: Readonly<Record<string, unknown>>;
      readonly store: PrepareStore;
      readonly subject: string;
    };

/**
 * A component's bytes, or a file holding them (a content-addressed artifact) that the process
 * reads itself and checks against `digest` (sha256, lowercase hex): 11 MB sent over IPC cost the
 * host a serialization buffer grown by `realloc`, which glibc keeps in the main arena.
 */
export type ComponentSource = Uint8Array | { readonly file: string; readonly digest: string };

/**
 * Where a `prepare` call keeps its output: the transpile cache folder, the key of the transpile
 * output and, with `meter`, the key of the instrumented output (see `Engine.cacheKey`).
 */
export interface PrepareStore {
  readonly cacheDir: string;
  readonly transpiledKey: string;
  readonly meter?: InstrumentOptions;
  readonly meteredKey?: string;
}

export type TranspileReply =
  | { readonly id: number; readonly ok: true; readonly files: Record<string, Uint8Array> }
  | { readonly id: number; readonly ok: true; readonly decoded: DecodedComponent }
  | { readonly id: number; readonly ok: true; readonly transpiled: boolean }
  | { readonly id: number; readonly ok: false; readonly name: string; readonly message: string; readonly stderr: string; readonly error?: SerializedError };

/**
 * Defaults: a transpiler process stops after 2 s without work (the next call starts a new one,
 * ~0.1 s), so the ~300 MB a seeding's transpiles leave in it go back to the OS soon after; its
 * JavaScript heap is capped at 512 MiB; up to 2 processes (1 on a single core) work side by side.
 */
export const TRANSPILER_DEFAULTS = Object.freeze({ idleMs: 2_000, memoryMb: 512, processes: Math.min(2, availableParallelism()) });

const WORKER_ENTRY = compiledModuleUrl('./transpile-worker.js', import.meta.url);
/** What jco's wasm says once an earlier panic has poisoned its instance. */
const POISONED = /cannot enter component instance/;

/** Each operation as errors name it. */
const WORK: Readonly<Record<TranspileRequest['op'], string>> = {
  transpile: 'transpiling it',
  instrument: 'instrumenting it',
  decode: 'decoding its types',
  prepare: 'transpiling and instrumenting it',
};

/** Per call: how to name the component in errors, and how long the thread may work on it. */
export interface CallOptions {
  readonly subject: string;
  /** Milliseconds from handing the call to the thread until it must have answered. */
  readonly timeoutMs: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  readonly request: TranspileRequest;
  readonly call: CallOptions;
  retried: boolean;
  timer?: NodeJS.Timeout;
}

/** What V8 prints when a process passes its heap limit. */
const HEAP_LIMIT = /heap out of memory|Reached heap limit|javascript OOM/i;

/**
 * One child process running jco's transpiler, the instrumentation and the type decoder, and the
 * calls waiting on it. A process, not a worker thread: what a transpile or an instrumentation
 * allocates outside V8's heap (jco's output, glibc's malloc arenas, ~300 MB for the five 11 MB
 * example components) stays with a thread's process for good, but goes back to the OS when a
 * child exits.
 */
class TranspileThread {
  readonly child: ChildProcess;
  readonly pending = new Map<number, Pending>();
  /** Set when V8 stopped the process for passing its heap limit. */
  outOfMemory = false;
  #stderr = '';

  constructor(memoryMb: number, onExit: (thread: TranspileThread) => void) {
    this.child = fork(fileURLToPath(WORKER_ENTRY), [], {
      execArgv: [`--max-old-space-size=${memoryMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-4096);
    });
    let gone = false;
    const exited = (): void => {
      if (gone) return;
      gone = true;
      if (HEAP_LIMIT.test(this.#stderr)) this.outOfMemory = true;
      onExit(this);
    };
    this.child.once('close', exited);
    // A failed spawn or send: the process (if any) is stopped, and 'close' reports it.
    this.child.on('error', () => (this.child.pid === undefined ? exited() : this.child.kill('SIGKILL')));
  }

  /** Whether the process keeps the host's event loop alive. */
  hold(held: boolean): void {
    for (const handle of [this.child, this.child.channel, this.child.stderr as Socket | null]) {
      if (held) handle?.ref();
      else handle?.unref();
    }
  }

  /** Kills the process; resolves once it is gone. */
  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    return gone;
  }
}

/**
 * jco's transpiler, the instrumentation and the component type decoder in child processes of
 * their own (see `TranspileThread` for why not a thread), with a time and a memory budget,
 * replaced when one breaks. Up to `processes` of them (default: 2, or 1 on a single core) work
 * side by side, one call each at a time; further calls wait in order. One call at a time per
 * process lets the first of several components finish (and start serving) first instead of all
 * of them interleaving and finishing last; two processes halve a seeding's transpile time on a
 * two-core machine (jco and the instrumentation are single-threaded).
 *
 * Why off the main thread: jco's transpiler is Rust compiled to wasm, and a malformed component can make it
 * panic (found by test/fuzz/component-bytes.test.ts: `wit-parser` hits `unreachable`). A panic
 * poisons that wasm instance for the rest of the process — every later transpile failed with
 * `cannot enter component instance` until a restart — so one bad upload broke all later deploys.
 * Here the poisoned process is retired and the next call gets a fresh one. It also keeps decoding
 * off the thread that serves events: a 2 MB component with 50 000 exports took jco 95 s and 1 GB.
 *
 * Budgets: a call not answered within its `timeoutMs` retires the process and fails with
 * `LN_ERR_LOAD_TOO_COMPLEX` (limit `time`); a process whose JavaScript heap passes `memoryMb` is
 * stopped by V8 and its call fails the same way (limit `memory`). jco's own wasm memory is not
 * counted by V8's heap limit: the decoder's item limit bounds it, and the time budget stops it.
 */
export class Transpiler {
  readonly #idleMs: number;
  readonly #memoryMb: number;
  readonly #processes: number;
  readonly #threads = new Set<TranspileThread>();
  readonly #idleTimers = new Map<TranspileThread, NodeJS.Timeout>();
  /** Calls not yet handed to a process, in order. */
  readonly #queue: Pending[] = [];
  #nextId = 1;

  constructor(options: { idleMs?: number; memoryMb?: number; processes?: number } = {}) {
    this.#idleMs = options.idleMs ?? TRANSPILER_DEFAULTS.idleMs;
    this.#memoryMb = options.memoryMb ?? TRANSPILER_DEFAULTS.memoryMb;
    this.#processes = Math.max(1, options.processes ?? TRANSPILER_DEFAULTS.processes);
  }

  /** The JavaScript heap cap of the thread, in MiB. */
  get memoryMb(): number {
    return this.#memoryMb;
  }

  /**
   * jco's output files for a component.
   *
   * @throws Error jco's own error (the engine turns it into `LN_ERR_LOAD_INVALID`); a panic's
   *   message is in it when the transpiler panicked
   * @throws LnError `LN_ERR_LOAD_TOO_COMPLEX` past the time or memory budget
   */
  transpile(bytes: Uint8Array, options: Readonly<Record<string, unknown>>, call: CallOptions): Promise<Record<string, Uint8Array>> {
    return this.#call({ id: this.#nextId++, op: 'transpile', bytes, options }, call) as Promise<Record<string, Uint8Array>>;
  }

  /**
   * Each core module instrumented (`instrumentModule`, see instrument/instrument.ts), by name. On
   * the thread because instrumenting a componentize-js module (11 MB) churns through a few times
   * its size in buffers: freed on this thread, glibc keeps most of it in the process for good.
   *
   * @throws LnError what `instrumentModule` throws (`LN_ERR_BUDGET_MEMORY`, `LN_ERR_LOAD_INVALID`),
   *   `LN_ERR_LOAD_TOO_COMPLEX` past the time or memory budget
   */
  instrument(files: Record<string, Uint8Array>, meter: InstrumentOptions, call: CallOptions): Promise<Record<string, Uint8Array>> {
    return this.#call({ id: this.#nextId++, op: 'instrument', files, meter, subject: call.subject }, call) as Promise<Record<string, Uint8Array>>;
  }

  /**
   * Transpiles a component (unless the cache holds its transpile output) and, with `store.meter`,
   * instruments its core modules, writing each output to the transpile cache in the process
   * itself: the caller reads the entry from disk as a restart does. Why: 11 MB modules sent back
   * over the IPC channel arrive as thousands of small reads that glibc keeps in the caller's main
   * arena for good (~130 MB after seeding the five componentize-js examples); a file read is one
   * large allocation, returned to the OS when freed. Resolves whether it transpiled (false: the
   * transpile output was in the cache already).
   *
   * @throws Error jco's own error, as `transpile`
   * @throws LnError what `instrument` throws, `LN_ERR_LOAD_INVALID` when jco's output has no
   *   bindings, `LN_ERR_LOAD_TOO_COMPLEX` past the time or memory budget
   */
  prepare(bytes: ComponentSource, options: Readonly<Record<string, unknown>>, store: PrepareStore, call: CallOptions): Promise<boolean> {
    return this.#call({ id: this.#nextId++, op: 'prepare', bytes, options, store, subject: call.subject }, call) as Promise<boolean>;
  }

  /**
   * The component's shape and async features (`decodeComponent`), decoded on the thread.
   *
   * @throws LnError `LN_ERR_LOAD_INVALID` (subject `<component>`), `LN_ERR_LOAD_TOO_COMPLEX`
   *   (items, time or memory)
   */
  decode(bytes: ComponentSource, maxItems: number, call: CallOptions): Promise<DecodedComponent> {
    return this.#call({ id: this.#nextId++, op: 'decode', bytes, maxItems }, call) as Promise<DecodedComponent>;
  }

  /** Stops the processes now; calls in flight fail, waiting calls go to a fresh process. */
  async close(): Promise<void> {
    const threads = [...this.#threads];
    this.#threads.clear();
    for (const timer of this.#idleTimers.values()) clearTimeout(timer);
    this.#idleTimers.clear();
    await Promise.all(threads.map((t) => t.stop()));
  }

  #call(request: TranspileRequest, call: CallOptions): Promise<unknown> {
    return new Promise((resolve, reject) => this.#send({ resolve, reject, request, call, retried: false }));
  }

  /** Queues a call (a retried one first) and hands out what can go now. */
  #send(pending: Pending, first = false): void {
    if (first) this.#queue.unshift(pending);
    else this.#queue.push(pending);
    this.#pump();
  }

  /** Hands waiting calls to idle processes, starting processes up to `processes`. */
  #pump(): void {
    while (this.#queue.length > 0) {
      let thread = [...this.#threads].find((t) => t.pending.size === 0);
      if (!thread && this.#threads.size < this.#processes) thread = this.#start();
      if (!thread) return;
      const pending = this.#queue.shift()!;
      clearTimeout(this.#idleTimers.get(thread));
      this.#idleTimers.delete(thread);
      thread.pending.set(pending.request.id, pending);
      clearTimeout(pending.timer);
      pending.timer = setTimeout(() => this.#timedOut(thread, pending), pending.call.timeoutMs);
      thread.hold(true);
      thread.child.send(pending.request);
    }
  }

  #start(): TranspileThread {
    const thread = new TranspileThread(this.#memoryMb, (dead) => this.#lost(dead));
    thread.child.on('message', (reply: TranspileReply) => this.#answer(thread, reply));
    this.#threads.add(thread);
    return thread;
  }

  #settle(thread: TranspileThread, id: number): Pending | undefined {
    const pending = thread.pending.get(id);
    if (!pending) return undefined;
    thread.pending.delete(id);
    clearTimeout(pending.timer);
    return pending;
  }

  #timedOut(thread: TranspileThread, pending: Pending): void {
    if (!this.#settle(thread, pending.request.id)) return;
    const what = WORK[pending.request.op];
    pending.reject(
      new LnError('LN_ERR_LOAD_TOO_COMPLEX', {
        subject: pending.call.subject,
        limit: 'time',
        reason: `${what} took longer than ${pending.call.timeoutMs} ms`,
      }),
    );
    this.#retire(thread);
  }

  #answer(thread: TranspileThread, reply: TranspileReply): void {
    const call = this.#settle(thread, reply.id);
    if (!call) return;
    if (reply.ok) {
      call.resolve('files' in reply ? reply.files : 'decoded' in reply ? reply.decoded : reply.transpiled);
    } else if (reply.error) {
      call.reject(LnError.fromJSON(reply.error));
    } else if (reply.name === 'RuntimeError' || POISONED.test(reply.message)) {
      // The wasm transpiler trapped (a panic) or an earlier panic poisoned it: retire the process.
      this.#retire(thread);
      if (POISONED.test(reply.message) && !call.retried) {
        call.retried = true;
        this.#send(call, true);
      } else {
        const panic = /panicked at [^\n]*\n([^\n]+)/.exec(reply.stderr)?.[1];
        call.reject(new Error(panic ? `the transpiler panicked: ${panic.trim()}` : `the transpiler trapped: ${reply.message}`));
      }
    } else {
      call.reject(Object.assign(new Error(reply.message), { name: reply.name }));
    }
    this.#idleCheck(thread);
    this.#pump();
  }

  /** Stops using a process: calls still on it go to a fresh one (once). */
  #retire(thread: TranspileThread): void {
    this.#forget(thread);
    void thread.stop();
  }

  /** Takes a process out of the set, with its idle timer. */
  #forget(thread: TranspileThread): void {
    this.#threads.delete(thread);
    clearTimeout(this.#idleTimers.get(thread));
    this.#idleTimers.delete(thread);
  }

  /**
   * A process stopped: its calls go to a fresh one once. Past its heap limit, the call is refused
   * when it was alone on the process or already retried (so it was the one that needed the memory).
   */
  #lost(thread: TranspileThread): void {
    this.#forget(thread);
    const alone = thread.pending.size === 1;
    for (const call of [...thread.pending.values()]) {
      this.#settle(thread, call.request.id);
      if (thread.outOfMemory && (alone || call.retried)) {
        call.reject(
          new LnError('LN_ERR_LOAD_TOO_COMPLEX', {
            subject: call.call.subject,
            limit: 'memory',
            reason: `${WORK[call.request.op]} needed more than the ${this.#memoryMb} MiB heap of the decode thread`,
          }),
        );
      } else if (call.retried) {
        call.reject(new Error('the transpiler thread stopped'));
      } else {
        call.retried = true;
        this.#send(call, true);
      }
    }
    this.#pump();
  }

  /** With nothing in flight a process no longer keeps the host up, and stops after `idleMs`. */
  #idleCheck(thread: TranspileThread): void {
    if (thread.pending.size > 0 || !this.#threads.has(thread) || this.#queue.length > 0) return;
    thread.hold(false);
    clearTimeout(this.#idleTimers.get(thread));
    this.#idleTimers.set(thread, setTimeout(() => this.#retire(thread), this.#idleMs).unref());
  }
}

/** The process's transpiler, shared by every engine with the default memory budget (created on first use). */
let shared: Transpiler | undefined;
export function sharedTranspiler(): Transpiler {
  shared ??= new Transpiler();
  return shared;
}
