import { LnError } from '../errors/ln-error.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A cap on how many items (the sum of every vector length read with `count()`) one decode may
 * read, shared by a reader and its sub-readers: the work of a decoder and of whatever runs on the
 * decoded result grows with it, not with the byte size alone.
 */
export interface ItemBudget {
  /** Items read so far. */
  used: number;
  /** The most items allowed. */
  readonly max: number;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * The one bounds-checked cursor over WebAssembly binaries (components and core modules), for
 * decoders that must survive hostile input: the component type decoder reads with it, and the
 * instrumenter's hot loop that walks every instruction of an 11 MB module reads with it too
 * (`engine/instrument/code-cursor.ts` only adds the value, heap and block types of core code).
 *
 * Every read checks the remaining bytes first, so a truncated or lying binary ends in an
 * `LN_ERR_LOAD_INVALID` error (never a `RangeError`, never an over-read), and every count read
 * with `count()` is checked against the bytes left, so no count can make the caller allocate more
 * than the input justifies; with a `budget`, the counts together are capped too
 * (`LN_ERR_LOAD_TOO_COMPLEX`). Offsets in error messages are absolute (from the start of the file).
 *
 * The `what` arguments only name the value in an error message; the hot loop leaves them out.
 * Reads allocate nothing, and the fields are plain, so a walk can also read `bytes` at `pos`
 * itself and move `pos` (the instrumenter copies unchanged ranges that way).
 *
 * @example
 * const r = new BinaryReader(bytes, 'plugin.wasm', 'section 7 (type)', 8, bytes.length);
 * const n = r.count('type definitions');
 */
export class BinaryReader {
  /** The absolute offset of the next byte to read. */
  pos: number;
  /** The offset after the last readable byte. */
  end: number;
  /** When set, every `count()` is charged to it (sub-readers share it). */
  budget: ItemBudget | undefined = undefined;

  /**
   * @param bytes - the whole file (sub-readers share it, so offsets stay absolute)
   * @param subject - how errors name the file, e.g. `<component>`
   * @param context - where in the file this reader is, for error messages, e.g. `section 7 (type)`
   * @param start - first readable offset (default 0)
   * @param end - offset after the last readable byte (default the end of `bytes`)
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly subject: string,
    readonly context: string,
    start = 0,
    end = bytes.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  /** How many bytes are left before this reader's end. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Whether every byte of this reader was read. */
  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  /**
   * Throws `LN_ERR_LOAD_INVALID` naming the context and the offset.
   * @throws LnError `LN_ERR_LOAD_INVALID`, always
   */
  fail(reason: string, at: number = this.pos): never {
    throw new LnError('LN_ERR_LOAD_INVALID', {
      subject: this.subject,
      reason: `${this.context}: ${reason} at offset ${at} (${hex(at)})`,
    });
  }

  /**
   * Throws `LN_ERR_LOAD_UNSUPPORTED_FEATURE` naming the feature and the offset.
   * @throws LnError `LN_ERR_LOAD_UNSUPPORTED_FEATURE`, always
   */
  unsupported(feature: string, at: number = this.pos): never {
    throw new LnError('LN_ERR_LOAD_UNSUPPORTED_FEATURE', {
      subject: this.subject,
      feature: `${feature} (at offset ${at}, ${hex(at)})`,
    });
  }

  /** Fails with "unexpected end of data" unless `n` more bytes can be read. */
  private need(n: number, what: string | undefined): void {
    if (n > this.end - this.pos) this.truncated(n, what);
  }

  private truncated(n: number, what: string | undefined): never {
    const left = this.end - this.pos;
    return this.fail(`unexpected end of data${what === undefined ? '' : ` reading ${what}`} (needs ${n} byte(s), ${left} left)`);
  }

  /** Reads one byte. */
  byte(what?: string): number {
    if (this.pos >= this.end) this.truncated(1, what);
    return this.bytes[this.pos++]!;
  }

  /** Returns the next byte without consuming it. */
  peek(what?: string): number {
    if (this.pos >= this.end) this.truncated(1, what);
    return this.bytes[this.pos]!;
  }

