import { LnError } from '../../errors/ln-error.js';

/**
 * A bounds-checked cursor over the bytes of a core module, tuned for the hot loop that walks
 * every instruction of an 11 MB module: plain fields, no allocation per read, and every failure
 * an `LN_ERR_LOAD_INVALID` naming the offset (never a `RangeError`, never a read past `end`).
 *
 * Section-level code uses it too (it is the only reader the instrumentation has), so it also
 * reads names and vectors.
 */
export class CodeCursor {
  /** The next byte to read (absolute offset in `bytes`). */
  pos: number;
  /** The offset after the last readable byte. */
  end: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly subject: string,
    start = 0,
    end = bytes.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  /**
   * Throws `LN_ERR_LOAD_INVALID` naming the offset.
   * @throws LnError `LN_ERR_LOAD_INVALID`, always
   */
  fail(reason: string, at = this.pos): never {
    throw new LnError('LN_ERR_LOAD_INVALID', {
      subject: this.subject,
      reason: `core module: ${reason} at offset ${at} (0x${at.toString(16)})`,
    });
  }

  /**
   * Throws `LN_ERR_LOAD_UNSUPPORTED_FEATURE` naming the feature and the offset.
   * @throws LnError `LN_ERR_LOAD_UNSUPPORTED_FEATURE`, always
   */
  unsupported(feature: string, at = this.pos): never {
    throw new LnError('LN_ERR_LOAD_UNSUPPORTED_FEATURE', {
      subject: this.subject,
      feature: `${feature} (at offset ${at}, 0x${at.toString(16)})`,
    });
  }

  /** Reads one byte. */
  byte(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data');
    return this.bytes[this.pos++]!;
  }

  /** Reads an unsigned LEB128 u32 (at most 5 bytes). */
  u32(): number {
    const b = this.bytes;
    let pos = this.pos;
    if (pos < this.end) {
      const first = b[pos]!;
      if (first < 0x80) {
        this.pos = pos + 1;
        return first;
      }
    }
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= this.end) this.fail('unexpected end of data in a LEB128 integer');
      const x = b[pos++]!;
      if (shift === 28 && x > 0x0f) this.fail('LEB128 u32 out of range', pos - 1);
      result += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) {
        this.pos = pos;
        return result;
      }
    }
    return this.fail('LEB128 u32 longer than 5 bytes');
  }

  /** Reads an unsigned LEB128 u64, as a number (exact up to 2^53; larger values saturate). */
  u64(): number {
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const x = this.byte();
      result += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) return Math.min(result, Number.MAX_SAFE_INTEGER);
    }
    return this.fail('LEB128 u64 longer than 10 bytes');
  }

  /** Reads a signed LEB128 s33 (block types, heap types): at most 5 bytes. */
  s33(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const x = this.byte();
      result += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) return x & 0x40 ? result - 2 ** (shift + 7) : result;
    }
    return this.fail('LEB128 s33 longer than 5 bytes');
  }

  /** Skips a LEB128 integer of up to 64 bits (10 bytes). */
  skipLeb(): void {
    const b = this.bytes;
    const limit = Math.min(this.end, this.pos + 10);
    for (let pos = this.pos; pos < limit; pos++) {
      if (b[pos]! < 0x80) {
        this.pos = pos + 1;
        return;
      }
    }
    if (limit === this.end && limit - this.pos < 10) this.fail('unexpected end of data in a LEB128 integer');
    this.fail('LEB128 integer longer than 10 bytes');
  }

  /** Skips `n` bytes. */
  skip(n: number): void {
    if (n > this.end - this.pos) this.fail(`unexpected end of data (needs ${n} byte(s))`);
    this.pos += n;
  }

  /** Reads a vector length whose items take at least `minItemBytes` each, checked against the bytes left. */
  count(what: string, minItemBytes = 1): number {
    const at = this.pos;
    const n = this.u32();
    if (n * minItemBytes > this.end - this.pos) this.fail(`${n} ${what} cannot fit in the bytes left`, at);
    return n;
  }

  /** Reads a length-prefixed name as raw bytes (a view). */
  nameBytes(): Uint8Array {
    const n = this.u32();
    const at = this.pos;
    this.skip(n);
    return this.bytes.subarray(at, at + n);
  }

  /** Reads a length-prefixed name as text (invalid UTF-8 is replaced, names only label things). */
  name(): string {
    return new TextDecoder().decode(this.nameBytes());
  }

  /** Skips a value type (number, vector, or reference type). */
  valType(): void {
    const t = this.byte();
    if (t === 0x63 || t === 0x64) this.heapType();
    else if (!VALUE_TYPES.has(t)) this.fail(`unknown value type 0x${t.toString(16)}`, this.pos - 1);
  }

  /** Skips a heap type (an abstract type byte or a type index). */
  heapType(): void {
    const at = this.pos;
    const h = this.s33();
    if (h < 0 && !HEAP_TYPES.has(h & 0x7f)) this.fail(`unknown heap type 0x${(h & 0x7f).toString(16)}`, at);
  }

  /** Skips a block type: empty, one value type, or a type index. */
  blockType(): void {
    const t = this.bytes[this.pos];
    if (t === 0x40 || (t !== undefined && VALUE_TYPES.has(t))) {
      this.pos++;
    } else if (t === 0x63 || t === 0x64) {
      this.pos++;
      this.heapType();
    } else {
      const at = this.pos;
      if (this.s33() < 0) this.fail('invalid block type', at);
    }
  }
}

/** Value types written as one byte: numbers, vectors, and abstract reference shorthands. */
const VALUE_TYPES: ReadonlySet<number> = new Set([
  0x7f,
  0x7e,
  0x7d,
  0x7c,
  0x7b, // i32 i64 f32 f64 v128
  0x74,
  0x73,
  0x72,
  0x71,
  0x70,
  0x6f,
  0x6e,
  0x6d,
  0x6c,
  0x6b,
  0x6a,
  0x69, // reference shorthands
]);

/** Abstract heap types (their s33 encoding's low 7 bits). */
const HEAP_TYPES: ReadonlySet<number> = new Set([0x74, 0x73, 0x72, 0x71, 0x70, 0x6f, 0x6e, 0x6d, 0x6c, 0x6b, 0x6a, 0x69]);
