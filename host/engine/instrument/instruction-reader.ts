/**
 * Reads WebAssembly instructions one at a time and knows every opcode's immediates: the core set,
 * sign extension, multi-value blocks, reference types, typed function references, tail calls,
 * exceptions (legacy `try`/`catch`/`delegate` and `try_table`/`throw_ref`), the 0xFB GC set,
 * the 0xFC set (saturating truncation, bulk memory, tables, wide arithmetic), the 0xFD SIMD set
 * (relaxed SIMD included) and the 0xFE threads set.
 *
 * An opcode it does not know is an `LN_ERR_LOAD_UNSUPPORTED_FEATURE` error: skipping it would
 * desynchronise the walk and produce a silently wrong module.
 */
import { CodeCursor } from './code-cursor.js';

/** What a call instruction calls: a function by index, through a table, or through a reference. */
export const CallKind = { Direct: 0, Indirect: 1, Ref: 2 } as const;
export type CallKind = (typeof CallKind)[keyof typeof CallKind];

/** What an instruction means to the passes; everything they do not treat specially is `Plain`. */
export const Op = {
  /** Any instruction without control flow the passes care about. */
  Plain: 0,
  /** `nop`: costs nothing. */
  Nop: 1,
  Block: 2,
  Loop: 3,
  If: 4,
  Else: 5,
  End: 6,
  /** Legacy `try`. */
  Try: 7,
  /** Legacy `catch tag` / `catch_all`: the start of a handler. */
  Catch: 8,
  /** Legacy `delegate label`: closes a `try` like `end`. */
  Delegate: 9,
  /** `try_table`; its catch clauses' labels are in `labels[0, labelCount)`. */
  TryTable: 10,
  /** `br label`. */
  Br: 11,
  /** `br_if`, `br_on_null`, `br_on_non_null`, `br_on_cast`, `br_on_cast_fail`: may branch or fall through. */
  BrIf: 12,
  /** `br_table`; the labels (default last) are in `labels[0, labelCount)`. */
  BrTable: 13,
  Return: 14,
  Unreachable: 15,
  /** `throw`, `throw_ref`, legacy `rethrow`. */
  Throw: 16,
  /** `call`, `call_indirect`, `call_ref` (`callKind` says which; `index` the function or table). */
  Call: 17,
  /** `return_call`, `return_call_indirect`, `return_call_ref` (like `Call`). */
  ReturnCall: 18,
  /** `global.get index`; the index's bytes are `[immStart, pos)`. */
  GlobalGet: 19,
  /** `global.set index`; the index's bytes are `[immStart, pos)`. */
  GlobalSet: 20,
  /** `memory.grow memory`. */
  MemoryGrow: 21,
  /** `table.grow table`. */
  TableGrow: 22,
  /** `ref.func function`: a function reference that may escape the module. */
  RefFunc: 23,
  /** `table.get table`: may read a function reference out of a table. */
  TableGet: 24,
  /** `table.set`, `table.fill`, `table.copy`, `table.init`: may put a function reference into a table. */
  TableWrite: 25,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/**
 * A cursor that decodes one instruction per `next()`.
 *
 * After `next()`: `start` is the instruction's first byte, `pos` the byte after it, and for the
 * kinds that carry one, `index` the label depth (`Br`, `BrIf`, `Delegate`) or the global,
 * memory or table index (`GlobalGet`, `GlobalSet`, `MemoryGrow`, `TableGrow`).
 */
export class InstructionReader extends CodeCursor {
  /** Offset of the current instruction's opcode. */
  start = 0;
  /** Offset of the current instruction's first immediate. */
  immStart = 0;
  /** The label depth or index immediate of the current instruction (see the class doc). */
  index = 0;
  /** For `Call` / `ReturnCall`: what is called (`index`: the function, or the table for `Indirect`). */
  callKind: CallKind = CallKind.Direct;
  /** Label depths of `br_table` (default last) and of `try_table` catch clauses. */
  labels: number[] = [];
  labelCount = 0;

  /** Decodes the next instruction and returns its kind. */
  next(): Op {
    this.start = this.pos;
    const op = this.byte();
    this.immStart = this.pos;
    if (op >= 0x45 && op <= 0xc4) return Op.Plain; // numeric, comparison, conversion, sign extension
    switch (op) {
      case 0x00:
        return Op.Unreachable;
      case 0x01:
        return Op.Nop;
      case 0x02:
        this.blockType();
        return Op.Block;
      case 0x03:
        this.blockType();
        return Op.Loop;
      case 0x04:
        this.blockType();
        return Op.If;
      case 0x05:
        return Op.Else;
      case 0x06:
        this.blockType();
        return Op.Try;
      case 0x07:
        this.u32();
        return Op.Catch; // catch tag
      case 0x08:
        this.u32();
        return Op.Throw; // throw tag
      case 0x09:
        this.u32();
        return Op.Throw; // rethrow label (legacy)
      case 0x0a:
        return Op.Throw; // throw_ref
      case 0x0b:
        return Op.End;
      case 0x0c:
        this.index = this.u32();
        return Op.Br;
      case 0x0d:
        this.index = this.u32();
        return Op.BrIf;
      case 0x0e:
        this.#brTable();
        return Op.BrTable;
      case 0x0f:
        return Op.Return;
      case 0x10:
      case 0x12: // call, return_call
        this.callKind = CallKind.Direct;
        this.index = this.u32();
        return op === 0x10 ? Op.Call : Op.ReturnCall;
      case 0x11:
      case 0x13: // call_indirect, return_call_indirect: type table
        this.callKind = CallKind.Indirect;
        this.u32();
        this.index = this.u32();
        return op === 0x11 ? Op.Call : Op.ReturnCall;
      case 0x14:
      case 0x15: // call_ref, return_call_ref: type
        this.callKind = CallKind.Ref;
        this.index = this.u32();
        return op === 0x14 ? Op.Call : Op.ReturnCall;
      case 0x18:
        this.index = this.u32();
        return Op.Delegate;
      case 0x19:
        return Op.Catch; // catch_all
      case 0x1a:
      case 0x1b:
        return Op.Plain; // drop, select
      case 0x1c: {
        // select t*
        const n = this.count('select types');
        for (let i = 0; i < n; i++) this.valType();
        return Op.Plain;
      }
      case 0x1f:
        this.#tryTable();
        return Op.TryTable;
      case 0x20:
      case 0x21:
      case 0x22:
        this.index = this.u32();
        return Op.Plain; // local.get/set/tee (index: the local)
      case 0x23:
        this.index = this.u32();
        return Op.GlobalGet;
      case 0x24:
        this.index = this.u32();
        return Op.GlobalSet;
      case 0x25:
        this.index = this.u32();
        return Op.TableGet;
      case 0x26:
        this.u32();
        return Op.TableWrite; // table.set
      case 0x3f:
        this.u32();
        return Op.Plain; // memory.size
      case 0x40:
        this.index = this.u32();
        return Op.MemoryGrow;
      case 0x41:
        this.skipLeb();
        return Op.Plain; // i32.const
      case 0x42:
        this.skipLeb();
        return Op.Plain; // i64.const
      case 0x43:
        this.skip(4);
        return Op.Plain; // f32.const
      case 0x44:
        this.skip(8);
        return Op.Plain; // f64.const
      case 0xd0:
        this.heapType();
        return Op.Plain; // ref.null
      case 0xd1:
      case 0xd3:
      case 0xd4:
        return Op.Plain; // ref.is_null, ref.eq, ref.as_non_null
      case 0xd2:
        this.index = this.u32();
        return Op.RefFunc;
      case 0xd5:
      case 0xd6:
        this.index = this.u32();
        return Op.BrIf; // br_on_null, br_on_non_null
      case 0xfb:
        return this.#gc();
      case 0xfc:
        return this.#misc();
      case 0xfd:
        this.#simd();
        return Op.Plain;
      case 0xfe:
        this.#atomic();
        return Op.Plain;
      default:
        if (op >= 0x28 && op <= 0x3e) {
          // loads and stores
          this.memArg();
          return Op.Plain;
        }
        return this.unsupported(`opcode 0x${op.toString(16)}`, this.start);
    }
  }

  /** Skips a memory argument: alignment (bit 6: a memory index follows) and offset (u64). */
  memArg(): void {
    const flags = this.u32();
    if (flags & 0x40) this.u32();
    this.skipLeb();
  }

  #brTable(): void {
    const n = this.count('br_table labels');
    const labels = this.labels;
    for (let i = 0; i < n; i++) labels[i] = this.u32();
    labels[n] = this.u32();
    this.labelCount = n + 1;
  }

  #tryTable(): void {
    this.blockType();
    const n = this.count('try_table catch clauses', 2);
    for (let i = 0; i < n; i++) {
      const kind = this.byte();
      if (kind === 0x00 || kind === 0x01)
        this.u32(); // catch / catch_ref: tag
      else if (kind !== 0x02 && kind !== 0x03) this.fail(`unknown catch clause kind 0x${kind.toString(16)}`, this.pos - 1);
      this.labels[i] = this.u32();
    }
    this.labelCount = n;
  }

  /** 0xFB: GC (structs, arrays, casts, i31). */
  #gc(): Op {
    const sub = this.u32();
    switch (sub) {
      case 0:
      case 1:
      case 6:
      case 7:
      case 11:
      case 12:
      case 13:
      case 14:
      case 16:
        this.u32();
        return Op.Plain; // struct.new(_default), array.new(_default), array.get*, array.set, array.fill
      case 2:
      case 3:
      case 4:
      case 5:
      case 8:
      case 9:
      case 10:
      case 17:
      case 18:
      case 19:
        this.u32();
        this.u32();
        return Op.Plain; // struct.get*/set, array.new_fixed/_data/_elem, array.copy, array.init_*
      case 15:
      case 26:
      case 27:
      case 28:
      case 29:
      case 30:
        return Op.Plain; // array.len, any.convert_extern, extern.convert_any, ref.i31, i31.get_s/u
      case 20:
      case 21:
      case 22:
      case 23:
        this.heapType();
        return Op.Plain; // ref.test, ref.cast (null)
      case 24:
      case 25: // br_on_cast(_fail) flags label ht ht
        this.byte();
        this.index = this.u32();
        this.heapType();
        this.heapType();
        return Op.BrIf;
      default:
        return this.unsupported(`opcode 0xfb ${sub}`, this.start);
    }
  }

  /** 0xFC: saturating truncation, bulk memory, table instructions, wide arithmetic. */
  #misc(): Op {
    const sub = this.u32();
    switch (sub) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4:
      case 5:
      case 6:
      case 7:
        return Op.Plain; // *.trunc_sat_*
      case 8:
        this.u32();
        this.u32();
        return Op.Plain; // memory.init data memory
      case 9:
        this.u32();
        return Op.Plain; // data.drop
      case 10:
        this.u32();
        this.u32();
        return Op.Plain; // memory.copy
      case 11:
        this.u32();
        return Op.Plain; // memory.fill
      case 12:
        this.u32();
        this.u32();
        return Op.TableWrite; // table.init elem table
      case 13:
        this.u32();
        return Op.Plain; // elem.drop
      case 14:
        this.u32();
        this.u32();
        return Op.TableWrite; // table.copy
      case 15:
        this.index = this.u32();
        return Op.TableGrow;
      case 16:
        this.u32();
        return Op.Plain; // table.size
      case 17:
        this.u32();
        return Op.TableWrite; // table.fill
      case 19:
      case 20:
      case 21:
      case 22:
        return Op.Plain; // i64.add128, sub128, mul_wide_s/u
      default:
        return this.unsupported(`opcode 0xfc ${sub}`, this.start);
    }
  }

  /** 0xFD: SIMD (fixed-width and relaxed). */
  #simd(): void {
    const sub = this.u32();
    if (sub <= 11 || sub === 92 || sub === 93) {
      this.memArg(); // v128 loads/stores, load*_splat, load*_zero
    } else if (sub === 12 || sub === 13) {
      this.skip(16); // v128.const, i8x16.shuffle
    } else if (sub >= 21 && sub <= 34) {
      this.skip(1); // extract_lane / replace_lane
    } else if (sub >= 84 && sub <= 91) {
      this.memArg(); // load*_lane / store*_lane
      this.skip(1);
    } else if (sub > 0x113 || SIMD_HOLES.has(sub)) {
      this.unsupported(`opcode 0xfd ${sub}`, this.start);
    }
  }

  /** 0xFE: threads (atomic memory accesses). */
  #atomic(): void {
    const sub = this.u32();
    if (sub === 3) {
      if (this.byte() !== 0) this.fail('atomic.fence expects a zero byte', this.pos - 1);
    } else if (sub <= 2 || (sub >= 0x10 && sub <= 0x4e)) {
      this.memArg();
    } else {
      this.unsupported(`opcode 0xfe ${sub}`, this.start);
    }
  }
}

/** SIMD opcodes in 0..0x113 that are not assigned. */
const SIMD_HOLES: ReadonlySet<number> = new Set([
  0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee,
]);
