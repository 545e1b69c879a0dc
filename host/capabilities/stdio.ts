/**
 * `wasi:cli/stdin` for one instance: the guest reads exactly the bytes it was given, then end of
 * stream; or, with nothing given, end of stream at once (stdin closed — the default).
 *
 * The stream is a subclass of preview2-shim's `InputStream`, because jco's bindings check
 * `instanceof` against the `wasi:io/streams` import, which is the shim's. It is served from
 * memory in this thread: no file, no pipe, no trip to the shim's I/O worker. Its `subscribe()`
 * returns a pollable that is ready at once (bytes in memory never make a reader wait).
 *
 * One limit: the shim's `OutputStream.splice` / `blocking-splice` only accept the shim's own
 * worker-backed streams as their source, so a guest splicing stdin straight into stdout gets its
 * instance stopped (the shim ends the worker on an unknown stream). Reading stdin and writing
 * what was read — what wasi-libc, Rust's std and the preview1 adapter do — works.
 */
import * as shim from '@bytecodealliance/preview2-shim';

/** The parts of the Node.js build of preview2-shim used here (its `types` point at the browser build). */
interface NodeShim {
  readonly io: { streams: { InputStream: new () => object } };
  readonly clocks: { monotonicClock: { subscribeDuration(ns: bigint): unknown } };
}

const { io, clocks } = shim as unknown as NodeShim;

/** The bytes of one instance's stdin and how far the guest has read them. */
interface StdinSource {
  readonly bytes: Uint8Array;
  position: number;
}

/** `wasi:io/streams.input-stream` over in-memory bytes; every stream of one stdin shares the position. */
class StdinStream extends io.streams.InputStream {
  readonly #source: StdinSource;

  constructor(source: StdinSource) {
    super();
    this.#source = source;
  }

  /** Up to `len` bytes; throws the stream error `closed` at the end. */
  read(len: bigint): Uint8Array {
    const source = this.#source;
    const left = source.bytes.length - source.position;
    if (left === 0) throw { tag: 'closed' };
    const n = Math.min(left, Number(BigInt.asUintN(53, len)));
    const chunk = source.bytes.slice(source.position, source.position + n);
    source.position += n;
    return chunk;
  }

  /** Same as `read`: bytes in memory never block. */
  blockingRead(len: bigint): Uint8Array {
    return this.read(len);
  }

  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }

  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }

  /** A pollable that is ready at once. */
  subscribe(): unknown {
    return clocks.monotonicClock.subscribeDuration(0n);
  }
}

/**
 * The `wasi:cli/stdin` import of one instance.
 *
 * @param bytes - what the guest reads from stdin; null: stdin is at end of stream at once
 * @returns the interface object: `getStdin()` gives a new handle on the same stdin each call
 *   (they share one read position, as handles on one pipe would)
 * @example
 * imports['wasi:cli/stdin'] = stdinImport(new TextEncoder().encode('hello'));
 */
export function stdinImport(bytes: Uint8Array | null): { getStdin(): object } {
  const source: StdinSource = { bytes: bytes ?? new Uint8Array(0), position: 0 };
  return { getStdin: () => new StdinStream(source) };
}
