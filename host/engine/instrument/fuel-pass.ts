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
 *   executes (in a loop without calls, through an appended helper: see `FuelEmitter.callTrap`); so does function entry when the body calls out of a loop (a call inside a loop
 *   follows that loop's check in the same activation, so every cycle of calls passes a check);
 * - around every call (`call`, `call_indirect`, `call_ref`) the local is stored to the global
 *   before and reloaded after; it is stored before `return`, `return_call*`, `throw*`,
 *   `unreachable`, branches out of the function and the final `end`, so the global is exact
 *   whenever control leaves the body;
 * - handlers reload the local from the global (`catch`/`catch_all`, and the labels `try_table`
 *   catch clauses branch to), because a throw leaves the thrower's count in the global.
 *
 * Where the counter lives between functions (`CounterGlobals`): the shared imported global, or,
 * when `fuel-scope.ts` finds the module's functions can be entered from outside only through its
 * exports, a global of the module's own (V8 reaches an imported mutable global through one more
 * indirection, which costs a call-heavy guest ~15%). Then calls that may leave the module store
 * to and reload from the shared global instead, the trap path stores to both, and the pass
 * reports any instruction that would break the premise (`ref.func`, `table.get`, table writes
 * and grows, exceptions, a tail call out of the module), so the module is rewritten with the
 * shared global alone.
 *
 * In such a module, a function only direct calls and the entry wrappers can enter (`passes`:
 * in no element segment, a plain type with at most one result) keeps the counter in a register
 * instead: it takes it as its last parameter (the declared locals move up by one) and returns it
 * as its last result (the body is wrapped in a block of its results followed by the counter, and
 * every `return` pushes it first); a direct call of it passes the local in and takes it back, so
 * no store→load chain through the global remains on such calls. A tail call rules that out
 * (`Rewrite.NoPassing`): the module is rewritten without it.
 *
 * The host tells fuel exhaustion from other traps by the global being negative. Between checks a
 * body runs at most one segment per header it passes, so the overshoot is bounded by the body's
 * straight-line length; the host also treats a call that returns with a negative global as over
 * budget.
 */
import type { ByteWriter } from './byte-writer.js';
import { ControlStack, Frame } from './control-stack.js';
import { type CounterGlobals, FuelEmitter } from './fuel-emitter.js';
import type { GlobalShift } from './global-shift.js';
import { CallKind, InstructionReader, Op } from './instruction-reader.js';
import { MAX_LOCALS, readLocals, withOneMoreLocal } from './locals.js';

/** What the code pass needs to know about the module. */
export interface CodePassSettings {
  /** Meter fuel. */
  readonly fuel: boolean;
  /** Where the counter lives (the indices after the shift). */
  readonly globals: CounterGlobals;
  /** Whether a call may leave the module (matters only when it has a counter global of its own). */
  readonly leaves: (kind: CallKind, index: number) => boolean;
  readonly shift: GlobalShift;
  /**
   * The function `memory.grow` / `table.grow` on `index` is redirected to (created on first use),
   * or undefined to keep the instruction.
   */
  readonly growHelper: (what: 'memory' | 'table', index: number) => number | undefined;
  /** The function the fuel checks call to store the counter and trap (created on first use). */
  readonly trapHelper: () => number;
  /** Per type index: the parameter count of a function type (-1: not a function type). */
  readonly typeParams: readonly number[];
  /**
   * Whether the defined function `fn` takes the counter as its last parameter and returns it as
   * its last result (see the file comment); null: no function does.
   */
  readonly passes: ((fn: number) => boolean) | null;
}

/** How `CodePass.rewrite` went. */
export const Rewrite = {
  Done: 0,
  /** The module's own counter global is unsound for this module: start over with the shared one. */
  SharedOnly: 1,
  /** Passing the counter as a parameter is unsound for this module: start over without. */
  NoPassing: 2,
} as const;
export type Rewrite = (typeof Rewrite)[keyof typeof Rewrite];

/** Thrown inside a walk when a module-owned counter is unsound for this module. */
const SHARED_ONLY = Symbol('shared counter only');
/** Thrown inside a walk when passing the counter as a parameter is unsound for this module. */
const NO_PASSING = Symbol('no counter parameters');

/**
 * Rewrites function bodies one at a time. Reuses its buffers across bodies, so one instance per
 * module keeps allocation flat.
 */
