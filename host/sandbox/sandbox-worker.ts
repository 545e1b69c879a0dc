/**
 * One sandbox worker thread as the host sees it: many guest instances, jobs run one at a time.
 *
 * Jobs (`init`, `call`, `dispose` of any of its instances) queue here and are posted in order, up
 * to `MAX_IN_FLIGHT` ahead of their answers, so the worker goes from one job to the next without
 * waiting for the host to read an answer and post the next job (the worker still runs them one
 * after the other, in the order posted, and answers them in that order). The oldest job not
 * answered yet is the one running (or about to run): its deadline clock starts when it becomes the
 * oldest (when the job before it answered, or when it is posted to an idle worker), as it did when
 * jobs were posted one at a time. When the deadline passes, the worker's deadline flag is set for
 * that job only (see `JobState`: the worker and the host agree on which job runs through shared
 * memory, so a flag meant for one job never stops the next): a deadline-instrumented guest unwinds
 * at its next check and fails alone with `LN_ERR_BUDGET_TIME`, and a backstop timer terminates the
 * whole worker if the job has not answered within the grace period (a guest stuck in a host call,
 * or one without deadline checks). A lost worker takes every instance in it: the running job's
 * instance learns it was the cause, its neighbours that the worker was recycled.
 */

import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { compiledModuleUrl } from '../support/compiled-url.js';
import { type HostToWorker, JobState, type SandboxWorkerData, type WorkerToHost } from './protocol.js';

const WORKER_ENTRY = compiledModuleUrl('./worker-main.js', import.meta.url);

/**
 * Jobs posted to a worker ahead of their answers. More lets the worker run queued calls back to
 * back; it does not change which instance a lost worker takes (all of them) or any deadline.
 */
export const MAX_IN_FLIGHT = 8;

/** How the worker was lost, as each instance in it is told. */
export interface WorkerLoss {
  /** The instance whose job was running (the cause), or false for a neighbour. */
  readonly culprit: boolean;
  /** The running job had passed its deadline (the backstop fired). */
  readonly expired: boolean;
  readonly reason: string;
}

/** An instance living in a sandbox worker: receives the messages that name it. */
export interface GuestEndpoint {
  receive(message: WorkerToHost, expired: boolean): void;
  lost(loss: WorkerLoss): void;
}

/**
 * Where instances live, as `Instance` sees it: a sandbox worker (`SandboxWorker`), or the main
 * thread itself (`InlineSandbox`). Jobs of one instance answer in the order they were submitted.
 */
export interface Sandbox {
  /** One instance only, ended with it. */
  readonly dedicated: boolean;
  /** Adds an instance; returns its id. `preemptible`: its guest checks the deadline flag. */
  attach(endpoint: GuestEndpoint, preemptible: boolean): number;
  /** Removes an instance (after its `disposed`, or when it was lost). */
  detach(id: number): void;
  /** Queues a job; its answer reaches the instance's `receive`. */
  submit(job: SandboxJob): void;
  /** Stops instance `id`'s running job as if its deadline had passed. */
  interrupt(id: number): void;
  /** Ends the sandbox (every instance in it is lost). */
  terminate(reason?: string): Promise<void>;
}

/** One job for the worker. */
export interface SandboxJob {
  readonly message: HostToWorker;
  /**
   * Wall-clock limit, ms, from when the job starts (the jobs posted before it answered); undefined:
   * none.
   */
  readonly timeoutMs?: number;
  /** Runs when the job starts (the call's clock starts): the jobs posted before it answered. */
  readonly onStart?: () => void;
  /** Runs if the job cannot be posted (e.g. arguments that cannot be cloned). */
  readonly onPostError?: (err: Error) => void;
}

/** Settings of one worker. */
export interface SandboxWorkerOptions {
  /** For the thread's name. */
  readonly name: string;
  /** After a deadline, how long a job may still take before the worker is terminated, ms. */
  readonly graceMs: number;
  /** Receives the worker's own stdout/stderr (stray writes; guests' go through `output`); absent: dropped in the worker. */
  readonly stdio?: { stdout(chunk: Buffer): void; stderr(chunk: Buffer): void };
  /** Called once when the worker is gone. */
  readonly onExit?: (worker: SandboxWorker) => void;
}

/** A job posted to the worker and not answered yet. */
interface Running {
  readonly job: SandboxJob;
  /** Its number in post order (the worker counts the messages it gets the same way), from 1. */
  readonly seq: number;
  expired: boolean;
  /** When its deadline passes (`performance.now()` ms), once it started; Infinity: none. */
  deadline: number;
  backstop: NodeJS.Timeout | undefined;
}

/** Whether a message answers a job (and so lets the next one go). */
function answers(message: WorkerToHost): boolean {
  return message.type === 'ready' || message.type === 'init-failed' || message.type === 'result' || message.type === 'disposed';
}

