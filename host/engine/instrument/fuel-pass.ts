/**
 * The code pass: rewrites every function body of a core module. Every instrumented body needs the
 * global index shift and the `memory.grow`/`table.grow` redirections of the limits pass; with fuel
 * on, it also meters the body.
 *
 * Fuel (like wasmtime's `consume_fuel`): every instruction costs 1 except the structural ones
 * (`nop`, `block`, `loop`, `else`, `end`, `try`, `try_table`, `catch`, `catch_all`, `delegate`),
 * which cost 0. The remaining fuel lives in the imported `fuel` global (i64); each body keeps a
 * copy in a local for speed:
 *
 * - the body is cut into *segments*, straight-line runs that end at a branch or a join point;
 *   a segment subtracts its whole cost from the local when it starts (the cost is written once
 *   the segment's end is seen), so counts are exact and deterministic;
 * - the segment that follows a *clean* block (one no branch, return or throw leaves early, so
 *   entering it means reaching its end) adds its cost to the segment that opened the block
 *   instead of subtracting separately;
 * - loop headers check the result: below zero, it is stored to the global and `unreachable`
 *   executes; so does function entry when the body calls out of a loop (a call inside a loop
 *   follows that loop's check in the same activation, so every cycle of calls passes a check);
 * - around every call (`call`, `call_indirect`, `call_ref`) the local is stored to the global
 *   before and reloaded after; it is stored before `return`, `return_call*`, `throw*`,
 *   `unreachable`, branches out of the function and the final `end`, so the global is exact
 *   whenever control leaves the body;
 * - handlers reload the local from the global (`catch`/`catch_all`, and the labels `try_table`
 *   catch clauses branch to), because a throw leaves the thrower's count in the global.
 *
 * The host tells fuel exhaustion from other traps by the global being negative. Between checks a
 * body runs at most one segment per header it passes, so the overshoot is bounded by the body's
 * straight-line length; the host also treats a call that returns with a negative global as over
 * budget.
 */
import { ByteWriter, MAX_PLACEHOLDER_VALUE, s64Size } from './byte-writer.js';
import type { GlobalShift } from './global-shift.js';
import { InstructionReader, Op } from './instruction-reader.js';

/** V8's limit on locals per function (params included); the pass adds one. */
const MAX_LOCALS = 50_000;
/** "No branch leaves this frame" (larger than any frame index). */
const CLEAN = 0x7fffffff;

const enum Frame { Func, Block, Loop, If, Try }

/** What the code pass needs to know about the module. */
export interface CodePassSettings {
  /** Meter fuel. */
  readonly fuel: boolean;
  /** The `fuel` global's index (after the shift). */
  readonly fuelGlobal: number;
  readonly shift: GlobalShift;
  /**
   * The function `memory.grow` / `table.grow` on `index` is redirected to (created on first use),
   * or undefined to keep the instruction.
   */
  readonly growHelper: (what: 'memory' | 'table', index: number) => number | undefined;
  /** Per type index: the parameter count of a function type (-1: not a function type). */
  readonly typeParams: readonly number[];
}

/**
 * Rewrites function bodies one at a time. Reuses its buffers across bodies, so one instance per
 * module keeps allocation flat.
 */
export class CodePass {
  readonly #s: CodePassSettings;
  readonly #r: InstructionReader;
  readonly #w = new ByteWriter(64 * 1024);
  // Per-body state.
  #copyFrom = 0;
  #local = 0;
  #dead = false;
  /** The charge the current segment adds its cost to, or -1 (none emitted yet). */
  #rec = -1;
  /** Charges: where each one's 5-byte cost placeholder is, and its cost. */
  #recAt: number[] = [];
  #recCost: number[] = [];
  /** The entry check's bytes, `[from, to)`, cut when the body turns out to need no check. */
  #checkFrom = 0;
  #checkTo = 0;
  #needsEntryCheck = false;
  /** How many loops enclose the current instruction. */
  #loops = 0;
  // The control stack.
  #kinds: Frame[] = [];
  #openedDead: boolean[] = [];
  #isTarget: boolean[] = [];
  #ids: number[] = [];
  /** Per frame: the charge of the segment that opened it (-1: none). */
  #openRec: number[] = [];
  /** Per frame: the outermost frame a branch inside it targets (`CLEAN` if none). */
  #exitTo: number[] = [];
  #nextId = 0;
  /** Blocks that `try_table` catch clauses branch to (by opening order), found in a first pass. */
  #targets: Set<number> | null = null;
  #found: Set<number> | null = null;

  constructor(bytes: Uint8Array, subject: string, settings: CodePassSettings) {
    this.#s = settings;
    this.#r = new InstructionReader(bytes, subject);
  }

