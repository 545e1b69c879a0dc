import { Worker } from 'node:worker_threads';
import { compiledModuleUrl } from '../support/compiled-url.js';

/** What the engine asks jco for (see `TRANSPILE_OPTIONS` in engine.ts). */
export interface TranspileRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly options: Readonly<Record<string, unknown>>;
}

export type TranspileReply =
  | { readonly id: number; readonly ok: true; readonly files: Record<string, Uint8Array> }
  | { readonly id: number; readonly ok: false; readonly name: string; readonly message: string; readonly stderr: string };

/** Defaults: the worker stops after 30 s without work (the next transpile starts a new one). */
export const TRANSPILER_DEFAULTS = Object.freeze({ idleMs: 30_000 });

const WORKER_ENTRY = compiledModuleUrl('./transpile-worker.js', import.meta.url);
/** What jco's wasm says once an earlier panic has poisoned its instance. */
const POISONED = /cannot enter component instance/;

interface Pending {
  resolve(files: Record<string, Uint8Array>): void;
  reject(err: Error): void;
  readonly request: TranspileRequest;
  retried: boolean;
}

/** One worker thread running jco's transpiler, and the calls waiting on it. */
class TranspileThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();

  constructor(onExit: (thread: TranspileThread) => void) {
    this.worker = new Worker(WORKER_ENTRY, { execArgv: [], name: 'lnano-transpiler' });
    this.worker.once('exit', () => onExit(this));
    this.worker.once('error', () => onExit(this));
  }
}

/**
 * jco's transpiler in a worker thread of its own, replaced when it breaks.
 *
 * Why a thread: jco's transpiler is Rust compiled to wasm, and a malformed component can make it
 * panic (found by test/fuzz/component-bytes.test.ts: `wit-parser` hits `unreachable`). A panic
 * poisons that wasm instance for the rest of the process — every later transpile failed with
 * `cannot enter component instance` until a restart — so one bad upload broke all later deploys.
 * Here the poisoned thread is retired and the next call gets a fresh one. It also keeps a 1 s
 * transpile of a large component off the thread that serves events.
 */
export class Transpiler {
  readonly #idleMs: number;
  #thread: TranspileThread | undefined;
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(options: { idleMs?: number } = {}) {
    this.#idleMs = options.idleMs ?? TRANSPILER_DEFAULTS.idleMs;
  }

  /**
   * jco's output files for a component.
   *
   * @throws Error jco's own error (the engine turns it into `LN_ERR_LOAD_INVALID`); a panic's
   *   message is in it when the transpiler panicked
   */
  transpile(bytes: Uint8Array, options: Readonly<Record<string, unknown>>): Promise<Record<string, Uint8Array>> {
    return new Promise((resolve, reject) => {
      const request: TranspileRequest = { id: this.#nextId++, bytes, options };
      this.#send({ resolve, reject, request, retried: false });
    });
  }

  /** Stops the worker now; calls in flight fail. */
  async close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    clearTimeout(this.#idleTimer);
    if (thread) await thread.worker.terminate();
  }

  #send(call: Pending): void {
    clearTimeout(this.#idleTimer);
    const thread = this.#thread ?? this.#start();
    thread.pending.set(call.request.id, call);
    thread.worker.ref();
    thread.worker.postMessage(call.request);
  }

  #start(): TranspileThread {
    const thread = new TranspileThread((dead) => this.#lost(dead));
    thread.worker.on('message', (reply: TranspileReply) => this.#answer(thread, reply));
    this.#thread = thread;
    return thread;
  }

  #answer(thread: TranspileThread, reply: TranspileReply): void {
    const call = thread.pending.get(reply.id);
    if (!call) return;
    thread.pending.delete(reply.id);
    if (reply.ok) {
      call.resolve(reply.files);
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

  #lost(thread: TranspileThread): void {
    if (this.#thread === thread) this.#thread = undefined;
    for (const call of thread.pending.values()) {
      if (call.retried) call.reject(new Error('the transpiler thread stopped'));
      else {
        call.retried = true;
        this.#send(call);
      }
    }
    thread.pending.clear();
  }

  /** With nothing in flight the thread no longer keeps the process up, and stops after `idleMs`. */
  #idleCheck(thread: TranspileThread): void {
    if (thread.pending.size > 0 || this.#thread !== thread) return;
    thread.worker.unref();
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.#retire(thread), this.#idleMs).unref();
  }
}

/** The process's transpiler, shared by every engine (created on first use). */
let shared: Transpiler | undefined;
export function sharedTranspiler(): Transpiler {
  shared ??= new Transpiler();
  return shared;
}