export class CodePass {
  readonly #s: CodePassSettings;
  readonly #r: InstructionReader;
  readonly #e: FuelEmitter;
  /** The module has a counter global of its own (see the file comment). */
  readonly #owned: boolean;
  // Per-body state.
  #dead = false;
  /** The charge the current segment adds its cost to, or -1 (none emitted yet). */
  #rec = -1;
  #needsEntryCheck = false;
  /** How many loops enclose the current instruction. */
  #loops = 0;
  /**
   * Per enclosing loop, innermost last: its header's trap path `[from, to)` (-1: none) and
   * whether the loop contains a call (see `FuelEmitter.callTrap`).
   */
  readonly #loopTraps: number[] = [];
  readonly #c: ControlStack;
  /** Blocks that `try_table` catch clauses branch to (by opening order), found in a first pass. */
  #targets: Set<number> | null = null;
  #found: Set<number> | null = null;
  /**
   * This body's function takes the counter as a parameter: its parameter count (the counter's
   * index; the declared locals move up by one), or -1.
   */
  #passed = -1;
  /** The block type of the block that wraps a passing body (its results), when `#passed >= 0`. */
  #resultType: Uint8Array | null = null;

  constructor(bytes: Uint8Array, subject: string, settings: CodePassSettings) {
    this.#s = settings;
    this.#r = new InstructionReader(bytes, subject);
    this.#e = new FuelEmitter(this.#r, settings.globals, settings.trapHelper);
    this.#c = new ControlStack(this.#r);
    this.#owned = settings.globals.module !== settings.globals.shared;
  }