export class SandboxWorker implements Sandbox {
  readonly dedicated: boolean;
  readonly #worker: Worker;
  /** Shared with the worker: the deadline flag and which job runs (see `JobState`). */
  readonly #state = new Int32Array(new SharedArrayBuffer(JobState.SIZE * Int32Array.BYTES_PER_ELEMENT));
  readonly #options: SandboxWorkerOptions;
  readonly #guests = new Map<number, { endpoint: GuestEndpoint; preemptible: boolean }>();
  /** Jobs not posted yet. */
  readonly #jobs: SandboxJob[] = [];
  #jobsHead = 0;
  /** Jobs posted and not answered, oldest (the running one) first. */
  readonly #inFlight: Running[] = [];
  #posted = 0;
  /** Instances whose next call to start is stopped at once (`interrupt` before it ran). */
  readonly #interrupted = new Set<number>();
  /** A flush of the queued jobs is scheduled. */
  #flushing = false;
  /**
   * The one deadline timer (see `#arm`): armed for `#timerAt`, it checks the running job's
   * deadline when it fires, so a job that answers in time costs no timer of its own.
   */
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #nextId = 1;
  #gone = false;
  #lossReason: string | undefined;
  readonly #drained: Promise<void>;

  constructor(dedicated: boolean, options: SandboxWorkerOptions) {
    this.dedicated = dedicated;
    this.#options = options;
    const stdio = options.stdio;
    const data: SandboxWorkerData = { jobState: this.#state.buffer as SharedArrayBuffer, discardStdio: stdio === undefined };
    this.#worker = new Worker(WORKER_ENTRY, { stdout: true, stderr: true, env: {}, argv: [], execArgv: [], name: options.name, workerData: data });
    // A piped stdout keeps the process alive even when the worker is unref'd: only dedicated
    // workers (ended with their instance) pipe it; a shared one drops such writes inside.
    this.#drained = stdio
      ? Promise.all([pipe(this.#worker.stdout, (c) => stdio.stdout(c)), pipe(this.#worker.stderr, (c) => stdio.stderr(c))]).then(() => undefined)
      : Promise.resolve();
    this.#worker.on('message', (message: WorkerToHost) => this.#receive(message));
    this.#worker.on('error', (err) => {
      this.#lossReason ??= err instanceof Error ? err.message : String(err);
    });
    this.#worker.on('exit', (code) => this.#exited(code));
  }

  /** Instances living here. */
  get size(): number {
    return this.#guests.size;
  }

  /** Whether the worker can take instances. */
  get alive(): boolean {
    return !this.#gone;
  }

  /**
   * Adds an instance; returns its id. `preemptible`: its guest checks the deadline flag (else a
   * passed deadline terminates the worker at once).
   */
  attach(endpoint: GuestEndpoint, preemptible: boolean): number {
    const id = this.#nextId++;
    this.#guests.set(id, { endpoint, preemptible });
    if (this.#guests.size === 1) this.#worker.ref();
    return id;
  }

  /** Removes an instance (after its `disposed`, or when it was lost). An empty worker does not keep the process alive. */
  detach(id: number): void {
    this.#guests.delete(id);
    this.#interrupted.delete(id);
    if (this.#guests.size === 0) this.#worker.unref();
  }

  /** Queues a job; it is posted once fewer than `MAX_IN_FLIGHT` jobs await their answers. */
  submit(job: SandboxJob): void {
    this.#jobs.push(job);
    this.#pump();
  }

  /**
   * Stops instance `id`'s call as if its deadline had passed (the deadline flag, the backstop after
   * the grace period): at once when it runs, else when its turn comes (it may still wait in this
   * queue or in the worker's). For disposing an instance mid-call.
   */
  interrupt(id: number): void {
    const running = this.#inFlight[0];
    if (running && !running.expired && running.job.message.instance === id) {
      this.#expire(running);
    } else {
      this.#interrupted.add(id);
    }
  }

  /** Terminates the worker (every instance in it is lost); resolves when its output is drained. */
  async terminate(reason = 'the worker was stopped'): Promise<void> {
    this.#lossReason ??= reason;
    await this.#worker.terminate();
    await this.#drained;
  }

  #pump(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    // An idle worker gets the jobs of this tick (the plugins of one event level) at once. A busy
    // one cannot start them before its running job answers: they wait for the end of this turn
    // of the event loop, so the jobs of every request read in the same poll leave in one message
    // (one wake-up of the worker, one structured-clone round instead of one per request).
    if (this.#inFlight.length === 0) queueMicrotask(this.#flush);
    else setImmediate(this.#flush);
  }

  readonly #flush = (): void => {
    this.#flushing = false;
    this.#post();
  };

  /** Posts the queued jobs the in-flight cap allows, several in one message. */
  #post(): void {
    const room = MAX_IN_FLIGHT - this.#inFlight.length;
    if (this.#gone || room <= 0 || this.#jobsHead >= this.#jobs.length) return;
    const batch = this.#jobs.slice(this.#jobsHead, this.#jobsHead + room);
    this.#jobsHead += batch.length;
    if (this.#jobsHead >= this.#jobs.length) {
      this.#jobs.length = 0;
      this.#jobsHead = 0;
    }
    if (batch.length > 1) {
      try {
        this.#worker.postMessage(batch.map((job) => job.message));
        for (const job of batch) this.#track(job);
        return;
      } catch {
        // One of them cannot be cloned: post them one by one, so only that one fails.
      }
    }
    for (const job of batch) {
      try {
        this.#worker.postMessage(job.message);
      } catch (err) {
        job.onPostError?.(err as Error);
        continue;
      }
      this.#track(job);
    }
  }

  /** A job was posted: it awaits its answer (and starts now if it is the only one). */
  #track(job: SandboxJob): void {
    const running: Running = { job, seq: ++this.#posted, expired: false, deadline: Number.POSITIVE_INFINITY, backstop: undefined };
    this.#inFlight.push(running);
    if (this.#inFlight.length === 1) this.#begin(running);
  }

  /** The job became the oldest one posted: it runs now (or as soon as the worker reads it); its clock starts. */
  #begin(running: Running): void {
    running.job.onStart?.();
    const { message } = running.job;
    if (message.type === 'call' && this.#interrupted.delete(message.instance)) {
      this.#expire(running);
      return;
    }
    const timeoutMs = running.job.timeoutMs;
    if (timeoutMs !== undefined) {
      running.deadline = performance.now() + timeoutMs;
      this.#arm(running.deadline);
    }
  }

  /**
   * Makes sure the deadline timer fires by `at`. A timer armed for earlier stays (when it fires it
   * re-arms for the deadline of the job then running); one armed for later is replaced. Unref'd:
   * while a call runs, its worker (which has instances) keeps the process alive.
   */
  #arm(at: number): void {
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(this.#onTimer, Math.max(1, at - performance.now()));
    this.#timer.unref();
  }

  /** The deadline timer fired: the running job is expired if its deadline passed, else the timer waits for it. */
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const running = this.#inFlight[0];
    if (!running || running.expired || running.deadline === Number.POSITIVE_INFINITY) return;
    if (running.deadline <= performance.now()) this.#expire(running);
    else this.#arm(running.deadline);
  };

  /**
   * The running job's deadline passed: the deadline flag is set for that job only (the worker sets
   * it itself if it had not started the job yet, see `JobState`), and the backstop armed.
   */
  #expire(running: Running): void {
    if (this.#inFlight[0] !== running || running.expired) return;
    running.expired = true;
    const state = this.#state;
    const seq = running.seq;
    Atomics.store(state, JobState.EXPIRED, seq);
    if (Atomics.compareExchange(state, JobState.RUNNING, seq, -seq) === seq) {
      Atomics.store(state, JobState.FLAG, 1);
      Atomics.notify(state, JobState.FLAG);
    }
    const guest = this.#guests.get(running.job.message.instance);
    const grace = guest?.preemptible ? this.#options.graceMs : 0;
    const stop = (): void => {
      if (this.#inFlight[0] !== running) return;
      this.#lossReason ??= 'a guest ran past its deadline and did not stop at its deadline check';
      void this.#worker.terminate();
    };
    if (grace <= 0) stop();
    else running.backstop = setTimeout(stop, grace);
  }

  #receive(message: WorkerToHost): void {
    const running = this.#inFlight[0];
    let expired = false;
    if (running && answers(message) && running.job.message.instance === message.instance) {
      clearTimeout(running.backstop);
      expired = running.expired;
      this.#inFlight.shift();
      const next = this.#inFlight[0];
      if (next) this.#begin(next);
    }
    this.#guests.get(message.instance ?? 0)?.endpoint.receive(message, expired);
    this.#pump();
  }

  #exited(code: number): void {
    if (this.#gone) return;
    this.#gone = true;
    const running = this.#inFlight[0];
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const r of this.#inFlight) clearTimeout(r.backstop);
    this.#inFlight.length = 0;
    this.#jobs.length = 0;
    this.#jobsHead = 0;
    const reason = this.#lossReason ?? `the worker exited with code ${code}`;
    const guests = [...this.#guests];
    this.#guests.clear();
    this.#options.onExit?.(this);
    void this.#drained.then(() => {
      for (const [id, { endpoint }] of guests) {
        const culprit = running?.job.message.instance === id;
        endpoint.lost({ culprit, expired: culprit && running!.expired, reason: culprit || this.dedicated ? reason : `worker recycled (${reason})` });
      }
    });
  }
}

/** Forwards a worker's output stream; resolves when the stream has ended. */
function pipe(stream: Readable, sink: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => sink(chunk));
    stream.on('error', () => resolve());
    stream.on('close', () => resolve());
    stream.on('end', () => resolve());
  });
}
