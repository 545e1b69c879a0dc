/**
 * The limits pass: bounds every memory and table of a core module, defined or imported, by the
 * budget, and builds the helper functions that `memory.grow` / `table.grow` are redirected to so
 * a grow refused by the budget raises the `grow_failed` flag.
 *
 * Why rewrite limits: worker `resourceLimits` do not bound wasm memory (FINDINGS); a memory whose
 * declared maximum is the budget makes `memory.grow` return -1 past it, in every engine. Imports
 * get the cap too, so an importing module agrees with the (capped) memory it is given.
 */
import { LnError } from '../../errors/ln-error.js';
import { ByteWriter } from './byte-writer.js';
import type { CodeCursor } from './code-cursor.js';

/** WebAssembly's default page: 64 KiB. */
export const WASM_PAGE_BYTES = 65_536;

/** The budgets the limits pass applies. */
export interface LimitBudget {
  /** Largest size of each linear memory, bytes (rounded down to whole pages). */
  readonly maxMemoryBytes: number;
  /** Largest number of elements of each table. */
  readonly maxTableElements: number;
}

/** A memory or table after the pass: whether the budget lowered its maximum, and its index type. */
export interface Bounded {
  /** True when the budget lowered (or set) the maximum: a failing grow is then the budget's doing. */
  readonly lowered: boolean;
  /** 64-bit index (memory64 / table64): grow takes and returns i64. */
  readonly is64: boolean;
}

/** A table after the pass, with its element type's encoding (the grow helper's parameter type). */
export interface BoundedTable extends Bounded {
  readonly refType: Uint8Array;
}

/**
 * Reads limits at the cursor and writes them with the maximum bounded by `cap` (in pages or
 * elements).
 *
 * @throws LnError `LN_ERR_BUDGET_MEMORY` when the minimum is already over the cap: an instance
 *   could never start
 */
export function boundLimits(c: CodeCursor, out: ByteWriter, budget: LimitBudget, what: 'memory' | 'table'): Bounded {
  const flagsAt = c.pos;
  const flags = c.u32();
  if (flags & ~0x0f || (what === 'table' && flags & 0x0a)) c.unsupported(`${what} limits flags 0x${flags.toString(16)}`, flagsAt);
  const min = c.u64();
  const max = flags & 0x01 ? c.u64() : undefined;
  const pageSizeLog2 = flags & 0x08 ? c.u32() : 16;
  if (pageSizeLog2 > 16) c.fail(`page size 2^${pageSizeLog2} is larger than 64 KiB`);
  const is64 = (flags & 0x04) !== 0;
  const cap = what === 'memory' ? Math.floor(budget.maxMemoryBytes / 2 ** pageSizeLog2) : budget.maxTableElements;
  if (min > cap) {
    throw new LnError('LN_ERR_BUDGET_MEMORY', {
      subject: c.subject,
      limitBytes: budget.maxMemoryBytes,
      limitTableElements: budget.maxTableElements,
      reason:
        what === 'memory' ? `a memory needs at least ${min * 2 ** pageSizeLog2} bytes from the start` : `a table needs at least ${min} elements from the start`,
    });
  }
  const lowered = max === undefined || max > cap;
  out.u8(flags | 0x01);
  out.u32(min);
  out.u32(lowered ? cap : max);
  if (flags & 0x08) out.u32(pageSizeLog2);
  return { lowered, is64 };
}

/** Reads a table type (element type, limits) at the cursor and writes it bounded. */
export function boundTableType(c: CodeCursor, out: ByteWriter, budget: LimitBudget): BoundedTable {
  const at = c.pos;
  c.valType();
  const refType = c.bytes.slice(at, c.pos);
  out.bytes(refType);
  return { ...boundLimits(c, out, budget, 'table'), refType };
}

/**
 * Copies an import section's entries (not its count) to `out` with every memory and table import
 * bounded, recording them in `memories` / `tables` (index-space order). Returns the entry count.
 */
export function boundImports(r: CodeCursor, out: ByteWriter, budget: LimitBudget, memories: Bounded[], tables: BoundedTable[]): number {
  const n = r.count('imports', 3);
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    r.nameBytes();
    r.nameBytes();
    const kind = r.byte();
    out.range(r.bytes, at, r.pos);
    if (kind === 0x01) {
      tables.push(boundTableType(r, out, budget));
    } else if (kind === 0x02) {
      memories.push(boundLimits(r, out, budget, 'memory'));
    } else {
      const from = r.pos;
      if (kind === 0x00) r.u32();
      else if (kind === 0x03) {
        r.valType();
        r.byte();
      } else if (kind === 0x04) {
        r.byte();
        r.u32();
      } else r.unsupported(`import kind 0x${kind.toString(16)}`, from - 1);
      out.range(r.bytes, from, r.pos);
    }
  }
  if (r.pos !== r.end) r.fail('import section has trailing bytes');
  return n;
}

