/**
 * Where a module's fuel counter lives between its functions (see `fuel-pass.ts`).
 *
 * The shared `fuel` global is imported, and V8 reaches an imported mutable global through one
 * more indirection than a global the module defines: on a call-heavy guest that costs ~15%. So
 * when the module's functions can be entered from outside only through its exports and its start
 * function, the module gets a counter global of its own, and:
 * - every exported function and the start function are reached through an entry wrapper that
 *   copies the shared global in before the call and back out after it;
 * - a call that may leave the module (an imported function, an indirect call through a table that
 *   may hold outside functions, `call_ref`) stores to and reloads from the shared global;
 * - the trap path stores to both.
 *
 * The sections decide whether that premise can hold (no function of the module in a table others
 * can reach, no `ref.func` in initialisers); the code pass checks the bodies (no `ref.func`,
 * `table.get`, table writes, exceptions or tail calls out of the module) and reports a violation,
 * after which the module is rewritten with the shared global alone.
 */
import { ByteWriter } from './byte-writer.js';
import { CallKind, InstructionReader, Op } from './instruction-reader.js';
import { type ModuleLayout, SectionId, skipLimits } from './module-layout.js';

/** What the sections say about entering the module's functions from outside. */
export interface FuelScopePlan {
  /** The module may keep the counter in a global of its own (its bodies permitting). */
  readonly ownCounter: boolean;
  /** Whether a call of `kind` to `index` (a function, or a table for indirect calls) may leave the module. */
  readonly leaves: (kind: CallKind, index: number) => boolean;
  /** Defined functions entered from outside: the exported ones and the start function. */
  readonly entries: readonly number[];
  /** Defined functions some element segment names (any table, declarative ones too). */
  readonly inElements: ReadonlySet<number>;
}

/** Reads the export, start, table, global and element sections to plan the counter's scope. */
export function planFuelScope(bytes: Uint8Array, subject: string, layout: ModuleLayout): FuelScopePlan {
  const reader = (id: number): InstructionReader | undefined => {
    const s = layout.sections.find((x) => x.id === id);
    return s && new InstructionReader(bytes, subject, s.start, s.end);
  };
  const entries = new Set<number>();
  const inElements = new Set<number>();
  const defined = (f: number): boolean => f >= layout.importedFuncs;
  const functions = layout.importedFuncs + layout.funcTypes.length;
  const entry = (r: InstructionReader, f: number): void => {
    if (f >= functions) r.fail(`function ${f} does not exist (the module has ${functions})`);
    if (defined(f)) entries.add(f);
  };
  const sharedTables = new Set<number>(Array.from({ length: layout.importedTables }, (_, i) => i));
  let ownCounter = true;
  let foreignInTables = false;

  const exports = reader(SectionId.Export);
  if (exports) {
    for (let n = exports.count('exports', 3); n > 0; n--) {
      exports.nameBytes();
      const kind = exports.byte();
      const index = exports.u32();
      if (kind === 0x00) entry(exports, index);
      if (kind === 0x01) sharedTables.add(index);
    }
  }
  const start = reader(SectionId.Start);
  if (start) entry(start, start.u32());
  /** Skips a constant expression; true when it holds a `ref.func`. */
  const refFuncIn = (r: InstructionReader): boolean => {
    let found = false;
    for (let op = r.next(); op !== Op.End; op = r.next()) found ||= op === Op.RefFunc;
    return found;
  };
  const tables = reader(SectionId.Table);
  if (tables) {
    for (let n = tables.count('tables'); n > 0; n--) {
      const withInit = tables.bytes[tables.pos] === 0x40;
      if (withInit) tables.skip(2);
      tables.valType();
      skipLimits(tables);
      if (withInit && refFuncIn(tables)) ownCounter = false;
    }
  }
  const globals = reader(SectionId.Global);
  if (globals) {
    for (let n = globals.count('globals', 3); n > 0; n--) {
      globals.valType();
      globals.byte();
      if (refFuncIn(globals)) ownCounter = false;
    }
  }
  const elements = reader(SectionId.Element);
  if (elements) {
    for (let n = elements.count('element segments'); n > 0; n--) {
      const flags = elements.u32();
      if (flags > 7) elements.fail(`unknown element segment flags ${flags}`);
      const active = !(flags & 0x01);
      const declarative = (flags & 0x03) === 0x03;
      const table = flags & 0x02 && active ? elements.u32() : 0;
      if (active) refFuncIn(elements);
      if (flags & 0x03) {
        if (flags & 0x04) elements.valType();
        else elements.byte();
      }
      // Where the segment's functions can end up: a table others reach (an active segment on a
      // shared table, or a passive one table.init could put anywhere).
      const reachable = !declarative && (active ? sharedTables.has(table) : sharedTables.size > 0);
      for (let m = elements.count('elements'); m > 0; m--) {
        let fn = -1;
        if (flags & 0x04) {
          for (let op = elements.next(); op !== Op.End; op = elements.next()) {
            if (op === Op.RefFunc) fn = elements.index;
            else if (op !== Op.Plain) foreignInTables = true; // e.g. global.get of an imported funcref
          }
        } else {
          fn = elements.u32();
        }
        if (fn >= 0 && defined(fn)) inElements.add(fn);
        if (fn < 0 || declarative) continue;
        if (!defined(fn)) foreignInTables = true;
        else if (reachable) ownCounter = false;
      }
    }
  }
  return {
    ownCounter,
    leaves: (kind, index) => kind === CallKind.Ref || (kind === CallKind.Direct ? !defined(index) : foreignInTables || sharedTables.has(index)),
    entries: [...entries].sort((a, b) => a - b),
    inElements,
  };
}

/**
 * The body of an entry wrapper for a function with `params` parameters: copies the shared counter
 * into the module's, calls the function, copies it back.
 *
 *   (func (type $t) (global.set $own (global.get $shared)) (call $f (local.get 0) ...)
 *     (global.set $shared (global.get $own)))
 *
 * With `passed` (the function takes the counter as its last parameter and returns it last, see
 * `fuel-pass.ts`), the counter goes in and out through the call instead:
 *
 *   (func (type $t) (global.set $shared (call $f (local.get 0) ... (global.get $shared))))
 */
export function entryWrapper(fn: number, params: number, own: number, shared: number, passed = false): Uint8Array {
  const w = new ByteWriter(16 + 2 * params);
  w.u8(0); // no locals
  if (!passed) {
    w.u8(0x23);
    w.u32(shared);
    w.u8(0x24);
    w.u32(own);
  }
  for (let i = 0; i < params; i++) {
    w.u8(0x20);
    w.u32(i);
  }
  if (passed) {
    w.u8(0x23);
    w.u32(shared);
  }
  w.u8(0x10);
  w.u32(fn);
  if (!passed) {
    w.u8(0x23);
    w.u32(own);
  }
  w.u8(0x24);
  w.u32(shared);
  w.u8(0x0b);
  return w.toBytes();
}
