/**
 * The entry point of the transpiler's worker thread (see transpiler.ts). Runs only inside a worker.
 *
 * It answers each `{ id, bytes, options }` with jco's output files or the error's name and message.
 * jco's transpiler is a Rust program compiled to a wasm component: when a hostile component makes
 * it panic, its instance is poisoned for good, so the host retires this whole thread.
 */
import { parentPort } from 'node:worker_threads';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import type { TranspileReply, TranspileRequest } from './transpiler.js';

const port = parentPort;
if (!port) throw new Error('transpile-worker.js must run in a worker thread');

/**
 * What jco writes to stderr (a Rust panic's message) is kept here and sent with the failure, not
 * printed: piping the worker's stderr to the host instead would keep the host process alive.
 */
let stderrTail = '';
process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
  stderrTail = (stderrTail + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))).slice(-4096);
  const done = rest.find((r): r is () => void => typeof r === 'function');
  done?.();
  return true;
}) as typeof process.stderr.write;

port.on('message', (request: TranspileRequest) => {
  stderrTail = '';
  transpileBytes(request.bytes, { ...request.options }).then(
    ({ files }) => {
      const reply: TranspileReply = { id: request.id, ok: true, files };
      port.postMessage(reply, Object.values(files).map((f) => f.buffer as ArrayBuffer));
    },
    (err: unknown) => {
      const reply: TranspileReply = {
        id: request.id, ok: false,
        name: err instanceof Error ? err.name : 'Error',
        message: err instanceof Error ? err.message : String(err),
        stderr: stderrTail,
      };
      port.postMessage(reply);
    },
  );
});