  /** Reads an unsigned LEB128 `u32` (at most 5 bytes, no bits past 32). */
  u32(what?: string): number {
    const b = this.bytes;
    const at = this.pos;
    if (at < this.end) {
      const first = b[at]!;
      if (first < 0x80) {
        this.pos = at + 1;
        return first;
      }
    }
    let pos = at;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= this.end) this.lebEnd(what, 'u32');
      const x = b[pos++]!;
      if (shift === 28 && x > 0x0f) this.leb(at, what, 'u32', 'out of range');
      result += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) {
        this.pos = pos;
        return result;
      }
    }
    return this.leb(at, what, 'u32', 'longer than 5 bytes');
  }

  /** Reads an unsigned LEB128 `u64` as a number (exact up to Number.MAX_SAFE_INTEGER = 2^53 - 1; larger values saturate to it). */
  u64(what?: string): number {
    const at = this.pos;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) this.lebEnd(what, 'u64');
      const x = this.bytes[this.pos++]!;
      result += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) return Math.min(result, Number.MAX_SAFE_INTEGER);
    }
    return this.leb(at, what, 'u64', 'longer than 10 bytes');
  }

  /** Reads a signed LEB128 `s33` (at most 5 bytes), as used for block, value and heap types. */
  s33(what?: string): number {
    const at = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) this.lebEnd(what, 's33');
      const x = this.bytes[this.pos++]!;
      result += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) {
        // The 5th byte holds bits 28..32: bit 32 is the sign, and bits 33..34 must repeat it.
        if (shift === 28 && x & 0x70 && (x & 0x70) !== 0x70) this.leb(at, what, 's33', 'out of range');
        return x & 0x40 ? result - 2 ** (shift + 7) : result;
      }
    }
    return this.leb(at, what, 's33', 'longer than 5 bytes');
  }

  /** Skips an unsigned or signed LEB128 of up to 64 bits (10 bytes). */
  skipLeb(what?: string): void {
    const b = this.bytes;
    const at = this.pos;
    const limit = Math.min(this.end, at + 10);
    for (let pos = at; pos < limit; pos++) {
      if (b[pos]! < 0x80) {
        this.pos = pos + 1;
        return;
      }
    }
    if (limit - at < 10) this.lebEnd(what, 'integer');
    this.leb(at, what, 'integer', 'longer than 10 bytes');
  }

  private lebEnd(what: string | undefined, kind: string): never {
    return this.fail(`unexpected end of data reading ${what ?? `a LEB128 ${kind}`}`, this.end);
  }

  private leb(at: number, what: string | undefined, kind: string, problem: string): never {
    return this.fail(`${what === undefined ? '' : `${what}: `}LEB128 ${kind} ${problem}`, at);
  }

  /**
   * Reads a vector length and checks it against the bytes left: each item takes at least
   * `minItemBytes`, so a count the input cannot hold is rejected before anything is allocated.
   */
  count(what: string, minItemBytes = 1): number {
    const at = this.pos;
    const n = this.u32(`number of ${what}`);
    if (n * minItemBytes > this.end - this.pos) {
      this.fail(`${n} ${what} cannot fit in the ${this.end - this.pos} byte(s) left`, at);
    }
    if (this.budget) {
      this.budget.used += n;
      if (this.budget.used > this.budget.max) {
        throw new LnError('LN_ERR_LOAD_TOO_COMPLEX', {
          subject: this.subject,
          limit: 'items',
          reason: `it declares more than ${this.budget.max} items (fields, cases, parameters, declarations, aliases, canonical definitions, imports and exports); the limit was reached in ${this.context}`,
        });
      }
    }
    return n;
  }

  /** Reads a length-prefixed name as raw bytes (a view, not a copy). */
  nameBytes(what?: string): Uint8Array {
    const len = this.u32(what === undefined ? undefined : `length of ${what}`);
    return this.take(len, what);
  }

  /** Reads a length-prefixed UTF-8 string; invalid UTF-8 fails. */
  name(what = 'a name'): string {
    const at = this.pos;
    const raw = this.nameBytes(what);
    try {
      return utf8.decode(raw);
    } catch {
      return this.fail(`${what} is not valid UTF-8`, at);
    }
  }

  /** Skips `n` bytes. */
  skip(n: number, what?: string): void {
    this.need(n, what);
    this.pos += n;
  }

  /** Returns `n` bytes (a view, not a copy) and moves past them. */
  take(n: number, what?: string): Uint8Array {
    this.need(n, what);
    const view = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return view;
  }

  /** A reader over the next `n` bytes with its own context; this reader moves past them. */
  sub(n: number, context: string): BinaryReader {
    this.need(n, context);
    const child = new BinaryReader(this.bytes, this.subject, context, this.pos, this.pos + n);
    child.budget = this.budget;
    this.pos += n;
    return child;
  }

  /** Fails unless every byte was read (a section's size must match its content). */
  expectEnd(what: string): void {
    if (this.pos !== this.end) this.fail(`${this.end - this.pos} unread byte(s) at the end of ${what}`);
  }
}
