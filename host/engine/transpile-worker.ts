/**
 * The entry point of the transpiler's worker thread (see transpiler.ts). Runs only inside a worker.
 *
 * It answers each `{ id, op: 'transpile', bytes, options }` with jco's output files and each
 * `{ id, op: 'decode', bytes, maxItems }` with the decoded shape and async features, or the
 * error (a coded one as such). jco's transpiler is a Rust program compiled to a wasm component:
 * when a hostile component makes it panic, its instance is poisoned for good, so the host
 * retires this whole thread. jco is loaded on the first transpile, so a thread that only decodes
 * stays small.
 */
import { parentPort } from 'node:worker_threads';
import { isLnError } from '../errors/ln-error.js';
import { decodeComponent } from './component-type-reader.js';
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

function failure(id: number, err: unknown): TranspileReply {
  return {
    id, ok: false,
    name: err instanceof Error ? err.name : 'Error',
    message: err instanceof Error ? err.message : String(err),
    stderr: stderrTail,
    ...(isLnError(err) ? { error: err.toJSON() } : {}),
  };
}

async function transpile(request: Extract<TranspileRequest, { op: 'transpile' }>): Promise<void> {
  const { transpileBytes } = await import('@bytecodealliance/jco-transpile');
  const { files } = await transpileBytes(request.bytes, { ...request.options });
  const reply: TranspileReply = { id: request.id, ok: true, files };
  port!.postMessage(reply, Object.values(files).map((f) => f.buffer as ArrayBuffer));
}

port.on('message', (request: TranspileRequest) => {
  stderrTail = '';
  if (request.op === 'decode') {
    try {
      const reply: TranspileReply = { id: request.id, ok: true, decoded: decodeComponent(request.bytes, { maxItems: request.maxItems }) };
      port.postMessage(reply);
    } catch (err) {
      port.postMessage(failure(request.id, err));
    }
    return;
  }
  transpile(request).catch((err: unknown) => port.postMessage(failure(request.id, err)));
});
