/**
 * The typed protocol between the host (main thread) and one sandbox worker, which hosts many
 * guest instances (see docs/sandbox.md). Every message names its instance (`instance`, an id
 * the host picks).
 *
 * Host → worker: jobs, run one at a time in the order posted (the host posts a few ahead of their
 * answers): `init` (instantiate), `call`, `dispose` (drop an instance's bindings so its memories
 * are collected); jobs submitted in the same turn travel in one message (`HostToWorkerPost`). Both
 * sides number the jobs 1, 2, … in that order (no field carries it). Worker → host: `ready` or `init-failed`, one `result` per call (carrying the
 * notifications the call's host interfaces sent: one message per call each way), `disposed`,
 * and at any time `notify` messages sent outside a call, `output` (what a guest wrote to
 * stdout/stderr) and `output-dropped` (a drop summary). Everything goes over the one port, so
 * its order holds: the output a guest wrote before a result arrives before that result.
 *
 * The worker gets its job state at start (`SandboxWorkerData.jobState`, laid out by `JobState`):
 * the deadline flag deadline-instrumented guests check (they unwind, `LN_ERR_BUDGET_TIME`), set
 * for the running job when its deadline passes, never for another.
 */

import type { InstrumentOptions } from '../engine/instrument/instrument.js';
import type { SerializedError } from '../errors/ln-error.js';
import type { IncomingHttpCall } from './incoming-http-types.js';
import type { DropSummary, OutputRate, OutputStreamName } from './output-gate.js';
import type { WorkerUsage } from './usage.js';

/** Which module builds the instance's imports inside the worker, and its (cloneable) config. */
export interface LinkerSpec {
  /** A file URL of an ES module exporting `link(config, bridge): Record<string, unknown>`. */
  readonly module: string;
  readonly config: unknown;
}

/**
 * The elements of a sandbox worker's job state, an Int32Array over a SharedArrayBuffer of `SIZE`
 * elements.
 *
 * - `FLAG`: the deadline flag; nonzero: the running job is past its deadline. Guests' deadline
 *   checks read it (`deadlineImports(state)`, element 0).
 * - `RUNNING`: the number of the job the worker runs (0: none); the worker stores it when it
 *   starts a job.
 * - `EXPIRED`: the number of the last job whose deadline passed (stored by the host).
 *
 * When a job's deadline passes, the host stores its number in `EXPIRED`, then swaps `RUNNING` from
 * that number to its negative and, if the swap succeeded (the job runs), sets `FLAG`. A worker
 * starting a job stores `RUNNING`, then, if `EXPIRED` names the job, makes the same swap and sets
 * `FLAG` itself (the deadline passed before the job started). At the job's end the worker swaps
 * `RUNNING` back to 0; if that fails, the job was expired: it waits until `FLAG` is set (the other
 * side sets it right after its swap) and clears it before the next job. So the flag is only ever
 * set while the job it was meant for runs, however many jobs are posted ahead.
 */
export const JobState = Object.freeze({ FLAG: 0, RUNNING: 1, EXPIRED: 2, SIZE: 3 });

/** What a sandbox worker is started with (`workerData`). */
export interface SandboxWorkerData {
  /** The job state: `JobState.SIZE` Int32 elements over a SharedArrayBuffer (see `JobState`). */
  readonly jobState: SharedArrayBuffer;
  /**
   * Drop what is written to the worker's own `process.stdout`/`stderr` (a shared worker: such
   * writes belong to no instance; guests' output goes through `output` messages).
   */
  readonly discardStdio: boolean;
}

export interface InitMessage {
  readonly type: 'init';
  readonly instance: number;
  /** For error messages and the bindings' script file name. */
  readonly subject: string;
  readonly bindings: string;
  readonly modules: ReadonlyArray<readonly [string, WebAssembly.Module]>;
  /** The interfaces the component imports, unversioned (`wasi:cli/environment`). */
  readonly requiredImports: readonly string[];
  readonly linker: LinkerSpec;
  /** How the core modules were instrumented (`lnano` globals to supply), or null: not metered. */
  readonly meter: InstrumentOptions | null;
  /** The rate limit of the guest's stdout/stderr (see `OutputGate`); null: every byte forwarded. */
  readonly outputRate: OutputRate | null;
}

