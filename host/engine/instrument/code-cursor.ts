import { BinaryReader } from '../../support/binary-reader.js';

/**
 * The instrumenter's cursor over a core module: the one `BinaryReader` (bounds checks, LEB128,
 * names, counts, errors naming the offset), plus the value, heap and block types that core code
 * carries. Errors say `core module: … at offset N`.
 */
export class CodeCursor extends BinaryReader {
  constructor(bytes: Uint8Array, subject: string, start = 0, end = bytes.length) {
    super(bytes, subject, 'core module', start, end);
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
