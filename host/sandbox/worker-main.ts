/**
 * The entry point of a sandbox worker thread. Runs only inside a worker.
 *
 * One worker hosts many guest instances (see docs/sandbox.md); `GuestHost` runs them (the same
 * code hosts the main thread's inline instances). The host sends one job at a time, and the worker
 * also runs them strictly one after the other. Everything leaves through the one port, so the
 * output a guest wrote before a result reaches the host before that result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { GuestHost } from './guest-host.js';
import type { HostToWorker, SandboxWorkerData, WorkerToHost } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('worker-main.js must run in a worker thread');

const data = workerData as SandboxWorkerData;
if (data.discardStdio) {
  // A shared worker's own stdout/stderr belong to no instance (and nobody reads them).
  process.stdout.write = () => true;
  process.stderr.write = () => true;
}
const host = new GuestHost({
  deadlineFlag: new Int32Array(data.deadlineFlag),
  post: (message: WorkerToHost) => port.postMessage(message),
});

/** Jobs run strictly in order, even when an instantiation awaits. */
let chain: Promise<void> = Promise.resolve();
port.on('message', (message: HostToWorker) => {
  chain = chain.then(() => host.run(message));
});