  /**
   * Rewrites the body at `[start, end)` of a function of type `typeIndex` and appends it, size
   * first, to `out`.
   *
   * @throws LnError `LN_ERR_LOAD_INVALID` for a malformed body, `LN_ERR_LOAD_UNSUPPORTED_FEATURE`
   *   for an opcode the reader does not know
   */
  rewrite(start: number, end: number, typeIndex: number, out: ByteWriter): void {
    this.#targets = null;
    this.#run(start, end, typeIndex);
    if (this.#found) {
      // A try_table catches into blocks opened before it: rewrite again knowing them.
      this.#targets = this.#found;
      this.#run(start, end, typeIndex);
    }
    if (this.#s.fuel) this.#sweep(out);
    else out.sized(this.#w);
  }

  #run(start: number, end: number, typeIndex: number): void {
    const r = this.#r;
    const fuel = this.#s.fuel;
    this.#w.reset();
    r.pos = start;
    r.end = end;
    this.#found = null;
    this.#kinds.length = 0;
    this.#openedDead.length = 0;
    this.#isTarget.length = 0;
    this.#ids.length = 0;
    this.#openRec.length = 0;
    this.#exitTo.length = 0;
    this.#recAt.length = 0;
    this.#recCost.length = 0;
    this.#nextId = 0;
    this.#dead = false;
    this.#rec = -1;
    this.#needsEntryCheck = false;
    this.#loops = 0;
    this.#readLocals(typeIndex);
    this.#push(Frame.Func);
    if (fuel) this.#header(true, true);
    const shiftFrom = this.#s.shift.from;
    for (;;) {
      const op = r.next();
      switch (op) {
        case Op.Plain:
          if (fuel) this.#charge();
          break;
        case Op.Nop:
          break;
        case Op.GlobalGet:
        case Op.GlobalSet:
          if (fuel) this.#charge();
          if (r.index >= shiftFrom) this.#replace(op === Op.GlobalGet ? 0x23 : 0x24, this.#s.shift.map(r.index));
          break;
        case Op.MemoryGrow: {
          if (fuel) this.#charge();
          const helper = this.#s.growHelper('memory', r.index);
          if (helper !== undefined) this.#replace(0x10, helper);
          break;
        }
        case Op.TableGrow: {
          if (fuel) this.#charge();
          const helper = this.#s.growHelper('table', r.index);
          if (helper !== undefined) this.#replace(0x10, helper);
          break;
        }
        case Op.Block:
        case Op.Try:
          if (fuel) this.#open();
          this.#push(op === Op.Block ? Frame.Block : Frame.Try);
          break;
        case Op.TryTable:
          if (fuel) this.#open();
          this.#push(Frame.Block);
          if (fuel) this.#catchClauses();
          break;
        case Op.Loop: {
          const target = this.#targets?.has(this.#nextId) ?? false;
          if (fuel) {
            this.#open();
            if (target && !this.#dead) this.#store();
          }
          this.#loops++;
          this.#push(Frame.Loop);
          if (fuel) {
            if (this.#dead) this.#rec = -1;
            else this.#header(target, false);
          }
          break;
        }
        case Op.If:
          if (fuel) {
            this.#charge();
            // An `if` whose label a catch clause targets jumps to that join when its condition is false.
            if (!this.#dead && this.#targets?.has(this.#nextId)) this.#store();
          }
          this.#push(Frame.If);
          this.#rec = -1;
          break;
        case Op.Else:
        case Op.Catch: {
          const top = this.#top();
          if (op === Op.Else ? this.#kinds[top] !== Frame.If : this.#kinds[top] !== Frame.Try) {
            r.fail(op === Op.Else ? '`else` outside `if`' : '`catch` outside `try`', r.start);
          }
          if (fuel && this.#isTarget[top] && !this.#dead) this.#store();
          this.#rec = -1;
          this.#dead = this.#openedDead[top]!;
          if (fuel && op === Op.Catch && !this.#dead) this.#reloadAfter();
          break;
        }
        case Op.End:
        case Op.Delegate: {
          const top = this.#top();
          const kind = this.#kinds[top]!;
          if (kind === Frame.Func) {
            if (op === Op.Delegate) r.fail('`delegate` outside `try`', r.start);
            if (fuel && !this.#dead) this.#store();
            this.#flushRun(r.pos);
            if (r.pos !== end) r.fail('function body continues after its final `end`');
            return;
          }
          if (op === Op.Delegate) {
            if (kind !== Frame.Try) r.fail('`delegate` outside `try`', r.start);
            this.#exit(0); // rethrows to an outer handler
          }
          this.#endFrame(top, kind);
          break;
        }
        case Op.Br:
        case Op.BrIf:
          if (fuel) {
            this.#charge();
            if (this.#branchTo(r.index) && !this.#dead) this.#store();
            this.#rec = -1;
          }
          if (op === Op.Br) this.#dead = true;
          break;
        case Op.BrTable:
          if (fuel) {
            this.#charge();
            let store = false;
            for (let i = 0; i < r.labelCount; i++) store = this.#branchTo(r.labels[i]!) || store;
            if (store && !this.#dead) this.#store();
            this.#rec = -1;
          }
          this.#dead = true;
          break;
        case Op.Return:
        case Op.Unreachable:
        case Op.Throw:
        case Op.ReturnCall:
          if (fuel) {
            this.#charge();
            if (!this.#dead) this.#store();
            this.#exit(0);
            this.#rec = -1;
            if (op === Op.ReturnCall && this.#loops === 0) this.#needsEntryCheck = true;
          }
          this.#dead = true;
          break;
        case Op.Call:
          if (fuel) {
            this.#charge();
            if (this.#loops === 0) this.#needsEntryCheck = true;
            if (!this.#dead) {
              this.#store();
              this.#reloadAfter();
            }
          }
          break;
      }
    }
  }

  /** Reads the locals declaration; with fuel, writes it with one more i64 local (the counter). */
  #readLocals(typeIndex: number): void {
    const r = this.#r;
    const w = this.#w;
    const params = this.#s.typeParams[typeIndex] ?? -1;
    if (params < 0) r.fail(`function type ${typeIndex} is not a function type`);
    const groupsAt = r.pos;
    const groups = r.count('local declarations', 2);
    const firstGroup = r.pos;
    let total = params;
    for (let i = 0; i < groups; i++) {
      total += r.u32();
      if (total > MAX_LOCALS) r.fail(`more than ${MAX_LOCALS} locals`);
      r.valType();
    }
    if (!this.#s.fuel) {
      this.#copyFrom = groupsAt;
      return;
    }
    if (total + 1 > MAX_LOCALS) r.unsupported(`a function with ${MAX_LOCALS} locals (fuel needs one more)`);
    this.#local = total;
    w.u32(groups + 1);
    w.range(r.bytes, firstGroup, r.pos);
    w.u8(1);
    w.u8(0x7e);
    this.#copyFrom = r.pos;
  }

  #push(kind: Frame): void {
    const id = this.#nextId++;
    this.#kinds.push(kind);
    this.#openedDead.push(this.#dead);
    this.#isTarget.push(this.#targets?.has(id) ?? false);
    this.#ids.push(id);
    this.#openRec.push(this.#dead ? -1 : this.#rec);
    this.#exitTo.push(CLEAN);
  }

  /** Closes the frame at `top` (not the function's): joins, reloads, merges the next segment. */
  #endFrame(top: number, kind: Frame): void {
    const fuel = this.#s.fuel;
    const joins = this.#isTarget[top]! && kind !== Frame.Loop;
    if (fuel && joins && !this.#dead) this.#store();
    const exitTo = this.#exitTo[top]!;
    const openRec = this.#openRec[top]!;
    if (kind === Frame.Loop) this.#loops--;
    this.#dead = this.#openedDead[top]!;
    this.#kinds.pop();
    this.#openedDead.pop();
    this.#isTarget.pop();
    this.#ids.pop();
    this.#openRec.pop();
    this.#exitTo.pop();
    const parent = top - 1;
    if (exitTo < this.#exitTo[parent]!) this.#exitTo[parent] = exitTo;
    // Entering a clean frame means reaching its end: the segment that opened it pays for the next one.
    this.#rec = exitTo >= top && !joins ? openRec : -1;
    if (fuel && joins && !this.#dead) this.#reloadAfter();
  }

  #top(): number {
    const top = this.#kinds.length - 1;
    if (top < 0) this.#r.fail('unbalanced `end`', this.#r.start);
    return top;
  }

  /** The frame a branch of `depth` targets. */
  #frame(depth: number): number {
    const at = this.#kinds.length - 1 - depth;
    if (at < 0) this.#r.fail(`branch depth ${depth} is outside the function`, this.#r.start);
    return at;
  }

  /** Notes that control leaves the current frame for frame `at` (0: the function). */
  #exit(at: number): void {
    const top = this.#kinds.length - 1;
    if (at < this.#exitTo[top]!) this.#exitTo[top] = at;
  }

  /**
   * Notes a branch to `depth`; returns whether the counter must be stored first (the branch
   * leaves the function or joins a handler's reload point).
   */
  #branchTo(depth: number): boolean {
    const at = this.#frame(depth);
    this.#exit(at);
    return at === 0 || this.#isTarget[at]!;
  }

  /** A `try_table`'s catch clauses: branches out of it, and (first pass) reload points. */
  #catchClauses(): void {
    const r = this.#r;
    for (let i = 0; i < r.labelCount; i++) {
      const at = this.#frame(r.labels[i]! + 1); // relative to the try_table's enclosing frame
      this.#exit(at);
      if (at === 0 || this.#targets) continue; // into the function's exit: the global is already exact
      (this.#found ??= new Set()).add(this.#ids[at]!);
    }
  }

  #flushRun(upTo: number): void {
    this.#w.range(this.#r.bytes, this.#copyFrom, upTo);
    this.#copyFrom = upTo;
  }

  /** Replaces the current instruction with `opcode index`. */
  #replace(opcode: number, index: number): void {
    this.#flushRun(this.#r.start);
    this.#w.u8(opcode);
    this.#w.u32(index);
    this.#copyFrom = this.#r.pos;
  }

  /** A new charge record whose placeholder is written next. */
  #record(): number {
    this.#recAt.push(this.#w.placeholderS35());
    return this.#recCost.push(0) - 1;
  }

  /** Before a block opens: make sure the live segment has a charge the block's successor can join. */
  #open(): void {
    if (this.#rec < 0 && !this.#dead) this.#emitCharge();
  }

  /** Counts one instruction; the first in a live segment emits the segment's charge before it. */
  #charge(): void {
    if (this.#rec < 0) {
      if (this.#dead) return;
      this.#emitCharge();
    }
    this.#recCost[this.#rec]!++;
  }

  #emitCharge(): void {
    this.#flushRun(this.#r.start);
    const w = this.#w;
    w.u8(0x20); w.u32(this.#local); // local.get $fuel
    w.u8(0x42); this.#rec = this.#record(); // i64.const <cost>
    w.u8(0x7d); // i64.sub
    w.u8(0x21); w.u32(this.#local); // local.set $fuel
  }

  /**
   * At a header (function `entry`, loop start): subtract the new segment's cost from the counter
   * (loaded from the global when `fromGlobal`) and trap with the global negative if it is below 0.
   */
  #header(fromGlobal: boolean, entry: boolean): void {
    this.#flushRun(this.#r.pos);
    const w = this.#w;
    const local = this.#local;
    if (fromGlobal) { w.u8(0x23); w.u32(this.#s.fuelGlobal); } else { w.u8(0x20); w.u32(local); }
    w.u8(0x42); this.#rec = this.#record();
    w.u8(0x7d); // i64.sub
    if (entry) this.#checkFrom = w.length;
    w.u8(0x22); w.u32(local); // local.tee $fuel
    w.u8(0x42); w.u8(0x00); // i64.const 0
    w.u8(0x53); // i64.lt_s
    w.u8(0x04); w.u8(0x40); // if
    w.u8(0x20); w.u32(local);
    w.u8(0x24); w.u32(this.#s.fuelGlobal);
    w.u8(0x00); // unreachable
    w.u8(0x0b); // end
    if (entry) this.#checkTo = w.length;
  }

  /** Stores the counter to the global, before the current instruction. */
  #store(): void {
    this.#flushRun(this.#r.start);
    const w = this.#w;
    w.u8(0x20); w.u32(this.#local);
    w.u8(0x24); w.u32(this.#s.fuelGlobal);
  }

  /** Reloads the counter from the global, after the current instruction. */
  #reloadAfter(): void {
    this.#flushRun(this.#r.pos);
    const w = this.#w;
    w.u8(0x23); w.u32(this.#s.fuelGlobal);
    w.u8(0x21); w.u32(this.#local);
  }

  /**
   * Writes the metered body to `out`, size first: each placeholder becomes its cost's shortest
   * encoding, and the entry check becomes a plain `local.set` when no call is outside a loop.
   */
  #sweep(out: ByteWriter): void {
    const w = this.#w;
    const at = this.#recAt;
    const cost = this.#recCost;
    const cut = !this.#needsEntryCheck;
    const setLocal = new ByteWriter(8);
    if (cut) { setLocal.u8(0x21); setLocal.u32(this.#local); }
    let size = w.length;
    for (let i = 0; i < at.length; i++) {
      if (cost[i]! > MAX_PLACEHOLDER_VALUE) this.#r.unsupported('a straight-line block of more than 2^34 instructions');
      size -= 5 - s64Size(cost[i]!);
    }
    if (cut) size -= this.#checkTo - this.#checkFrom - setLocal.length;
    out.u32(size);
    let from = 0;
    for (let i = 0; i < at.length; i++) {
      out.rangeOf(w, from, at[i]!);
      out.s64(cost[i]!);
      from = at[i]! + 5;
      if (i === 0 && cut) {
        out.rangeOf(w, from, this.#checkFrom);
        out.append(setLocal);
        from = this.#checkTo;
      }
    }
    out.rangeOf(w, from, w.length);
  }
}
