// Runs the AssemblyScript compiler in a worker thread: asc calls process.exit(1) when it
// crashes, which in a worker ends only the worker, not the `lnano build` (or test) process.
// In: workerData { args, entry, entrySource }. Out: one message { core?, stderr, error? }.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

const { args, entry, entrySource } = workerData;
const asc = (await import('assemblyscript/asc')).default;
/** @type {Uint8Array | undefined} */
let core;
const stderr = asc.createMemoryStream();
const result = await asc.main(args, {
  stderr,
  readFile: async (/** @type {string} */ file, /** @type {string} */ baseDir) => {
    if (file === entry) return entrySource;
    return readFile(join(baseDir, file), 'utf8').catch(() => null);
  },
  writeFile: (/** @type {string} */ _file, /** @type {Uint8Array} */ bytes) => {
    core = bytes;
  },
  listFiles: async () => [],
});
parentPort?.postMessage({ core, stderr: stderr.toString(), error: result.error ? String(result.error.message) : undefined });
