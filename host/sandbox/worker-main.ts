/**
 * The entry point of a sandbox worker thread. Runs only inside a worker.
 *
 * One worker hosts many guest instances (see docs/sandbox.md); `GuestHost` runs them (the same
 * code hosts the main thread's inline instances). The host may post several jobs ahead; the worker
 * runs them strictly one after the other, in the order they arrive, and keeps the job state (which
 * job runs, the deadline flag; see `JobState`) in step. Everything leaves through the one port, so
 * the output a guest wrote before a result reaches the host before that result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { GuestHost } from './guest-host.js';
import { type HostToWorker, type HostToWorkerPost, JobState, type SandboxWorkerData, type WorkerToHost } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('worker-main.js must run in a worker thread');

const data = workerData as SandboxWorkerData;
if (data.discardStdio) {
  // A shared worker's own stdout/stderr belong to no instance (and nobody reads them).
  process.stdout.write = () => true;
  process.stderr.write = () => true;
}
const state = new Int32Array(data.jobState);
const host = new GuestHost({
  deadlineFlag: state,
  post: (message: WorkerToHost) => port.postMessage(message),
});

/** Runs job number `seq` with the job state kept in step (see `JobState`). */
async function run(seq: number, message: HostToWorker): Promise<void> {
  Atomics.store(state, JobState.RUNNING, seq);
  if (Atomics.load(state, JobState.EXPIRED) === seq && Atomics.compareExchange(state, JobState.RUNNING, seq, -seq) === seq) {
    Atomics.store(state, JobState.FLAG, 1);
  }
  try {
    await host.run(message);
  } finally {
    if (Atomics.compareExchange(state, JobState.RUNNING, seq, 0) !== seq) {
      // Expired: the side that swapped RUNNING sets the flag right after; clear it for the next job.
      while (Atomics.load(state, JobState.FLAG) === 0) Atomics.wait(state, JobState.FLAG, 0, 1);
      Atomics.store(state, JobState.FLAG, 0);
      Atomics.store(state, JobState.RUNNING, 0);
    }
  }
}

/** Jobs run strictly in order, even when an instantiation awaits. */
let chain: Promise<void> = Promise.resolve();
let received = 0;
port.on('message', (message: HostToWorkerPost) => {
  for (const job of Array.isArray(message) ? message : [message as HostToWorker]) {
    const seq = ++received;
    chain = chain.then(() => run(seq, job));
  }
});
