/**
 * Writes one rewritten function body for the code pass: copies the original bytes in runs and
 * inserts the metering code between them. Segment costs are written as 5-byte placeholders when a
 * segment starts and settled in one final sweep, when every cost is known.
 */
import { ByteWriter, MAX_PLACEHOLDER_VALUE, s64Size } from './byte-writer.js';
import type { InstructionReader } from './instruction-reader.js';

/** Where the counter lives: the module's own global, and the shared one the host reads. */
export interface CounterGlobals {
  /** The global this module's functions load from on entry and store to around internal calls. */
  readonly module: number;
  /** The imported `fuel` global; the same index as `module` when the module has no global of its own. */
  readonly shared: number;
}

export class FuelEmitter {
  readonly w = new ByteWriter(64 * 1024);
  #copyFrom = 0;
  /** The counter local's index. */
  local = 0;
  /** Charges: where each one's 5-byte cost placeholder is, and its cost. */
  readonly #recAt: number[] = [];
  readonly recCost: number[] = [];
  /** The entry check's bytes, `[from, to)`, cut when the body turns out to need no check. */
  #checkFrom = 0;
  #checkTo = 0;

  constructor(readonly r: InstructionReader, readonly globals: CounterGlobals) {}

  /** Starts a body: nothing written, copying from `from`. */
  reset(from: number): void {
    this.w.reset();
    this.#copyFrom = from;
    this.#recAt.length = 0;
    this.recCost.length = 0;
  }

  /** Copies the original bytes up to `upTo`. */
  flushRun(upTo: number): void {
    this.w.range(this.r.bytes, this.#copyFrom, upTo);
    this.#copyFrom = upTo;
  }

  /** Continues copying from `from` (after writing a replacement). */
  skipTo(from: number): void {
    this.#copyFrom = from;
  }

  /** Replaces the current instruction with `opcode index`. */
  replace(opcode: number, index: number): void {
    this.flushRun(this.r.start);
    this.w.u8(opcode);
    this.w.u32(index);
    this.#copyFrom = this.r.pos;
  }

  #record(): number {
    this.#recAt.push(this.w.placeholderS35());
    return this.recCost.push(0) - 1;
  }

  /** Before the current instruction: `local -= <cost>`; returns the charge's record. */
  charge(): number {
    this.flushRun(this.r.start);
    const w = this.w;
    w.u8(0x20); w.u32(this.local); // local.get $fuel
    w.u8(0x42); const rec = this.#record(); // i64.const <cost>
    w.u8(0x7d); // i64.sub
    w.u8(0x21); w.u32(this.local); // local.set $fuel
    return rec;
  }

  /**
   * After the current instruction (a header: function `entry`, loop start): subtract the new
   * segment's cost from the counter (loaded from the module global when `fromGlobal`) and, below
   * zero, store it to both globals and trap. Returns the charge's record.
   */
  header(fromGlobal: boolean, entry: boolean): number {
    this.flushRun(this.r.pos);
    const w = this.w;
    const local = this.local;
    if (fromGlobal) { w.u8(0x23); w.u32(this.globals.module); } else { w.u8(0x20); w.u32(local); }
    w.u8(0x42); const rec = this.#record();
    w.u8(0x7d); // i64.sub
    if (entry) this.#checkFrom = w.length;
    w.u8(0x22); w.u32(local); // local.tee $fuel
    w.u8(0x42); w.u8(0x00); // i64.const 0
    w.u8(0x53); // i64.lt_s
    w.u8(0x04); w.u8(0x40); // if
    this.#storeTo(this.globals.module);
    if (this.globals.shared !== this.globals.module) this.#storeTo(this.globals.shared);
    w.u8(0x00); // unreachable
    w.u8(0x0b); // end
    if (entry) this.#checkTo = w.length;
    return rec;
  }

  #storeTo(global: number): void {
    this.w.u8(0x20); this.w.u32(this.local);
    this.w.u8(0x24); this.w.u32(global);
  }

  /** Before the current instruction: store the counter to `global`. */
  store(global: number): void {
    this.flushRun(this.r.start);
    this.#storeTo(global);
  }

  /** After the current instruction: reload the counter from `global`. */
  reloadAfter(global: number): void {
    this.flushRun(this.r.pos);
    const w = this.w;
    w.u8(0x23); w.u32(global);
    w.u8(0x21); w.u32(this.local);
  }

  /**
   * Writes the body to `out`, size first: each placeholder becomes its cost's shortest encoding,
   * and with `cutEntryCheck` the entry check becomes a plain `local.set`.
   */
  sweep(out: ByteWriter, cutEntryCheck: boolean): void {
    const w = this.w;
    const at = this.#recAt;
    const cost = this.recCost;
    const setLocal = new ByteWriter(8);
    if (cutEntryCheck) { setLocal.u8(0x21); setLocal.u32(this.local); }
    let size = w.length;
    for (let i = 0; i < at.length; i++) {
      if (cost[i]! > MAX_PLACEHOLDER_VALUE) this.r.unsupported('a straight-line block of more than 2^34 instructions');
      size -= 5 - s64Size(cost[i]!);
    }
    if (cutEntryCheck) size -= this.#checkTo - this.#checkFrom - setLocal.length;
    out.u32(size);
    let from = 0;
    for (let i = 0; i < at.length; i++) {
      out.rangeOf(w, from, at[i]!);
      out.s64(cost[i]!);
      from = at[i]! + 5;
      if (i === 0 && cutEntryCheck) {
        out.rangeOf(w, from, this.#checkFrom);
        out.append(setLocal);
        from = this.#checkTo;
      }
    }
    out.rangeOf(w, from, w.length);
  }
}
