/**
 * preview2-shim's own `wasi:io/streams` `InputStream` / `OutputStream` over a file this module
 * opened safely.
 *
 * The guest's `wasi:io/streams` import is the shim's, and jco's bindings check `instanceof`
 * against its classes, so `read-via-stream` and friends must return the shim's streams. Those
 * run in the shim's I/O worker thread on a file resource it opened itself. We hand it our file
 * by reopening `/proc/self/fd/<fd>`: the kernel follows that magic link to the very file we
 * opened (the I/O worker is a thread of this process), so no path is resolved a second time.
 *
 * `ioCall` and the call numbers are internals of the shim, not in its package's export map: they
 * are imported by file URL, next to the shim's resolved entry point. The shim's version is pinned
 * (`overrides` in package.json); the check below fails loudly at load if its layout moves.
 */

import { constants } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as shim from '@bytecodealliance/preview2-shim';
import type { FdBudget } from './fd-budget.js';
import { procPath } from './path-walker.js';

interface ShimWorkerIo {
  ioCall(call: number, id: number | null, payload: unknown): unknown;
  inputStreamCreate(type: number, id: unknown): object;
  outputStreamCreate(type: number, id: unknown): object;
  streams: { InputStream: unknown; OutputStream: unknown };
}

interface ShimCalls {
  FILE: number;
  INPUT_STREAM_CREATE: number;
  OUTPUT_STREAM_CREATE: number;
  FILESYSTEM_DESCRIPTOR_OPEN: number;
  FILESYSTEM_DESCRIPTOR_CLOSE: number;
}

const shimEntry = pathToFileURL(createRequire(import.meta.url).resolve('@bytecodealliance/preview2-shim'));
const workerIo = (await import(new URL('../io/worker-io.js', shimEntry).href)) as ShimWorkerIo;
const calls = (await import(new URL('../io/calls.js', shimEntry).href)) as ShimCalls;

const publicStreams = (shim as unknown as { io: { streams: ShimWorkerIo['streams'] } }).io.streams;
if (workerIo.streams.InputStream !== publicStreams.InputStream || typeof calls.FILESYSTEM_DESCRIPTOR_OPEN !== 'number') {
  throw new Error('preview2-shim internals moved: dist/io/worker-io.js is not the module behind its wasi:io/streams');
}

/** Gives a stream's open-file count back when the guest drops it, or when it is garbage. */
const uncounted = new FinalizationRegistry<FdBudget>((budget) => budget.release());

/** Counts `stream` in `budget` until it is disposed (jco disposes it when the guest drops it). */
function counted(stream: object, budget: FdBudget): object {
  const dispose = (stream as { [Symbol.dispose]: () => void })[Symbol.dispose];
  uncounted.register(stream, budget, stream);
  Object.defineProperty(stream, Symbol.dispose, {
    value: () => {
      if (uncounted.unregister(stream)) budget.release();
      dispose.call(stream);
    },
  });
  return stream;
}

/** Opens our file `fd` again in the shim's I/O worker; returns its file resource id. */
function reopen(fd: number, flags: number): number {
  const { id } = workerIo.ioCall(calls.FILESYSTEM_DESCRIPTOR_OPEN, null, { path: procPath(fd), flags }) as { id: number };
  return id;
}

/**
 * A shim `InputStream` reading the file `fd` from `offset`, counted in `budget` while open.
 * @throws `insufficient-memory` past the budget, or the Node error of the reopen (the caller
 *   maps it to an `error-code`)
 */
export function fileInputStream(fd: number, offset: bigint, budget: FdBudget): unknown {
  return withBudget(budget, () => {
    const id = reopen(fd, constants.O_RDONLY);
    try {
      return workerIo.inputStreamCreate(calls.FILE, workerIo.ioCall(calls.INPUT_STREAM_CREATE | calls.FILE, null, { descriptorId: id, offset }));
    } finally {
      // The stream holds its own reference to the file resource and closes it when dropped.
      workerIo.ioCall(calls.FILESYSTEM_DESCRIPTOR_CLOSE, id, null);
    }
  });
}

/**
 * A shim `OutputStream` writing the file `fd` from `offset`, counted in `budget` while open.
 * @throws like {@link fileInputStream}
 */
export function fileOutputStream(fd: number, offset: bigint, budget: FdBudget): unknown {
  return withBudget(budget, () => {
    const id = reopen(fd, constants.O_WRONLY);
    try {
      return workerIo.outputStreamCreate(calls.FILE, workerIo.ioCall(calls.OUTPUT_STREAM_CREATE | calls.FILE, null, { descriptorId: id, offset }));
    } finally {
      workerIo.ioCall(calls.FILESYSTEM_DESCRIPTOR_CLOSE, id, null);
    }
  });
}

function withBudget(budget: FdBudget, create: () => object): object {
  budget.take();
  try {
    return counted(create(), budget);
  } catch (err) {
    budget.release();
    throw err;
  }
}
