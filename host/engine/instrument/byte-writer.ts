/**
 * A growable byte buffer with the WebAssembly encodings the instrumentation passes write:
 * unsigned and signed LEB128, and a fixed-width signed LEB128 that can be patched later (the
 * fuel pass writes a block's cost before it knows it).
 *
 * @example
 * const w = new ByteWriter();
 * w.u8(0x41); w.s64(-1); // i32.const -1
 * const bytes = w.toBytes();
 */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  /** @param capacity - initial capacity in bytes; the buffer doubles as needed */
  constructor(capacity = 1024) {
    this.#buf = new Uint8Array(Number.isSafeInteger(capacity) && capacity > 16 ? capacity : 16);
  }

  /** How many bytes were written. */
  get length(): number {
    return this.#len;
  }

  /** Forgets everything written, keeping the allocated buffer for reuse. */
  reset(): void {
    this.#len = 0;
  }

  #reserve(n: number): void {
    const need = this.#len + n;
    if (need <= this.#buf.length) return;
    let size = Math.max(16, this.#buf.length * 2);
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Writes one byte. */
  u8(b: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = b;
  }

  /** Writes a byte sequence (copied). */
  bytes(src: Uint8Array): void {
    this.#reserve(src.length);
    this.#buf.set(src, this.#len);
    this.#len += src.length;
  }

  /** Writes `src[start, end)` (copied). */
  range(src: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    const n = end - start;
    this.#reserve(n);
    const buf = this.#buf;
    if (n <= 32) {
      // a loop beats allocating a view for the short runs the passes copy between edits
      let at = this.#len;
      for (let i = start; i < end; i++) buf[at++] = src[i]!;
    } else {
      buf.set(src.subarray(start, end), this.#len);
    }
    this.#len += n;
  }

  /** Writes an unsigned LEB128 of a non-negative integer up to 2^53 (u32 and u64 alike). */
  u32(value: number): void {
    this.#reserve(10);
    let v = value;
    while (v >= 0x80) {
      this.#buf[this.#len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buf[this.#len++] = v;
  }

  /** Writes a signed LEB128 of an integer in the safe range (for `i32.const`, `i64.const`). */
  s64(value: number): void {
    this.#reserve(10);
    let v = value;
    for (;;) {
      const low = ((v % 0x80) + 0x80) % 0x80;
      v = Math.floor(v / 0x80);
      const done = (v === 0 && (low & 0x40) === 0) || (v === -1 && (low & 0x40) !== 0);
      this.#buf[this.#len++] = done ? low : low | 0x80;
      if (done) return;
    }
  }

  /**
   * Reserves 5 bytes for a signed LEB128 written later (see the fuel pass's final sweep) and
   * returns their offset.
   */
  placeholderS35(): number {
    const at = this.#len;
    this.#reserve(5);
    this.#buf.set(PADDED_ZERO, at);
    this.#len += 5;
    return at;
  }

  /** The byte at `at` (for tests and patch sweeps). */
  at(at: number): number {
    return this.#buf[at]!;
  }

  /** Writes `src.#buf[start, end)` of another writer. */
  rangeOf(src: ByteWriter, start: number, end: number): void {
    this.range(src.#buf, start, end);
  }

  /** Writes a length-prefixed UTF-8 name. */
  name(text: string): void {
    const encoded = new TextEncoder().encode(text);
    this.u32(encoded.length);
    this.bytes(encoded);
  }

  /** Writes a section: id, size, then the content of `body`. */
  section(id: number, body: ByteWriter): void {
    this.u8(id);
    this.u32(body.length);
    this.range(body.#buf, 0, body.#len);
  }

  /** Writes a section whose content is already encoded: id, size, then `payload`. */
  sectionOf(id: number, payload: Uint8Array): void {
    this.u8(id);
    this.u32(payload.length);
    this.bytes(payload);
  }

  /** Appends everything `other` holds. */
  append(other: ByteWriter): void {
    this.range(other.#buf, 0, other.#len);
  }

  /** Appends everything `other` holds, with its length as a u32 LEB128 prefix. */
  sized(other: ByteWriter): void {
    this.u32(other.#len);
    this.range(other.#buf, 0, other.#len);
  }

  /** The bytes written, without a copy: valid until the next write or `reset`. */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  /** A copy of the bytes written. */
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

const PADDED_ZERO = Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x00);

/** The largest value a placeholder can hold (a 5-byte signed LEB128 of a non-negative number). */
export const MAX_PLACEHOLDER_VALUE = 2 ** 34 - 1;

/** How many bytes the shortest signed LEB128 of a non-negative `value` takes. */
export function s64Size(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x40; v = Math.floor(v / 0x80)) n++;
  return n;
}