  /**
   * Rewrites the body at `[start, end)` of a function of type `typeIndex` and appends it, size
   * first, to `out`. Returns `SharedOnly`, writing nothing, when the module has a counter global
   * of its own and this body could let its functions be entered from outside, `NoPassing` when
   * it rules out passing the counter as a parameter (a tail call; see the file comment).
   *
   * @param resultType - when the function takes the counter as a parameter: the block type of
   *   its results (one value type, or 0x40 for none); null otherwise
   * @throws LnError `LN_ERR_LOAD_INVALID` for a malformed body, `LN_ERR_LOAD_UNSUPPORTED_FEATURE`
   *   for an opcode the reader does not know
   */
  rewrite(start: number, end: number, typeIndex: number, out: ByteWriter, resultType: Uint8Array | null = null): Rewrite {
    this.#targets = null;
    this.#resultType = resultType;
    try {
      this.#run(start, end, typeIndex);
      if (this.#found) {
        // A try_table catches into blocks opened before it: rewrite again knowing them.
        this.#targets = this.#found;
        this.#run(start, end, typeIndex);
      }
    } catch (err) {
      if (err === SHARED_ONLY) return Rewrite.SharedOnly;
      if (err === NO_PASSING) return Rewrite.NoPassing;
      throw err;
    }
    if (this.#s.fuel) this.#e.sweep(out, !this.#needsEntryCheck);
    else out.sized(this.#e.w);
    return Rewrite.Done;
  }

  /** In a module with its own counter global: this instruction makes that unsound. */
  #sharedOnly(): void {
    if (this.#owned) throw SHARED_ONLY;
  }

  #run(start: number, end: number, typeIndex: number): void {
    const r = this.#r;
    const e = this.#e;
    const fuel = this.#s.fuel;
    const { module: own, shared } = this.#s.globals;
    r.pos = start;
    r.end = end;
    this.#found = null;
    this.#c.reset();
    this.#dead = false;
    this.#rec = -1;
    this.#needsEntryCheck = false;
    this.#loops = 0;
    this.#loopTraps.length = 0;
    this.#readLocals(typeIndex);
    this.#push(Frame.Func);
    const passed = this.#passed;
    if (fuel) this.#rec = e.header(passed < 0, true);
    if (passed >= 0) e.openBlock(this.#resultType!);
    const passes = this.#s.passes;
    const shiftFrom = this.#s.shift.from;
    for (;;) {
      const op = r.next();
      switch (op) {
        case Op.Plain:
          if (fuel) this.#charge();
          // local.get/set/tee of a declared local: the counter parameter moved it up by one.
          if (passed >= 0 && r.bytes[r.start]! >= 0x20 && r.bytes[r.start]! <= 0x22 && r.index >= passed) {
            e.replace(r.bytes[r.start]!, r.index + 1);
          }
          break;
        case Op.Nop:
          break;
        case Op.RefFunc:
        case Op.TableGet:
        case Op.TableWrite:
          if (op === Op.RefFunc) this.#s.shift.checkFunction(r, r.index, r.start);
          if (fuel) {
            this.#sharedOnly();
            this.#charge();
          }
          break;
        case Op.GlobalGet:
        case Op.GlobalSet:
          this.#s.shift.checkGlobal(r, r.index, r.start);
          if (fuel) this.#charge();
          if (r.index >= shiftFrom) e.replace(op === Op.GlobalGet ? 0x23 : 0x24, this.#s.shift.map(r.index));
          break;
        case Op.MemoryGrow: {
          if (fuel) this.#charge();
          const helper = this.#s.growHelper('memory', r.index);
          if (helper !== undefined) e.replace(0x10, helper);
          break;
        }
        case Op.TableGrow: {
          if (fuel) {
            this.#sharedOnly(); // its initial value may be a function from outside
            this.#charge();
          }
          const helper = this.#s.growHelper('table', r.index);
          if (helper !== undefined) e.replace(0x10, helper);
          break;
        }
        case Op.Block:
        case Op.Try:
          if (fuel) {
            if (op === Op.Try) this.#sharedOnly();
            this.#open();
          }
          this.#push(op === Op.Block ? Frame.Block : Frame.Try);
          break;
        case Op.TryTable:
          if (fuel) {
            this.#sharedOnly();
            this.#open();
          }
          this.#push(Frame.Block);
          if (fuel) this.#catchClauses();
          break;
        case Op.Loop: {
          const target = this.#targets?.has(this.#c.nextId) ?? false;
          if (fuel) {
            this.#open();
            if (target && !this.#dead) e.store(own);
          }
          this.#loops++;
          this.#push(Frame.Loop);
          if (fuel) {
            this.#rec = this.#dead ? -1 : e.header(target, false);
            if (this.#dead) this.#loopTraps.push(-1, -1, 0);
            else this.#loopTraps.push(e.trapFrom, e.trapTo, 0);
          }
          break;
        }
        case Op.If:
          if (fuel) {
            this.#charge();
            // An `if` whose label a catch clause targets jumps to that join when its condition is false.
            if (!this.#dead && this.#targets?.has(this.#c.nextId)) e.store(own);
          }
          this.#push(Frame.If);
          this.#rec = -1;
          break;
        case Op.Else:
        case Op.Catch: {
          const top = this.#c.top();
          if (op === Op.Else ? this.#c.kinds[top] !== Frame.If : this.#c.kinds[top] !== Frame.Try) {
            r.fail(op === Op.Else ? '`else` outside `if`' : '`catch` outside `try`', r.start);
          }
          if (fuel && this.#c.isTarget[top] && !this.#dead) e.store(own);
          this.#rec = -1;
          this.#dead = this.#c.openedDead[top]!;
          if (fuel && op === Op.Catch && !this.#dead) e.reloadAfter(own);
          break;
        }
        case Op.End:
        case Op.Delegate: {
          const top = this.#c.top();
          const kind = this.#c.kinds[top]!;
          if (kind === Frame.Func) {
            if (op === Op.Delegate) r.fail('`delegate` outside `try`', r.start);
            if (passed >= 0)
              e.closeBlockPushCounter(); // branches to the function's label end here too
            else if (fuel && !this.#dead) e.store(own);
            e.flushRun(r.pos);
            if (r.pos !== end) r.fail('function body continues after its final `end`');
            return;
          }
          if (op === Op.Delegate) {
            if (kind !== Frame.Try) r.fail('`delegate` outside `try`', r.start);
            this.#c.exit(0); // rethrows to an outer handler
          }
          this.#endFrame(top, kind);
          break;
        }
        case Op.Br:
        case Op.BrIf:
          if (fuel) {
            this.#charge();
            if (this.#c.branchTo(r.index) && !this.#dead && (passed < 0 || this.#c.frame(r.index) !== 0)) e.store(own);
            this.#rec = -1;
          }
          if (op === Op.Br) this.#dead = true;
          break;
        case Op.BrTable:
          if (fuel) {
            this.#charge();
            let store = false;
            for (let i = 0; i < r.labelCount; i++) {
              store = (this.#c.branchTo(r.labels[i]!) && (passed < 0 || this.#c.frame(r.labels[i]!) !== 0)) || store;
            }
            if (store && !this.#dead) e.store(own);
            this.#rec = -1;
          }
          this.#dead = true;
          break;
        case Op.Return:
        case Op.Unreachable:
        case Op.Throw:
        case Op.ReturnCall:
          if (op === Op.ReturnCall && r.callKind === CallKind.Direct) this.#s.shift.checkFunction(r, r.index, r.start);
          if (fuel) {
            if (op === Op.Throw || (op === Op.ReturnCall && this.#s.leaves(r.callKind, r.index))) this.#sharedOnly();
            if (op === Op.ReturnCall && passes) throw NO_PASSING; // the caller's and callee's results must match
            this.#charge();
            if (op === Op.Return && passed >= 0) {
              e.pushCounter(); // even where dead: `return` then takes the counter as its last value
            } else if (!this.#dead) {
              e.store(own);
              if (op === Op.Unreachable && shared !== own) e.store(shared); // the trap's fuel, for the receipt
            }
            this.#c.exit(0);
            this.#rec = -1;
            if (op === Op.ReturnCall && this.#loops === 0) this.#needsEntryCheck = true;
            if (op === Op.ReturnCall) this.#callInLoop();
          }
          this.#dead = true;
          break;
        case Op.Call:
          if (r.callKind === CallKind.Direct) this.#s.shift.checkFunction(r, r.index, r.start);
          if (fuel) {
            this.#charge();
            if (this.#loops === 0) this.#needsEntryCheck = true;
            this.#callInLoop();
            if (r.callKind === CallKind.Direct && passes?.(r.index)) {
              e.pushCounter(); // in and out as the last argument and result
              e.popCounterAfter();
            } else if (!this.#dead) {
              const global = this.#s.leaves(r.callKind, r.index) ? shared : own;
              e.store(global);
              e.reloadAfter(global);
            }
          }
          break;
      }
    }
  }

  /** Reads the locals declaration; with fuel, writes it with one more i64 local (the counter). */
  #readLocals(typeIndex: number): void {
    const r = this.#r;
    const e = this.#e;
    const params = this.#s.typeParams[typeIndex] ?? -1;
    if (params < 0) r.fail(`function type ${typeIndex} is not a function type`);
    const locals = readLocals(r, params);
    this.#passed = -1;
    if (!this.#s.fuel) {
      e.reset(locals.at);
      return;
    }
    if (this.#resultType) {
      if (locals.total + 1 > MAX_LOCALS) r.unsupported(`a function with ${MAX_LOCALS} locals (fuel needs one more)`);
      e.reset(locals.at); // the declaration as it is: the counter is a parameter
      e.local = this.#passed = params;
      return;
    }
    e.reset(r.pos);
    e.local = withOneMoreLocal(r, locals, e.w, 0x7e, 'fuel needs');
  }
  #push(kind: Frame): void {
    this.#c.push(kind, this.#dead, this.#targets?.has(this.#c.nextId) ?? false, this.#rec);
  }

  /** Closes the frame at `top` (not the function's): joins, reloads, merges the next segment. */
  #endFrame(top: number, kind: Frame): void {
    const c = this.#c;
    const fuel = this.#s.fuel;
    const joins = c.isTarget[top]! && kind !== Frame.Loop;
    const own = this.#s.globals.module;
    if (fuel && joins && !this.#dead) this.#e.store(own);
    // Entering a clean frame means reaching its end: the segment that opened it pays for the next one.
    this.#rec = c.clean(top) && !joins ? c.openRec[top]! : -1;
    if (kind === Frame.Loop) {
      this.#loops--;
      if (fuel) this.#closeLoop();
    }
    this.#dead = c.openedDead[top]!;
    c.pop();
    if (fuel && joins && !this.#dead) this.#e.reloadAfter(own);
  }

  /** Notes that the innermost loop (if any) contains a call. */
  #callInLoop(): void {
    const n = this.#loopTraps.length;
    if (n > 0) this.#loopTraps[n - 1] = 1;
  }

  /** A loop ends: without calls, its trap path becomes a call (see `FuelEmitter.callTrap`). */
  #closeLoop(): void {
    const t = this.#loopTraps;
    const hasCall = t.pop()!;
    const to = t.pop()!;
    const from = t.pop()!;
    if (hasCall)
      this.#callInLoop(); // the enclosing loop contains it too
    else if (from >= 0) this.#e.callTrap(from, to);
  }

  /** A `try_table`'s catch clauses: branches out of it, and (first pass) reload points. */
  #catchClauses(): void {
    const r = this.#r;
    for (let i = 0; i < r.labelCount; i++) {
      const at = this.#c.frame(r.labels[i]! + 1); // relative to the try_table's enclosing frame
      this.#c.exit(at);
      if (at === 0 || this.#targets) continue; // into the function's exit: the global is already exact
      (this.#found ??= new Set()).add(this.#c.ids[at]!);
    }
  }

  /** Before a block opens: make sure the live segment has a charge the block's successor can join. */
  #open(): void {
    if (this.#rec < 0 && !this.#dead) this.#rec = this.#e.charge();
  }

  /** Counts one instruction; the first in a live segment emits the segment's charge before it. */
  #charge(): void {
    if (this.#rec < 0) {
      if (this.#dead) return;
      this.#rec = this.#e.charge();
    }
    this.#e.recCost[this.#rec]!++;
  }
}
