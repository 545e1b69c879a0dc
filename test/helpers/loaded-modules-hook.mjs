// `node --import ./test/helpers/loaded-modules-hook.mjs ...`: when the process exits, writes every
// module file it loaded (ES modules through a load hook, CommonJS ones from the require cache),
// one per line, to the file named by LNANO_LOADED_MODULES. Resolving a package without loading it
// (require.resolve) does not count. Used by test/e2e/start-up-imports.test.ts.

import { writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

const out = process.env.LNANO_LOADED_MODULES;
const loaded = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => loaded.add(url.startsWith('file:') ? fileURLToPath(url) : url));
port1.unref();
const hooks = `let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url, { data: { port: port2 }, transferList: [port2] });

const Module = createRequire(import.meta.url)('node:module');
process.on('exit', () => {
  // Messages still queued from the hooks thread arrive synchronously here.
  for (let m; (m = receive()) !== undefined; ) loaded.add(m);
  for (const file of Object.keys(Module._cache)) loaded.add(file);
  if (out) writeFileSync(out, [...loaded].join('\n'));
});

function receive() {
  const { receiveMessageOnPort } = createRequire(import.meta.url)('node:worker_threads');
  const m = receiveMessageOnPort(port1)?.message;
  return m === undefined ? undefined : m.startsWith('file:') ? fileURLToPath(m) : m;
}
