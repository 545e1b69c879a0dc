/**
 * A one-way stream of framed bytes between two threads over a SharedArrayBuffer: one writer, one
 * reader, fixed capacity (so a slow reader holds the writer back instead of memory growing).
 * The HTTP routes carry a request body from the main thread to a guest's I/O thread and a
 * response back through two of these, without the sandbox worker (blocked in the guest) in the
 * way.
 *
 * Layout: `Int32Array` header of `HEADER_INTS` — the bytes written so far and the bytes read so
 * far (both modulo 2^32) and the reader-gone flag — then `capacity` data bytes. A frame is a type
 * byte, a little-endian u32 length and the payload, written only whole (a frame never exceeds
 * `maxFrameBytes`), so a reader never sees half of one. Each side waits for the other with
 * `Atomics.waitAsync` (never blocking its thread).
 */

/** Frame types. */
export const Frame = Object.freeze({
  /** Body bytes. */
  DATA: 1,
  /** JSON: the response status and headers (response rings). */
  HEAD: 2,
  /** JSON: the trailers, `[name, value][]`. */
  TRAILERS: 3,
  /** The body ended (after any TRAILERS). */
  END: 4,
  /** JSON `{ message }`: the writer gave up; the body is incomplete. */
  ABORT: 5,
});

export interface RingFrame {
  readonly type: number;
  readonly payload: Uint8Array;
}

const WRITTEN = 0;
const READ = 1;
const READER_GONE = 2;
const HEADER_INTS = 4;
const HEADER_BYTES = HEADER_INTS * 4;
const FRAME_HEADER = 5;
/** How long one wait lasts before it looks again, ms (a missed wake-up costs at most this). */
const WAIT_SLICE_MS = 250;

export class FrameRing {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly #state: Int32Array;
  readonly #data: Uint8Array;

  /** A new ring of `capacity` data bytes. */
  static create(capacity: number): FrameRing {
    return new FrameRing(new SharedArrayBuffer(HEADER_BYTES + capacity));
  }

  /** The ring over `buffer` (made by `create`, possibly in another thread). */
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.capacity = buffer.byteLength - HEADER_BYTES;
    this.#state = new Int32Array(buffer, 0, HEADER_INTS);
    this.#data = new Uint8Array(buffer, HEADER_BYTES, this.capacity);
  }

  /** The largest payload of one frame. */
  get maxFrameBytes(): number {
    return this.capacity - FRAME_HEADER;
  }

  /** Bytes written and not yet read. */
  get used(): number {
    return (Atomics.load(this.#state, WRITTEN) - Atomics.load(this.#state, READ)) >>> 0;
  }

  /** Whether the reader said it reads no more (the writer should stop). */
  get readerGone(): boolean {
    return Atomics.load(this.#state, READER_GONE) !== 0;
  }

  /** The reader stops reading: a waiting writer wakes up and sees `readerGone`. */
  closeReader(): void {
    Atomics.store(this.#state, READER_GONE, 1);
    Atomics.notify(this.#state, READ);
  }

  /**
   * Writes one frame if it fits now. @returns false when there is not room for it yet
   * @throws RangeError for a payload over `maxFrameBytes`
   */
  tryWrite(type: number, payload: Uint8Array = EMPTY): boolean {
    if (payload.length > this.maxFrameBytes) throw new RangeError(`a frame of ${payload.length} bytes does not fit a ring of ${this.capacity}`);
    const size = FRAME_HEADER + payload.length;
    if (this.capacity - this.used < size) return false;
    const written = Atomics.load(this.#state, WRITTEN) >>> 0;
    const header = new Uint8Array(FRAME_HEADER);
    header[0] = type;
    new DataView(header.buffer).setUint32(1, payload.length, true);
    this.#copyIn(written, header);
    this.#copyIn(written + FRAME_HEADER, payload);
    Atomics.store(this.#state, WRITTEN, (written + size) | 0);
    Atomics.notify(this.#state, WRITTEN);
    return true;
  }

  /** Writes one frame, waiting for room. @returns false when the reader is gone */
  async write(type: number, payload: Uint8Array = EMPTY): Promise<boolean> {
    for (;;) {
      if (this.readerGone) return false;
      const read = Atomics.load(this.#state, READ);
      if (this.tryWrite(type, payload)) return true;
      await wait(this.#state, READ, read);
    }
  }

  /** Reads the next frame if one is there. */
  tryRead(): RingFrame | undefined {
    if (this.used < FRAME_HEADER) return undefined;
    const read = Atomics.load(this.#state, READ) >>> 0;
    const header = this.#copyOut(read, FRAME_HEADER);
    const length = new DataView(header.buffer).getUint32(1, true);
    const payload = this.#copyOut(read + FRAME_HEADER, length);
    Atomics.store(this.#state, READ, (read + FRAME_HEADER + length) | 0);
    Atomics.notify(this.#state, READ);
    return { type: header[0]!, payload };
  }

  /** Reads the next frame, waiting for one. */
  async read(): Promise<RingFrame> {
    for (;;) {
      const written = Atomics.load(this.#state, WRITTEN);
      const frame = this.tryRead();
      if (frame) return frame;
      await wait(this.#state, WRITTEN, written);
    }
  }

  /** Resolves when a frame may have arrived (or after a short slice): for readers that also wait for something else. */
  waitForFrame(): Promise<void> {
    const seen = Atomics.load(this.#state, WRITTEN);
    return this.used >= FRAME_HEADER ? Promise.resolve() : wait(this.#state, WRITTEN, seen);
  }

  #copyIn(at: number, bytes: Uint8Array): void {
    const start = at % this.capacity;
    const first = Math.min(bytes.length, this.capacity - start);
    this.#data.set(bytes.subarray(0, first), start);
    if (first < bytes.length) this.#data.set(bytes.subarray(first), 0);
  }

  #copyOut(at: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const start = at % this.capacity;
    const first = Math.min(length, this.capacity - start);
    out.set(this.#data.subarray(start, start + first));
    if (first < length) out.set(this.#data.subarray(0, length - first), first);
    return out;
  }
}

const EMPTY = new Uint8Array(0);

/** `Atomics.waitAsync` (Node 16+; ES2024 in TypeScript's libraries). */
type WaitAsync = (state: Int32Array, index: number, value: number, timeoutMs: number) => { async: boolean; value: unknown };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Resolves when `state[index]` may have changed from `seen` (or after a slice). */
async function wait(state: Int32Array, index: number, seen: number): Promise<void> {
  const result = waitAsync(state, index, seen, WAIT_SLICE_MS);
  if (result.async) await result.value;
}

/** JSON as a frame payload. */
export function jsonPayload(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** A frame payload as JSON. */
export function payloadJson(payload: Uint8Array): unknown {
  return JSON.parse(new TextDecoder().decode(payload));
}
