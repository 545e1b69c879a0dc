/**
 * One sandbox worker thread as the host sees it: many guest instances, one job at a time.
 *
 * Jobs (`init`, `call`, `dispose` of any of its instances) queue here and are posted one after the
 * other, each when the previous one answered, so the host always knows which job runs. A job with
 * a deadline arms a timer: when it fires, the worker's deadline flag is set (a deadline-instrumented
 * guest unwinds at its next check and fails alone with `LN_ERR_BUDGET_TIME`), and a backstop timer
 * terminates the whole worker if the job has not answered within the grace period (a guest stuck
 * in a host call, or one without deadline checks). A lost worker takes every instance in it: the
 * running job's instance learns it was the cause, its neighbours that the worker was recycled.
 */
import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import { compiledModuleUrl } from '../support/compiled-url.js';
import type { HostToWorker, SandboxWorkerData, WorkerToHost } from './protocol.js';

const WORKER_ENTRY = compiledModuleUrl('./worker-main.js', import.meta.url);

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
  /** Wall-clock limit, ms, from when the job is posted; undefined: none. */
  readonly timeoutMs?: number;
  /** Runs when the job is posted (the call's clock starts). */
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

interface Running {
  readonly job: SandboxJob;
  expired: boolean;
  timer: NodeJS.Timeout | undefined;
  backstop: NodeJS.Timeout | undefined;
}

/** Whether a message answers a job (and so lets the next one go). */
function answers(message: WorkerToHost): boolean {
  return message.type === 'ready' || message.type === 'init-failed' || message.type === 'result' || message.type === 'disposed';
}

export class SandboxWorker implements Sandbox {
  readonly dedicated: boolean;
  readonly #worker: Worker;
  readonly #flag = new Int32Array(new SharedArrayBuffer(4));
  readonly #options: SandboxWorkerOptions;
  readonly #guests = new Map<number, { endpoint: GuestEndpoint; preemptible: boolean }>();
  readonly #jobs: SandboxJob[] = [];
  #running: Running | undefined;
  #nextId = 1;
  #gone = false;
  #lossReason: string | undefined;
  readonly #drained: Promise<void>;

  constructor(dedicated: boolean, options: SandboxWorkerOptions) {
    this.dedicated = dedicated;
    this.#options = options;
    const stdio = options.stdio;
    const data: SandboxWorkerData = { deadlineFlag: this.#flag.buffer as SharedArrayBuffer, discardStdio: stdio === undefined };
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
    if (this.#guests.size === 0) this.#worker.unref();
  }

  /** Queues a job; it is posted when the jobs before it answered. */
  submit(job: SandboxJob): void {
    this.#jobs.push(job);
    this.#pump();
  }

  /**
   * Stops the running job if it is instance `id`'s, as if its deadline had passed (the deadline
   * flag now, the backstop after the grace period): for disposing an instance mid-call.
   */
  interrupt(id: number): void {
    const running = this.#running;
    if (!running || running.expired || running.job.message.instance !== id) return;
    clearTimeout(running.timer);
    this.#expire(running);
  }

  /** Terminates the worker (every instance in it is lost); resolves when its output is drained. */
  async terminate(reason = 'the worker was stopped'): Promise<void> {
    this.#lossReason ??= reason;
    await this.#worker.terminate();
    await this.#drained;
  }

  #pump(): void {
    if (this.#running || this.#gone) return;
    const job = this.#jobs.shift();
    if (!job) return;
    const running: Running = { job, expired: false, timer: undefined, backstop: undefined };
    this.#running = running;
    Atomics.store(this.#flag, 0, 0);
    job.onStart?.();
    try {
      this.#worker.postMessage(job.message);
    } catch (err) {
      this.#running = undefined;
      job.onPostError?.(err as Error);
      this.#pump();
      return;
    }
    if (job.timeoutMs !== undefined) running.timer = setTimeout(() => this.#expire(running), job.timeoutMs);
  }

  #expire(running: Running): void {
    if (this.#running !== running) return;
    running.expired = true;
    Atomics.store(this.#flag, 0, 1);
    const guest = this.#guests.get(running.job.message.instance);
    const grace = guest?.preemptible ? this.#options.graceMs : 0;
    const stop = (): void => {
      if (this.#running !== running) return;
      this.#lossReason ??= 'a guest ran past its deadline and did not stop at its deadline check';
      void this.#worker.terminate();
    };
    if (grace <= 0) stop();
    else running.backstop = setTimeout(stop, grace);
  }

  #receive(message: WorkerToHost): void {
    const running = this.#running;
    let expired = false;
    if (running && answers(message) && running.job.message.instance === message.instance) {
      clearTimeout(running.timer);
      clearTimeout(running.backstop);
      expired = running.expired;
      this.#running = undefined;
    }
    this.#guests.get(message.instance ?? 0)?.endpoint.receive(message, expired);
    this.#pump();
  }

  #exited(code: number): void {
    if (this.#gone) return;
    this.#gone = true;
    const running = this.#running;
    this.#running = undefined;
    if (running) {
      clearTimeout(running.timer);
      clearTimeout(running.backstop);
    }
    this.#jobs.length = 0;
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
