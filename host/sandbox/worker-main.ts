/**
 * The entry point of a guest instance's worker thread. Runs only inside a worker.
 *
 * It waits for one `init` (bindings, compiled core modules, the linker that builds the imports),
 * instantiates the component, then answers `call`s one at a time. It never lets a guest failure
 * escape: every call gets a `result`. The host terminates the worker after a poisoning failure.
 */
import { parentPort } from 'node:worker_threads';
import { Script } from 'node:vm';
import { LnError, toLnError } from '../errors/ln-error.js';
import { classifyGuestFailure, isComponentError } from './guest-failure.js';
import type { CallMessage, HostToWorker, InitMessage, LinkFunction, WorkerToHost } from './protocol.js';

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: typeof WebAssembly.instantiate,
) => Promise<Record<string, unknown>>;

const port = parentPort;
if (!port) throw new Error('worker-main.js must run in a worker thread');
const post = (message: WorkerToHost): void => port.postMessage(message);

let exportsObject: Record<string, unknown> | undefined;
/** Host calls made by the running guest call, by kind; reset when a call starts. */
let hostCalls = new Map<string, number>();

async function init(message: InitMessage): Promise<void> {
  const linker = (await import(message.linker.module)) as { link: LinkFunction };
  const imports = linker.link(message.linker.config, {
    notify: (topic, payload) => post({ type: 'notify', topic, payload }),
    hostCall: (kind) => {
      const n = (hostCalls.get(kind) ?? 0) + 1;
      hostCalls.set(kind, n);
      return n;
    },
  });
  const missing = message.requiredImports.filter((name) => !(name in imports));
  if (missing.length > 0) {
    throw new LnError('LN_ERR_LINK_IMPORT_MISSING', { imports: missing.join(', ') });
  }
  const instantiate = new Script(message.bindings, { filename: `lnano-bindings/${message.subject}.js` })
    .runInThisContext() as Instantiate;
  const modules = new Map(message.modules);
  const getCoreModule = (name: string): WebAssembly.Module => {
    const mod = modules.get(name);
    if (!mod) throw new LnError('LN_ERR_LOAD_INVALID', { subject: message.subject, reason: `missing core module ${name}` });
    return mod;
  };
  try {
    exportsObject = await instantiate(getCoreModule, imports, WebAssembly.instantiate);
  } catch (err) {
    const failure = classifyGuestFailure(err, 'instantiate');
    throw new LnError('LN_ERR_GUEST_INIT', { reason: failure.error.message }, { cause: err });
  }
}

function resolve(path: readonly string[]): unknown {
  let target: unknown = exportsObject;
  for (const key of path) {
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return undefined;
    target = Object.hasOwn(target, key) ? (target as Record<string, unknown>)[key] : undefined;
  }
  return target;
}

async function call(message: CallMessage): Promise<void> {
  const fn = resolve(message.path);
  if (typeof fn !== 'function') {
    const error = new LnError('LN_ERR_LINK_EXPORT_MISSING', { name: message.name, available: 'see `lnano inspect`' });
    post({ type: 'result', id: message.id, ok: false, error: error.toJSON(), poisoned: false });
    return;
  }
  hostCalls = new Map();
  try {
    const value: unknown = await fn(...message.args);
    post({ type: 'result', id: message.id, ok: true, value, errResult: false });
  } catch (err) {
    if (isComponentError(err)) {
      post({ type: 'result', id: message.id, ok: true, value: err.payload, errResult: true });
      return;
    }
    const { error, poisoned } = classifyGuestFailure(err, message.name);
    post({ type: 'result', id: message.id, ok: false, error: error.toJSON(), poisoned });
  }
}

port.on('message', (message: HostToWorker) => {
  if (message.type === 'init') {
    init(message).then(
      () => post({ type: 'ready' }),
      (err: unknown) => post({ type: 'init-failed', error: toLnError(err).toJSON() }),
    );
  } else if (message.type === 'call') {
    void call(message);
  }
});