export interface CallMessage {
  readonly type: 'call';
  readonly instance: number;
  readonly id: number;
  /** For error messages: the WIT name of the export. */
  readonly name: string;
  /** Property path in the exports object. */
  readonly path: readonly string[];
  readonly args: readonly unknown[];
  /** The call's fuel budget; null: unlimited (still counted when the component is fuel-metered). */
  readonly fuel: number | null;
  /** Largest result, estimated bytes; null: no limit. */
  readonly maxOutputBytes: number | null;
  /** Time the guest's host calls and return them in `usage.hostSpans` (a traced call). */
  readonly trace?: boolean;
  /**
   * The W3C `traceparent` of the calling span (traced calls only): each outgoing HTTP request of
   * the guest carries its trace id and flags, with the id of the request's own host-call span.
   */
  readonly traceparent?: string;
  /** Most host calls of a kind this call may make (e.g. `emit`); null: no such limits. */
  readonly hostCallLimits: Readonly<Record<string, HostCallLimit>> | null;
  /**
   * A `wasi:http/incoming-handler#handle` call: the request, whose resources the worker makes
   * (`args` is empty). Absent for every other call.
   */
  readonly http?: IncomingHttpCall;
}

/**
 * A cap on one kind of host call within one guest call, enforced by the host interface that
 * counts it: past `max`, the interface refuses the call with `reason` (as a WIT error value).
 */
export interface HostCallLimit {
  readonly max: number;
  readonly reason: string;
}

/** Drops an instance: the worker forgets its bindings and memories (they are garbage-collected). */
export interface DisposeMessage {
  readonly type: 'dispose';
  readonly instance: number;
}

export type HostToWorker = InitMessage | CallMessage | DisposeMessage;
/** What one host message to a worker carries: one job, or several (posted in the same turn), in order. */
export type HostToWorkerPost = HostToWorker | readonly HostToWorker[];

export interface ReadyMessage {
  readonly type: 'ready';
  readonly instance: number;
}

export interface InitFailedMessage {
  readonly type: 'init-failed';
  readonly instance: number;
  readonly error: SerializedError;
}

/** The answer to `dispose`. */
export interface DisposedMessage {
  readonly type: 'disposed';
  readonly instance: number;
}

/** What a call's host interfaces reported while it ran, in order (sent with its result). */
export interface CallNotes {
  readonly notes?: readonly NotifyMessage[];
}

/**
 * A call's outcome, with what the worker measured of its usage. `errResult` marks a WIT `result`
 * export that returned `err(value)`; `poisoned` says the instance can take no more calls.
 */
export type ResultMessage = CallNotes &
  (
    | {
        readonly type: 'result';
        readonly instance: number;
        readonly id: number;
        readonly ok: true;
        readonly value: unknown;
        readonly errResult: boolean;
        readonly usage: WorkerUsage;
      }
    | {
        readonly type: 'result';
        readonly instance: number;
        readonly id: number;
        readonly ok: false;
        readonly error: SerializedError;
        readonly poisoned: boolean;
        readonly usage: WorkerUsage;
      }
  );

/** Something a host interface reports from inside the worker (a log line, a metric, an event). */
export interface NotifyMessage {
  readonly type: 'notify';
  /** The instance that sent it (absent inside a result's `notes`, which name it already). */
  readonly instance?: number;
  readonly topic: string;
  readonly payload: unknown;
}

/** Bytes the guest wrote to stdout or stderr (whole lines when rate-limited). */
export interface OutputMessage {
  readonly type: 'output';
  readonly instance: number;
  readonly stream: OutputStreamName;
  readonly bytes: Uint8Array;
}

/** Lines of guest output the rate limit dropped since the previous summary (one per interval). */
export interface OutputDroppedMessage {
  readonly type: 'output-dropped';
  readonly instance: number;
  readonly dropped: DropSummary;
}

export type WorkerToHost = ReadyMessage | InitFailedMessage | ResultMessage | DisposedMessage | NotifyMessage | OutputMessage | OutputDroppedMessage;

/** What a linker module gets to talk back to the host without a reply. */
export interface HostBridge {
  notify(topic: string, payload: unknown): void;
  /** Takes what the guest wrote to its stdout or stderr (`wasi:cli/stdout`, `wasi:cli/stderr`). */
  output(stream: OutputStreamName, bytes: Uint8Array): void;
  /**
   * Counts one host call of `kind` (`http`, `kv`, `log`, ...) for the running guest call's usage
   * receipt, and returns how many calls of that kind the running guest call has made so far,
   * this one included; host interfaces compare it with their per-call budgets.
   */
  hostCall(kind: string): number;
  /** The running guest call's limit on host calls of `kind` (`CallOptions.hostCallLimits`), if any. */
  hostCallLimit(kind: string): HostCallLimit | undefined;
  /** The `traceparent` an outgoing request made now carries (a traced call's HTTP host call), if any. */
  traceparent?(): string | undefined;
}

/** The contract of a linker module named in `LinkerSpec.module`. */
export type LinkFunction = (config: unknown, bridge: HostBridge) => Record<string, unknown>;
