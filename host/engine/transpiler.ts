import { Worker } from 'node:worker_threads';
import { LnError, type SerializedError } from '../errors/ln-error.js';
import { compiledModuleUrl } from '../support/compiled-url.js';
import type { DecodedComponent } from './component-type-reader.js';

/** What the engine asks the thread for: jco's transpile (see `TRANSPILE_OPTIONS` in engine.ts) or a type decode. */
export type TranspileRequest =
  | { readonly id: number; readonly op: 'transpile'; readonly bytes: Uint8Array; readonly options: Readonly<Record<string, unknown>> }
  | { readonly id: number; readonly op: 'decode'; readonly bytes: Uint8Array; readonly maxItems: number };

export type TranspileReply =
  | { readonly id: number; readonly ok: true; readonly files: Record<string, Uint8Array> }
  | { readonly id: number; readonly ok: true; readonly decoded: DecodedComponent }
  | { readonly id: number; readonly ok: false; readonly name: string; readonly message: string; readonly stderr: string; readonly error?: SerializedError };

/**
 * Defaults: the worker stops after 30 s without work (the next call starts a new one); its
 * JavaScript heap is capped at 512 MiB.
 */
export const TRANSPILER_DEFAULTS = Object.freeze({ idleMs: 30_000, memoryMb: 512 });

const WORKER_ENTRY = compiledModuleUrl('./transpile-worker.js', import.meta.url);
/** What jco's wasm says once an earlier panic has poisoned its instance. */
const POISONED = /cannot enter component instance/;

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

/** One worker thread running jco's transpiler and the type decoder, and the calls waiting on it. */
class TranspileThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  /** Set when V8 stopped the thread for passing its heap limit. */
  outOfMemory = false;

  constructor(memoryMb: number, onExit: (thread: TranspileThread) => void) {
    this.worker = new Worker(WORKER_ENTRY, {
      execArgv: [], name: 'lnano-transpiler', resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    });
    this.worker.once('exit', () => onExit(this));
    this.worker.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') this.outOfMemory = true;
      onExit(this);
    });
  }
}

/**
 * jco's transpiler and the component type decoder in a worker thread of their own, with a time
 * and a memory budget, replaced when it breaks.
 *
 * Why a thread: jco's transpiler is Rust compiled to wasm, and a malformed component can make it
 * panic (found by test/fuzz/component-bytes.test.ts: `wit-parser` hits `unreachable`). A panic
 * poisons that wasm instance for the rest of the process — every later transpile failed with
 * `cannot enter component instance` until a restart — so one bad upload broke all later deploys.
 * Here the poisoned thread is retired and the next call gets a fresh one. It also keeps decoding
 * off the thread that serves events: a 2 MB component with 50 000 exports took jco 95 s and 1 GB.
 *
 * Budgets: a call not answered within its `timeoutMs` retires the thread and fails with
 * `LN_ERR_LOAD_TOO_COMPLEX` (limit `time`); a thread whose JavaScript heap passes `memoryMb` is
 * stopped by V8 and its call fails the same way (limit `memory`). jco's own wasm memory is not
 * counted by V8's heap limit: the decoder's item limit bounds it, and the time budget stops it.
 */
