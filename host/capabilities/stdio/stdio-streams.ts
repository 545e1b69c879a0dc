/**
 * `wasi:cli/stdin`, `wasi:cli/stdout` and `wasi:cli/stderr` for one instance.
 *
 * Stdin: the guest reads exactly the bytes it was given, then end of stream; or, with nothing
 * given, end of stream at once (stdin closed — the default).
 *
 * Stdout and stderr: every write is handed to the worker at once (`HostBridge.output`), which
 * sends it to the host over the same port as the call's result, so nothing the guest wrote can be
 * lost or overtaken when the instance returns, exits, traps or is stopped right after writing.
 * (The shim's own stdout writes to the worker's `process.stdout`, whose buffered bytes die with
 * the worker.)
 *
 * The streams are subclasses of preview2-shim's `InputStream` / `OutputStream`, because jco's
 * bindings check `instanceof` against the `wasi:io/streams` import, which is the shim's. They are
 * served in this thread: no file, no pipe, no trip to the shim's I/O worker. Their `subscribe()`
 * returns a pollable that is ready at once (bytes in memory never make a reader wait, the host
 * takes every write at once). Splicing into stdout/stderr reads from the source stream and
 * writes what was read, so any input stream (stdin included) can be spliced.
 */
import * as shim from '@bytecodealliance/preview2-shim';
import type { OutputStreamName } from '../../sandbox/output-gate.js';
import type { HostBridge } from '../../sandbox/protocol.js';

/** The parts of the Node.js build of preview2-shim used here (its `types` point at the browser build). */
interface NodeShim {
  readonly io: { streams: { InputStream: new () => object; OutputStream: new () => object } };
  readonly clocks: { monotonicClock: { subscribeDuration(ns: bigint): unknown } };
}

/** An input stream a guest may splice from (ours or the shim's). */
interface SpliceSource {
  read(len: bigint): Uint8Array;
  blockingRead(len: bigint): Uint8Array;
}

/**
 * What `check-write` permits, bytes: the most one write, splice or write-zeroes may carry. The
 * host takes every write at once, so the permit never shrinks.
 */
export const OUTPUT_WRITE_PERMIT_BYTES = 1024 * 1024;

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

/** `wasi:io/streams.output-stream` whose writes go to the host as the guest's stdout or stderr. */
class GuestOutputStream extends io.streams.OutputStream {
  readonly #name: OutputStreamName;
  readonly #bridge: HostBridge;

  constructor(name: OutputStreamName, bridge: HostBridge) {
    super();
    this.#name = name;
    this.#bridge = bridge;
  }

  checkWrite(): bigint {
    return BigInt(OUTPUT_WRITE_PERMIT_BYTES);
  }

  write(buf: Uint8Array): void {
    this.#bridge.output(this.#name, buf);
  }

  blockingWriteAndFlush(buf: Uint8Array): void {
    this.write(buf);
  }

  /** Nothing to do: every write was handed over already. */
  flush(): void {}

  blockingFlush(): void {}

  /** Throws the stream error `closed` past the write permit. */
  writeZeroes(len: bigint): void {
    this.write(new Uint8Array(permitted(len)));
  }

  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }

  /** Reads up to `len` bytes from `src` and writes them; the count written. */
  splice(src: SpliceSource, len: bigint): bigint {
    const bytes = src.read(spliceLength(len));
    this.write(bytes);
    return BigInt(bytes.length);
  }

  blockingSplice(src: SpliceSource, len: bigint): bigint {
    const bytes = src.blockingRead(spliceLength(len));
    this.write(bytes);
    return BigInt(bytes.length);
  }

  /** A pollable that is ready at once. */
  subscribe(): unknown {
    return clocks.monotonicClock.subscribeDuration(0n);
  }
}

/** How much one splice reads: `len`, at most the write permit. */
function spliceLength(len: bigint): bigint {
  const permit = BigInt(OUTPUT_WRITE_PERMIT_BYTES);
  return len < permit ? len : permit;
}

/** `len` as a number, or the stream error `closed` when it is past the write permit. */
function permitted(len: bigint): number {
  if (len < 0n || len > BigInt(OUTPUT_WRITE_PERMIT_BYTES)) throw { tag: 'closed' };
  return Number(len);
}

/**
 * The `wasi:cli/stdout` and `wasi:cli/stderr` imports of one instance: one stream each (as the
 * shim does), every write handed to `bridge.output`.
 *
 * @example
 * Object.assign(imports, outputImports(bridge));
 */
export function outputImports(bridge: HostBridge): { 'wasi:cli/stdout': { getStdout(): object }; 'wasi:cli/stderr': { getStderr(): object } } {
  const stdout = new GuestOutputStream('stdout', bridge);
  const stderr = new GuestOutputStream('stderr', bridge);
  return { 'wasi:cli/stdout': { getStdout: () => stdout }, 'wasi:cli/stderr': { getStderr: () => stderr } };
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