/** Rewrites a table section with every table bounded; `initialiser` copies a table's init expression. */
export function boundTables<R extends CodeCursor>(
  r: R,
  out: ByteWriter,
  budget: LimitBudget,
  tables: BoundedTable[],
  initialiser: (r: R, out: ByteWriter) => void,
): void {
  const n = r.count('tables');
  out.u32(n);
  for (let i = 0; i < n; i++) {
    if (r.bytes[r.pos] === 0x40) {
      // a table with an initialiser: 0x40 0x00 tabletype expr
      r.skip(1);
      if (r.byte() !== 0x00) r.fail('expected 0x00 after 0x40 in a table definition', r.pos - 1);
      out.u8(0x40);
      out.u8(0x00);
      tables.push(boundTableType(r, out, budget));
      initialiser(r, out);
    } else {
      tables.push(boundTableType(r, out, budget));
    }
  }
  if (r.pos !== r.end) r.fail('table section has trailing bytes');
}

/** Rewrites a memory section with every memory bounded. */
export function boundMemories(r: CodeCursor, out: ByteWriter, budget: LimitBudget, memories: Bounded[]): void {
  const n = r.count('memories');
  out.u32(n);
  for (let i = 0; i < n; i++) memories.push(boundLimits(r, out, budget, 'memory'));
  if (r.pos !== r.end) r.fail('memory section has trailing bytes');
}

/** A helper function the pass appends: its type (encoded) and body (encoded, with locals). */
export interface GrowHelper {
  readonly type: Uint8Array;
  readonly body: Uint8Array;
}

/**
 * The helper that replaces `memory.grow m`: same signature, same result, and when the result is
 * -1 it sets the `grow_failed` global to 1.
 *
 *   (func (param $delta i32|i64) (result i32|i64) (local $r i32|i64)
 *     (local.set $r (memory.grow m (local.get $delta)))
 *     (if (eq (local.get $r) (const -1)) (then (global.set $grow_failed (i32.const 1))))
 *     (local.get $r))
 */
export function memoryGrowHelper(memory: number, is64: boolean, growFailedGlobal: number): GrowHelper {
  const t = is64 ? 0x7e : 0x7f;
  const body = new ByteWriter(32);
  body.u8(1);
  body.u8(1);
  body.u8(t); // one local of the index type
  body.u8(0x20);
  body.u32(0); // local.get $delta
  body.u8(0x40);
  body.u32(memory); // memory.grow
  return { type: Uint8Array.of(0x60, 1, t, 1, t), body: finishGrow(body, 1, is64, growFailedGlobal) };
}

/**
 * The helper that replaces `table.grow t`: `(param $init reftype) (param $delta i32|i64)`, same
 * result, setting `grow_failed` on -1 like `memoryGrowHelper`.
 */
export function tableGrowHelper(table: number, refType: Uint8Array, is64: boolean, growFailedGlobal: number): GrowHelper {
  const t = is64 ? 0x7e : 0x7f;
  const type = new ByteWriter(16);
  type.u8(0x60);
  type.u8(2);
  type.bytes(refType);
  type.u8(t);
  type.u8(1);
  type.u8(t);
  const body = new ByteWriter(32);
  body.u8(1);
  body.u8(1);
  body.u8(t);
  body.u8(0x20);
  body.u32(0); // local.get $init
  body.u8(0x20);
  body.u32(1); // local.get $delta
  body.u8(0xfc);
  body.u32(15);
  body.u32(table); // table.grow
  return { type: type.toBytes(), body: finishGrow(body, 2, is64, growFailedGlobal) };
}

/** The shared tail: tee the result into local `r`, flag -1, return the result. */
function finishGrow(body: ByteWriter, r: number, is64: boolean, growFailedGlobal: number): Uint8Array {
  body.u8(0x22);
  body.u32(r); // local.tee $r
  body.u8(is64 ? 0x42 : 0x41);
  body.s64(-1);
  body.u8(is64 ? 0x51 : 0x46); // i64.eq / i32.eq
  body.u8(0x04);
  body.u8(0x40); // if
  body.u8(0x41);
  body.s64(1);
  body.u8(0x24);
  body.u32(growFailedGlobal);
  body.u8(0x0b); // end if
  body.u8(0x20);
  body.u32(r);
  body.u8(0x0b); // end func
  return body.toBytes();
}
