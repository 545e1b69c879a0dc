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
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isLnError, LnError } from '../errors/ln-error.js';
import { decodeComponent } from './component-types/component-type-reader.js';
import { type InstrumentOptions, instrumentModule } from './instrument/instrument.js';
import { restoreModules, stubComponent } from './stub-component.js';
import { TranspileCache, transpiledArtifact } from './transpile-cache.js';
import type { ComponentSource, TranspileReply, TranspileRequest } from './transpiler.js';

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
    id,
    ok: false,
    name: err instanceof Error ? err.name : 'Error',
    message: err instanceof Error ? err.message : String(err),
    stderr: stderrTail,
    ...(isLnError(err) ? { error: err.toJSON() } : {}),
  };
}

/**
 * The bytes of a component source: read from its file and checked against its digest.
 *
 * @throws LnError `LN_ERR_LOAD_INVALID` when the file's bytes do not hash to the digest
 */
function bytesOf(source: ComponentSource, subject: string): Uint8Array {
  if (source instanceof Uint8Array) return source;
  const bytes = readFileSync(source.file);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== source.digest) {
    throw new LnError('LN_ERR_LOAD_INVALID', { subject, reason: `${source.file} changed: its bytes hash to ${actual}, not ${source.digest}` });
  }
  return bytes;
}

/**
 * jco's output files. A component with large core modules is transpiled with them stubbed (see
 * stub-component.ts) and the originals put back; when jco refuses the stubbed bytes, or a stub is
 * not found in its output, the real bytes are transpiled (so a refusal is jco's word on them). A
 * trap (a panic) is not retried here: it poisons jco's instance, and the host retires the process.
 */
async function transpileFiles(bytes: Uint8Array, options: Readonly<Record<string, unknown>>): Promise<Record<string, Uint8Array>> {
  const { transpileBytes } = await import('@bytecodealliance/jco-transpile');
  const stubbed = stubComponent(bytes);
  if (stubbed) {
    try {
      const files = restoreModules((await transpileBytes(stubbed.bytes, { ...options })).files, stubbed);
      if (files) return files;
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) throw err;
    }
  }
  return (await transpileBytes(bytes, { ...options })).files;
}

async function transpile(request: Extract<TranspileRequest, { op: 'transpile' }>): Promise<void> {
  const reply: TranspileReply = { id: request.id, ok: true, files: await transpileFiles(request.bytes, request.options) };
  port!.postMessage(reply);
}

/** Each core module instrumented, by name. */
function instrumentAll(files: Readonly<Record<string, Uint8Array>>, meter: InstrumentOptions, subject: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(files)) out[name] = instrumentModule(bytes, meter, `${subject} (${name})`);
  return out;
}

/**
 * The transpile output (from the cache, or made and stored now) and with a meter its instrumented
 * modules, stored under their keys; only whether it transpiled goes back to the host.
 */
async function prepare(request: Extract<TranspileRequest, { op: 'prepare' }>): Promise<void> {
  const { store, subject } = request;
  const cache = new TranspileCache(store.cacheDir);
  let artifact = await cache.get(store.transpiledKey);
  const transpiled = artifact === undefined;
  if (!artifact) {
    artifact = transpiledArtifact(await transpileFiles(bytesOf(request.bytes, subject), request.options), String(request.options.name), subject);
    await cache.put(store.transpiledKey, artifact);
  }
  if (store.meter && store.meteredKey) {
    let modules: Record<string, Uint8Array>;
    try {
      modules = instrumentAll(Object.fromEntries(artifact.modules), store.meter, subject);
    } catch (err) {
      if (isLnError(err)) throw err;
      throw new LnError(
        'LN_ERR_LOAD_INVALID',
        { subject, reason: `instrumenting failed: ${err instanceof Error ? err.message : String(err)}` },
        { cause: err },
      );
    }
    await cache.put(store.meteredKey, { bindings: artifact.bindings, modules: new Map(Object.entries(modules)) });
  }
  port!.postMessage({ id: request.id, ok: true, transpiled } satisfies TranspileReply);
}

/** The reply to a decode or instrument request (both synchronous). */
function answerNow(request: Extract<TranspileRequest, { op: 'decode' | 'instrument' }>): void {
  try {
    if (request.op === 'decode') {
      port!.postMessage({
        id: request.id,
        ok: true,
        decoded: decodeComponent(bytesOf(request.bytes, '<component>'), { maxItems: request.maxItems }),
      } satisfies TranspileReply);
      return;
    }
    port!.postMessage({ id: request.id, ok: true, files: instrumentAll(request.files, request.meter, request.subject) } satisfies TranspileReply);
  } catch (err) {
    port!.postMessage(failure(request.id, err));
  }
}

process.on('message', (request: TranspileRequest) => {
  stderrTail = '';
  if (request.op === 'decode' || request.op === 'instrument') {
    answerNow(request);
    return;
  }
  (request.op === 'transpile' ? transpile(request) : prepare(request)).catch((err: unknown) => port.postMessage(failure(request.id, err)));
});