export class Transpiler {
  readonly #idleMs: number;
  readonly #memoryMb: number;
  #thread: TranspileThread | undefined;
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(options: { idleMs?: number; memoryMb?: number } = {}) {
    this.#idleMs = options.idleMs ?? TRANSPILER_DEFAULTS.idleMs;
    this.#memoryMb = options.memoryMb ?? TRANSPILER_DEFAULTS.memoryMb;
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
   * The component's shape and async features (`decodeComponent`), decoded on the thread.
   *
   * @throws LnError `LN_ERR_LOAD_INVALID` (subject `<component>`), `LN_ERR_LOAD_TOO_COMPLEX`
   *   (items, time or memory)
   */
  decode(bytes: Uint8Array, maxItems: number, call: CallOptions): Promise<DecodedComponent> {
    return this.#call({ id: this.#nextId++, op: 'decode', bytes, maxItems }, call) as Promise<DecodedComponent>;
  }

  /** Stops the worker now; calls in flight fail. */
  async close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    clearTimeout(this.#idleTimer);
    if (thread) await thread.worker.terminate();
  }

  #call(request: TranspileRequest, call: CallOptions): Promise<unknown> {
    return new Promise((resolve, reject) => this.#send({ resolve, reject, request, call, retried: false }));
  }

  #send(pending: Pending): void {
    clearTimeout(this.#idleTimer);
    const thread = this.#thread ?? this.#start();
    thread.pending.set(pending.request.id, pending);
    clearTimeout(pending.timer);
    pending.timer = setTimeout(() => this.#timedOut(thread, pending), pending.call.timeoutMs);
    thread.worker.ref();
    thread.worker.postMessage(pending.request);
  }

  #start(): TranspileThread {
    const thread = new TranspileThread(this.#memoryMb, (dead) => this.#lost(dead));
    thread.worker.on('message', (reply: TranspileReply) => this.#answer(thread, reply));
    this.#thread = thread;
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
    const what = pending.request.op === 'decode' ? 'decoding its types' : 'transpiling it';
    pending.reject(new LnError('LN_ERR_LOAD_TOO_COMPLEX', {
      subject: pending.call.subject, limit: 'time',
      reason: `${what} took longer than ${pending.call.timeoutMs} ms`,
    }));
    this.#retire(thread);
  }

  #answer(thread: TranspileThread, reply: TranspileReply): void {
    const call = this.#settle(thread, reply.id);
    if (!call) return;
    if (reply.ok) {
      call.resolve('files' in reply ? reply.files : reply.decoded);
    } else if (reply.error) {
      call.reject(LnError.fromJSON(reply.error));
    } else if (reply.name === 'RuntimeError' || POISONED.test(reply.message)) {
      // The wasm transpiler trapped (a panic) or an earlier panic poisoned it: retire the thread.
      this.#retire(thread);
      if (POISONED.test(reply.message) && !call.retried) {
        call.retried = true;
        this.#send(call);
      } else {
        const panic = /panicked at [^\n]*\n([^\n]+)/.exec(reply.stderr)?.[1];
        call.reject(new Error(panic ? `the transpiler panicked: ${panic.trim()}` : `the transpiler trapped: ${reply.message}`));
      }
    } else {
      call.reject(Object.assign(new Error(reply.message), { name: reply.name }));
    }
    this.#idleCheck(thread);
  }

  /** Stops using a thread: calls still on it go to a fresh one (once). */
  #retire(thread: TranspileThread): void {
    if (this.#thread === thread) this.#thread = undefined;
    void thread.worker.terminate();
  }

  /**
   * A thread stopped: its calls go to a fresh one once. Past its heap limit, the call is refused
   * when it was alone on the thread or already retried (so it was the one that needed the memory).
   */
  #lost(thread: TranspileThread): void {
    if (this.#thread === thread) this.#thread = undefined;
    const alone = thread.pending.size === 1;
    for (const call of [...thread.pending.values()]) {
      this.#settle(thread, call.request.id);
      if (thread.outOfMemory && (alone || call.retried)) {
        call.reject(new LnError('LN_ERR_LOAD_TOO_COMPLEX', {
          subject: call.call.subject, limit: 'memory',
          reason: `${call.request.op === 'decode' ? 'decoding its types' : 'transpiling it'} needed more than the ${this.#memoryMb} MiB heap of the decode thread`,
        }));
      } else if (call.retried) {
        call.reject(new Error('the transpiler thread stopped'));
      } else {
        call.retried = true;
        this.#send(call);
      }
    }
  }

  /** With nothing in flight the thread no longer keeps the process up, and stops after `idleMs`. */
  #idleCheck(thread: TranspileThread): void {
    if (thread.pending.size > 0 || this.#thread !== thread) return;
    thread.worker.unref();
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.#retire(thread), this.#idleMs).unref();
  }
}

/** The process's transpiler, shared by every engine with the default memory budget (created on first use). */
let shared: Transpiler | undefined;
export function sharedTranspiler(): Transpiler {
  shared ??= new Transpiler();
  return shared;
}
