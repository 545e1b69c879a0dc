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
  /** The last header's trap path (the stores and `unreachable`), `[trapFrom, trapTo)`. */
  trapFrom = 0;
  trapTo = 0;
  /** Trap paths to write as a call of the trap helper instead: `[from, to)` pairs. */
  readonly #callTraps: number[] = [];

  /**
   * @param trapHelper - the index of the appended function that stores the counter it is passed
   *   to the globals and traps (see `fuelTrapHelper`); called when a header needs it
   */
  constructor(
    readonly r: InstructionReader,
    readonly globals: CounterGlobals,
    readonly trapHelper: () => number,
  ) {}

  /** Starts a body: nothing written, copying from `from`. */
  reset(from: number): void {
    this.w.reset();
    this.#copyFrom = from;
    this.#recAt.length = 0;
    this.recCost.length = 0;
    this.#callTraps.length = 0;
  }

  /**
   * Writes the trap path at `[from, to)` (a loop header's, see `header`) as
   * `local.get $fuel, call $fuel_trap, unreachable`. For loops without calls: inline, the stores
   * keep the globals' addresses live in registers across the loop, and V8 unrolls the loop around
   * the trap exit, which on a tight loop cost 1.4x where the call costs ~1.04x (V8 does not
   * unroll loops that contain calls). Loops with calls keep the inline stores: there the call
   * costs more than it saves (see docs/benchmarks.md).
   */
  callTrap(from: number, to: number): void {
    this.#callTraps.push(from, to);
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
    w.u8(0x20);
    w.u32(this.local); // local.get $fuel
    w.u8(0x42);
    const rec = this.#record(); // i64.const <cost>
    w.u8(0x7d); // i64.sub
    w.u8(0x21);
    w.u32(this.local); // local.set $fuel
    return rec;
  }

  /**
   * After the current instruction (a header: function `entry`, loop start): subtract the new
   * segment's cost from the counter (loaded from the module global when `fromGlobal`) and, below
   * zero, store it to both globals and trap. Returns the charge's record; the trap path's bytes
   * are `[trapFrom, trapTo)` (see `callTrap`).
   */
  header(fromGlobal: boolean, entry: boolean): number {
    this.flushRun(this.r.pos);
    const w = this.w;
    const local = this.local;
    if (fromGlobal) {
      w.u8(0x23);
      w.u32(this.globals.module);
    } else {
      w.u8(0x20);
      w.u32(local);
    }
    w.u8(0x42);
    const rec = this.#record();
    w.u8(0x7d); // i64.sub
    if (entry) this.#checkFrom = w.length;
    w.u8(0x22);
    w.u32(local); // local.tee $fuel
    w.u8(0x42);
    w.u8(0x00); // i64.const 0
    w.u8(0x53); // i64.lt_s
    w.u8(0x04);
    w.u8(0x40); // if
    this.trapFrom = w.length;
    this.#storeTo(this.globals.module);
    if (this.globals.shared !== this.globals.module) this.#storeTo(this.globals.shared);
    w.u8(0x00); // unreachable
    this.trapTo = w.length;
    w.u8(0x0b); // end
    if (entry) this.#checkTo = w.length;
    return rec;
  }

  #storeTo(global: number): void {
    this.w.u8(0x20);
    this.w.u32(this.local);
    this.w.u8(0x24);
    this.w.u32(global);
  }

  /** Before the current instruction: store the counter to `global`. */
  store(global: number): void {
    this.flushRun(this.r.start);
    this.#storeTo(global);
  }

  /** After the header: opens the block a passing body is wrapped in (`resultType`: its block type). */
  openBlock(resultType: Uint8Array): void {
    this.w.u8(0x02);
    this.w.bytes(resultType);
  }

  /** Before the function's final `end`: closes the wrapping block and pushes the counter as the last result. */
  closeBlockPushCounter(): void {
    this.flushRun(this.r.start);
    this.w.u8(0x0b);
    this.pushCounter();
  }

  /** Before the current instruction: push the counter (the last argument or result). */
  pushCounter(): void {
    this.flushRun(this.r.start);
    this.w.u8(0x20);
    this.w.u32(this.local);
  }

  /** After the current instruction (a call of a passing function): take the counter back. */
  popCounterAfter(): void {
    this.flushRun(this.r.pos);
    this.w.u8(0x21);
    this.w.u32(this.local);
  }

  /** After the current instruction: reload the counter from `global`. */
  reloadAfter(global: number): void {
    this.flushRun(this.r.pos);
    const w = this.w;
    w.u8(0x23);
    w.u32(global);
    w.u8(0x21);
    w.u32(this.local);
  }

  /**
   * Writes the body to `out`, size first: each placeholder becomes its cost's shortest encoding,
   * with `cutEntryCheck` the entry check becomes a plain `local.set`, and the trap paths passed to
   * `callTrap` call the trap helper.
   */
  sweep(out: ByteWriter, cutEntryCheck: boolean): void {
    const w = this.w;
    const at = this.#recAt;
    const cost = this.recCost;
    // Every replacement as [from, to, bytes] (bytes: null for a placeholder's cost), in order.
    const edits: [number, number, Uint8Array | null][] = [];
    for (let i = 0; i < at.length; i++) {
      if (cost[i]! > MAX_PLACEHOLDER_VALUE) this.r.unsupported('a straight-line block of more than 2^34 instructions');
      edits.push([at[i]!, at[i]! + 5, null]);
    }
    if (cutEntryCheck) {
      const setLocal = new ByteWriter(8);
      setLocal.u8(0x21);
      setLocal.u32(this.local);
      edits.push([this.#checkFrom, this.#checkTo, setLocal.toBytes()]);
    }
    if (this.#callTraps.length > 0) {
      const call = new ByteWriter(16);
      call.u8(0x20);
      call.u32(this.local); // local.get $fuel
      call.u8(0x10);
      call.u32(this.trapHelper()); // call $fuel_trap
      call.u8(0x00); // unreachable
      const bytes = call.toBytes();
      for (let i = 0; i < this.#callTraps.length; i += 2) edits.push([this.#callTraps[i]!, this.#callTraps[i + 1]!, bytes]);
    }
    edits.sort((a, b) => a[0] - b[0]);
    let size = w.length;
    let c = 0;
    for (const [from, to, bytes] of edits) size -= to - from - (bytes ? bytes.length : s64Size(cost[c++]!));
    out.u32(size);
    let from = 0;
    c = 0;
    for (const [at, to, bytes] of edits) {
      out.rangeOf(w, from, at);
      if (bytes) out.bytes(bytes);
      else out.s64(cost[c++]!);
      from = to;
    }
    out.rangeOf(w, from, w.length);
  }
}

/**
 * The function the checks call when the counter goes negative: stores it to the module's global
 * and the shared one and traps. Its type is `FUEL_TRAP_TYPE`.
 *
 *   (func (param $fuel i64) (global.set $module (local.get 0)) (global.set $shared (local.get 0)) unreachable)
 */
export function fuelTrapHelper(globals: CounterGlobals): Uint8Array {
  const w = new ByteWriter(16);
  w.u8(0); // no locals
  for (const g of globals.shared === globals.module ? [globals.module] : [globals.module, globals.shared]) {
    w.u8(0x20);
    w.u8(0); // local.get 0
    w.u8(0x24);
    w.u32(g);
  }
  w.u8(0x00); // unreachable
  w.u8(0x0b);
  return w.toBytes();
}

/** `(func (param i64))`, the type of the trap helper. */
export const FUEL_TRAP_TYPE = Uint8Array.of(0x60, 1, 0x7e, 0);
