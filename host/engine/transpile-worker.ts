/**
 * The entry point of the transpiler's child process (see transpiler.ts). Runs only as a forked child.
 *
 * It answers each `{ id, op: 'transpile', bytes, options }` with jco's output files and each
 * `{ id, op: 'decode', bytes, maxItems }` with the decoded shape and async features, or the
 * error (a coded one as such). jco's transpiler is a Rust program compiled to a wasm component:
 * when a hostile component makes it panic, its instance is poisoned for good, so the host
 * retires this whole process. jco is loaded on the first transpile, so a process that only decodes
 * stays small.
 */
import { isLnError } from '../errors/ln-error.js';
import { decodeComponent } from './component-type-reader.js';
import { instrumentModule } from './instrument/instrument.js';
import type { TranspileReply, TranspileRequest } from './transpiler.js';

const port = process.send ? { postMessage: (reply: TranspileReply): void => void process.send!(reply) } : undefined;
if (!port) throw new Error('transpile-worker.js must run in a child process with an IPC channel');
process.on('disconnect', () => process.exit(0));

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
  port!.postMessage(reply);
}

/** The reply to a decode or instrument request (both synchronous). */
function answerNow(request: Exclude<TranspileRequest, { op: 'transpile' }>): void {
  try {
    if (request.op === 'decode') {
      port!.postMessage({ id: request.id, ok: true, decoded: decodeComponent(request.bytes, { maxItems: request.maxItems }) } satisfies TranspileReply);
      return;
    }
    const files: Record<string, Uint8Array> = {};
    for (const [name, bytes] of Object.entries(request.files)) files[name] = instrumentModule(bytes, request.meter, `${request.subject} (${name})`);
    port!.postMessage({ id: request.id, ok: true, files } satisfies TranspileReply);
  } catch (err) {
    port!.postMessage(failure(request.id, err));
  }
}

process.on('message', (request: TranspileRequest) => {
  stderrTail = '';
  if (request.op !== 'transpile') {
    answerNow(request);
    return;
  }
  transpile(request).catch((err: unknown) => port.postMessage(failure(request.id, err)));
});
