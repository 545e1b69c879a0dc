/**
 * The deadline watchdog of inline instances (see docs/sandbox.md, "Inline instances").
 *
 * An inline guest runs on the main thread, where no timer can fire while it runs; a small worker
 * thread (`watchdog-main.ts`) therefore sets the deadline flag the guest's checks read when the
 * running call's deadline passes. Per call, the main thread only stores into a SharedArrayBuffer:
 * `arm` writes the deadline and a call token, `disarm` swaps the token back out (no syscall, no
 * message), except for the first call after an idle spell, which wakes the sleeping watchdog.
 *
 * The flag is only ever set for a call that is still running: the watchdog first claims the call
 * (its token, compare-and-swapped to its negation), then sets the flag; `disarm` that finds its
 * call claimed waits for the flag (the watchdog's next store) and clears it. So a deadline that
 * passes just as a call returns never leaks into the next call.
 *
 * The watchdog notices a call within `tickMs` of its deadline (plus scheduling); it does not keep
 * the process alive.
 */
import { Worker } from 'node:worker_threads';
import { compiledModuleUrl } from '../support/compiled-url.js';

const WATCHDOG_ENTRY = compiledModuleUrl('./watchdog-main.js', import.meta.url);
/** This thread's time origin: epoch ms = `TIME_ORIGIN + performance.now()` on every thread. */
const TIME_ORIGIN = performance.timeOrigin;

/** Layout of the control buffer: Int32 words `run`, `asleep`; Float64 word `deadline`. */
export const CONTROL = Object.freeze({
  /** Int32: token of the running call (> 0), 0: none, < 0: the watchdog claimed it (past its deadline). */
  run: 0,
  /** Int32: 1 while the watchdog sleeps until notified. */
  asleep: 1,
  /** Float64 index: the running call's deadline, epoch ms (`performance.timeOrigin + now()`). */
  deadline: 1,
  bytes: 16,
});

/** What the watchdog thread is started with. */
export interface WatchdogData {
  readonly control: SharedArrayBuffer;
  readonly flag: SharedArrayBuffer;
  readonly tickMs: number;
  readonly idleMs: number;
}

/** Settings of a watchdog. */
export interface WatchdogOptions {
  /** How often the watchdog looks at the running call while calls come, ms. Default 5. */
  readonly tickMs?: number;
  /** After this long without an inline call the watchdog sleeps until the next one, ms. Default 1000. */
  readonly idleMs?: number;
}

/** Defaults: a look every 5 ms while calls come; asleep after 1 s without one. */
export const WATCHDOG_DEFAULTS = Object.freeze({ tickMs: 5, idleMs: 1000 });

export class Watchdog {
  /** The deadline flag of the inline guests (an Int32Array over a SharedArrayBuffer). */
  readonly flag = new Int32Array(new SharedArrayBuffer(4));
  readonly #control = new Int32Array(new SharedArrayBuffer(CONTROL.bytes));
  readonly #deadline = new Float64Array(this.#control.buffer);
  readonly #options: Required<WatchdogOptions>;
  #worker: Worker | undefined;
  /** Resolves when the current thread runs (or failed to start). */
  #online: Promise<void> | undefined;
  #token = 0;

  constructor(options: WatchdogOptions = {}) {
    this.#options = { ...WATCHDOG_DEFAULTS, ...options };
  }

  /**
   * Watches the call about to run: its deadline is `timeoutMs` from `now` (`performance.now()`,
   * default: now). Pair with `disarm` when the call returned (the flag is clear at this point).
   */
  arm(timeoutMs: number, now = performance.now()): void {
    this.#worker ??= this.#start();
    this.#token = this.#token >= 0x3fffffff ? 1 : this.#token + 1;
    this.#deadline[CONTROL.deadline] = TIME_ORIGIN + now + timeoutMs;
    Atomics.store(this.#control, CONTROL.run, this.#token);
    if (Atomics.load(this.#control, CONTROL.asleep) === 1) {
      Atomics.store(this.#control, CONTROL.asleep, 0);
      Atomics.notify(this.#control, CONTROL.asleep);
    }
  }

  /** Ends the armed call; true if the watchdog stopped it (its deadline passed). The flag is clear afterwards. */
  disarm(): boolean {
    if (Atomics.exchange(this.#control, CONTROL.run, 0) >= 0) return false;
    // Claimed: the watchdog's very next step sets the flag (bounded, in case its thread died in between).
    for (let spins = 0; Atomics.load(this.flag, 0) === 0 && spins < 10_000_000; spins++);
    Atomics.store(this.flag, 0, 0);
    return true;
  }

  /**
   * Starts the watchdog thread if it is not running; resolves once it runs (calls armed before
   * that are only watched from then on).
   */
  start(): Promise<void> {
    this.#worker ??= this.#start();
    return this.#online!;
  }

  /** Ends the watchdog thread (a new one starts with the next `arm`). */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #start(): Worker {
    const data: WatchdogData = { control: this.#control.buffer as SharedArrayBuffer, flag: this.flag.buffer as SharedArrayBuffer, ...this.#options };
    const worker = new Worker(WATCHDOG_ENTRY, {
      env: {},
      argv: [],
      execArgv: [],
      name: 'lnano-inline-watchdog',
      workerData: data,
      stdout: false,
      stderr: false,
    });
    // Referenced until it runs (someone awaits `start`), then it never keeps the process alive.
    this.#online = new Promise((resolve) => {
      worker.once('online', () => {
        worker.unref();
        resolve();
      });
      worker.once('error', () => resolve());
    });
    worker.on('error', () => {
      if (this.#worker === worker) this.#worker = undefined;
    });
    return worker;
  }
}
