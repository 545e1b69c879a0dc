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
 * A bounds-checked cursor over a WebAssembly binary, for decoders that must survive hostile input.
 *
 * Every read checks the remaining bytes first, so a truncated or lying binary ends in an
 * `LN_ERR_LOAD_INVALID` error (never a `RangeError`, never an over-read), and every count read
 * with `count()` is checked against the bytes left, so no count can make the caller allocate more
 * than the input justifies; with a `budget`, the counts together are capped too
 * (`LN_ERR_LOAD_TOO_COMPLEX`). Offsets in error messages are absolute (from the start of the file).
 *
 * @example
 * const r = new BinaryReader(bytes, 'plugin.wasm', 'section 7 (type)', 8, bytes.length);
 * const n = r.count('type definitions');
 */
export class BinaryReader {
  private pos: number;
  /** When set, every `count()` is charged to it (sub-readers share it). */
  budget: ItemBudget | undefined;

  /**
   * @param bytes - the whole file (sub-readers share it, so offsets stay absolute)
   * @param subject - how errors name the file, e.g. `<component>`
   * @param context - where in the file this reader is, for error messages, e.g. `section 7 (type)`
   * @param start - first readable offset (default 0)
   * @param end - offset after the last readable byte (default the end of `bytes`)
   */
  constructor(
    private readonly bytes: Uint8Array,
    readonly subject: string,
    readonly context: string,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  /** The absolute offset of the next byte to read. */
  get offset(): number {
    return this.pos;
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

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      this.fail(`unexpected end of data reading ${what} (needs ${n} byte(s), ${this.end - this.pos} left)`);
    }
  }

  /** Reads one byte. */
  byte(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  /** Returns the next byte without consuming it. */
  peek(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos]!;
  }

  /** Reads an unsigned LEB128 `u32` (at most 5 bytes, no bits past 32). */
  u32(what: string): number {
    const at = this.pos;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte(what);
      if (i === 4 && b > 0x0f) this.fail(`${what}: LEB128 u32 out of range`, at);
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return result;
    }
    return this.fail(`${what}: LEB128 u32 longer than 5 bytes`, at);
  }

  /** Reads a signed LEB128 `s33` (at most 5 bytes), as used for value types and heap types. */
  s33(what: string): number {
    const at = this.pos;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte(what);
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (i === 4 && b & 0x70 && (b & 0x70) !== 0x70) this.fail(`${what}: LEB128 s33 out of range`, at);
        return b & 0x40 ? result - 2 ** (7 * (i + 1)) : result;
      }
    }
    return this.fail(`${what}: LEB128 s33 longer than 5 bytes`, at);
  }

  /** Skips an unsigned or signed LEB128 of up to 64 bits (10 bytes). */
  skipLeb64(what: string): void {
    for (let i = 0; i < 10; i++) if ((this.byte(what) & 0x80) === 0) return;
    this.fail(`${what}: LEB128 longer than 10 bytes`);
  }

  /**
   * Reads a vector length and checks it against the bytes left: each item takes at least
   * `minItemBytes`, so a count the input cannot hold is rejected before anything is allocated.
   */
  count(what: string, minItemBytes = 1): number {
    const at = this.pos;
    const n = this.u32(`number of ${what}`);
    if (n * minItemBytes > this.remaining) {
      this.fail(`${n} ${what} cannot fit in the ${this.remaining} byte(s) left`, at);
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

  /** Reads a length-prefixed UTF-8 string. */
  name(what: string): string {
    const at = this.pos;
    const len = this.u32(`length of ${what}`);
    this.need(len, what);
    const raw = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    try {
      return utf8.decode(raw);
    } catch {
      return this.fail(`${what} is not valid UTF-8`, at);
    }
  }

  /** Skips `n` bytes. */
  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }

  /** Returns `n` bytes (a view, not a copy) and moves past them. */
  take(n: number, what: string): Uint8Array {
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
