/**
 * The deadline pass: makes a guest stop itself soon after its host sets a deadline flag, like
 * Wasmtime's epoch interruption. The flag lives in a SharedArrayBuffer the host's main thread
 * writes while the guest spins in a worker; Node 20's V8 has no multi-memory, so the guest cannot
 * load it itself and asks an imported function instead, every so often:
 *
 * - the module imports `(import "lnano:deadline" "check" (func))` after its other imports; it
 *   throws when the flag is set (see `deadline-check.ts`). Every defined function's index moves
 *   up by one and every reference to one is rewritten (calls, `ref.func`, exports, the start
 *   function, element segments, initialisers, the `name` section);
 * - every loop header counts up a local of its own and calls `check` every
 *   `DEADLINE_CHECK_INTERVAL` iterations (a loop that calls nothing stops within that many
 *   iterations);
 * - every function that calls anything counts up an appended global at entry and calls `check`
 *   every `DEADLINE_CHECK_INTERVAL` entries (every cycle of calls passes such an entry, so
 *   recursion stops too). Functions that call nothing cannot recurse and pay nothing at entry.
 *
 * It runs after the fuel and limits passes (on their output), so fuel counts do not change and
 * the inserted code is not charged. Off by default (`InstrumentOptions.deadline`).
 */
import { ByteWriter } from './byte-writer.js';
import { CodeCursor } from './code-cursor.js';
import { rewriteNames } from './global-shift.js';
import { InstructionReader, Op, CallKind } from './instruction-reader.js';
import { readLocals, withOneMoreLocal } from './locals.js';
import { readLayout, skipLimits, SectionId, writeModule, type ModuleLayout, type Section } from './module-layout.js';

/** The import module name of the check. */
export const DEADLINE_MODULE = 'lnano:deadline';
/** `(import "lnano:deadline" "check" (func))`. */
export const DEADLINE_CHECK = 'check';
/** Loop iterations (per loop activation) and function entries (per instance) between checks. */
export const DEADLINE_CHECK_INTERVAL = 4096;

/**
 * Adds the deadline checks to a core module.
 *
 * @param bytes - the core module (plain or already metered)
 * @param subject - how errors name the module
 * @throws LnError `LN_ERR_LOAD_INVALID` for a malformed module, `LN_ERR_LOAD_UNSUPPORTED_FEATURE`
 *   for an opcode the reader does not know or a module that already imports the check
 */
export function addDeadlineChecks(bytes: Uint8Array, subject = 'core module'): Uint8Array {
  const layout = readLayout(bytes, subject);
  if (layout.importModules.has(DEADLINE_MODULE)) {
    new CodeCursor(bytes, subject).unsupported(`imports from "${DEADLINE_MODULE}", the module name deadline checks reserve (instrumented twice?)`, 8);
  }
  return new DeadlinePass(bytes, subject, layout).run();
}

/** The `name` subsections indexed by function: function names and local names. */
const FUNCTION_NAMES: ReadonlySet<number> = new Set([1, 2]);

class DeadlinePass {
  /** The check's function index: the first after the imported ones. */
  readonly #check: number;
  /** The entry counter global, appended after the module's globals. */
  readonly #counter: number;

  constructor(readonly bytes: Uint8Array, readonly subject: string, readonly layout: ModuleLayout) {
    this.#check = layout.importedFuncs;
    this.#counter = layout.importedGlobals + layout.definedGlobals;
  }

  /**
   * The new index of function `f`. Fails for a function the module does not have: an invalid
   * input must not become a valid reference to the check (like `GlobalShift.checkFunction`).
   */
  #fn(f: number, r?: CodeCursor): number {
    const functions = this.layout.importedFuncs + this.layout.funcTypes.length;
    if (f >= functions) (r ?? new CodeCursor(this.bytes, this.subject)).fail(`function ${f} does not exist (the module has ${functions})`);
    return f >= this.#check ? f + 1 : f;
  }

  /** Fails for a global the module does not have (it would become the appended counter). */
  #global(r: CodeCursor, g: number): void {
    if (g >= this.#counter) r.fail(`global ${g} does not exist (the module has ${this.#counter})`);
  }

  run(): Uint8Array {
    const { sections } = this.layout;
    const content = new Map<Section, ByteWriter[]>();
    for (const s of sections) {
      const w = this.#section(s);
      if (w) content.set(s, [w]);
    }
    const added = new Map<number, ByteWriter[]>();
    if (!sections.some((s) => s.id === SectionId.Type)) added.set(SectionId.Type, [this.#typeSection(undefined)]);
    if (!sections.some((s) => s.id === SectionId.Import)) added.set(SectionId.Import, [this.#importSection(undefined)]);
    if (!sections.some((s) => s.id === SectionId.Global)) added.set(SectionId.Global, [this.#globalSection(undefined)]);
    return writeModule(this.bytes, sections, (s) => content.get(s), added, this.bytes.length + this.bytes.length / 8 + 256);
  }

  #reader(s: Section): InstructionReader {
    return new InstructionReader(this.bytes, this.subject, s.start, s.end);
  }

  /** A section's new content, or undefined to copy it. */
  #section(s: Section): ByteWriter | undefined {
    switch (s.id) {
      case SectionId.Type: return this.#typeSection(s);
      case SectionId.Import: return this.#importSection(s);
      case SectionId.Global: return this.#globalSection(s);
      case SectionId.Table: return this.#tableSection(s);
      case SectionId.Export: return this.#exportSection(s);
      case SectionId.Start: {
        const w = new ByteWriter(8);
        const r = this.#reader(s);
        w.u32(this.#fn(r.u32(), r));
        return w;
      }
      case SectionId.Element: return this.#elementSection(s);
      case SectionId.Code: return this.#codeSection(s);
      case SectionId.Custom: return s.name === 'name' ? this.#nameSection(s) : undefined;
      default: return undefined;
    }
  }

  /** Appends `(func)`, the check's type, whose index is the number of types before it. */
  #typeSection(s: Section | undefined): ByteWriter {
    const w = new ByteWriter((s ? s.end - s.start : 0) + 8);
    const r = s && this.#reader(s);
    w.u32((r ? r.u32() : 0) + 1);
    if (r) w.range(this.bytes, r.pos, r.end);
    w.u8(0x60); w.u8(0); w.u8(0);
    return w;
  }

  #importSection(s: Section | undefined): ByteWriter {
    const w = new ByteWriter((s ? s.end - s.start : 0) + 32);
    const r = s && this.#reader(s);
    w.u32((r ? r.u32() : 0) + 1);
    if (r) w.range(this.bytes, r.pos, r.end);
    w.name(DEADLINE_MODULE);
    w.name(DEADLINE_CHECK);
    w.u8(0x00); w.u32(this.layout.typeParams.length); // func (type $check)
    return w;
  }

  /** Copies the globals (initialisers rewritten) and appends the entry counter `(mut i32) 0`. */
  #globalSection(s: Section | undefined): ByteWriter {
    const w = new ByteWriter((s ? s.end - s.start : 0) + 16);
    const r = s && this.#reader(s);
    const n = r ? r.count('globals', 3) : 0;
    w.u32(n + 1);
    for (let i = 0; i < n; i++) {
      const at = r!.pos;
      r!.valType();
      r!.byte(); // mutability
      w.range(this.bytes, at, r!.pos);
      this.#constExpr(r!, w);
    }
    w.bytes(Uint8Array.of(0x7f, 0x01, 0x41, 0x00, 0x0b));
    return w;
  }

  #tableSection(s: Section): ByteWriter {
    const r = this.#reader(s);
    const w = new ByteWriter(s.end - s.start + 16);
    const n = r.count('tables');
    w.u32(n);
    for (let i = 0; i < n; i++) {
      const at = r.pos;
      const withInit = r.bytes[r.pos] === 0x40;
      if (withInit) r.skip(2);
      r.valType();
      skipLimits(r);
      w.range(this.bytes, at, r.pos);
      if (withInit) this.#constExpr(r, w);
    }
    return w;
  }

  #exportSection(s: Section): ByteWriter {
    const r = this.#reader(s);
    const w = new ByteWriter(s.end - s.start + 16);
    const n = r.count('exports', 3);
    w.u32(n);
    for (let i = 0; i < n; i++) {
      const at = r.pos;
      r.nameBytes();
      const kind = r.byte();
      w.range(this.bytes, at, r.pos);
      const index = r.u32();
      if (kind === 0x03) this.#global(r, index);
      w.u32(kind === 0x00 ? this.#fn(index, r) : index);
    }
    return w;
  }

  #elementSection(s: Section): ByteWriter {
    const r = this.#reader(s);
    const w = new ByteWriter(s.end - s.start + 64);
    const n = r.count('element segments');
    w.u32(n);
    for (let i = 0; i < n; i++) {
      const flags = r.u32();
      if (flags > 7) r.fail(`unknown element segment flags ${flags}`);
      w.u32(flags);
      const at = r.pos;
      if (flags & 0x02 && !(flags & 0x01)) r.u32(); // table index
      w.range(this.bytes, at, r.pos);
      if (!(flags & 0x01)) this.#constExpr(r, w); // active: offset
      const kindAt = r.pos;
      if (flags & 0x03) {
        if (flags & 0x04) r.valType(); else r.byte();
      }
      w.range(this.bytes, kindAt, r.pos);
      const m = r.count('elements');
      w.u32(m);
      for (let j = 0; j < m; j++) {
        if (flags & 0x04) this.#constExpr(r, w);
        else w.u32(this.#fn(r.u32(), r));
      }
    }
    return w;
  }

  /** Copies a constant expression up to its `end`, rewriting `ref.func`. */
  #constExpr(r: InstructionReader, w: ByteWriter): void {
    let from = r.pos;
    for (let op = r.next(); op !== Op.End; op = r.next()) {
      if (op === Op.GlobalGet) this.#global(r, r.index);
      if (op !== Op.RefFunc) continue;
      w.range(this.bytes, from, r.start);
      w.u8(0xd2); w.u32(this.#fn(r.index, r));
      from = r.pos;
    }
    w.range(this.bytes, from, r.pos);
  }

  /**
   * Rewrites the `name` section: function names (1) and local names (2) follow the functions;
   * label names (3) are dropped, because the checks add blocks that renumber labels.
   */
  #nameSection(s: Section): ByteWriter {
    const c = new CodeCursor(this.bytes, this.subject, s.start, s.end);
    c.nameBytes();
    const w = new ByteWriter(s.end - s.start + 16);
    const functions = this.layout.importedFuncs + this.layout.funcTypes.length;
    rewriteNames(c, w, true, FUNCTION_NAMES, (f) => (f < functions ? this.#fn(f) : f)); // names are lenient
    return w;
  }

  #codeSection(s: Section): ByteWriter {
    const r = this.#reader(s);
    const { funcTypes, typeParams } = this.layout;
    const n = r.count('function bodies', 2);
    if (n !== funcTypes.length) r.fail(`${n} function bodies for ${funcTypes.length} functions`, s.start);
    const w = new ByteWriter(s.end - s.start + (s.end - s.start) / 8 + 64);
    w.u32(n);
    const code = new ByteWriter(64 * 1024);
    const body = new ByteWriter(64 * 1024);
    for (let i = 0; i < n; i++) {
      const size = r.u32();
      const end = r.pos + size;
      const params = typeParams[funcTypes[i]!] ?? -1;
      if (params < 0) r.fail(`function type ${funcTypes[i]} is not a function type`);
      body.reset();
      const local = this.#locals(r, body, params);
      code.reset();
      const calls = this.#body(r, end, local, code);
      r.end = s.end;
      if (calls) this.#entryCheck(body, local);
      body.append(code);
      w.u32(body.length);
      w.append(body);
    }
    return w;
  }

  /** Copies the locals declaration with one more i32 local (the loop counter); returns its index. */
  #locals(r: InstructionReader, out: ByteWriter, params: number): number {
    return withOneMoreLocal(r, readLocals(r, params), out, 0x7f, 'deadline checks need');
  }

  /**
   * Copies the instructions up to `end` with function indices rewritten and a check after every
   * `loop`; returns whether the body calls anything.
   */
  #body(r: InstructionReader, end: number, local: number, out: ByteWriter): boolean {
    r.end = end;
    let from = r.pos;
    let calls = false;
    while (r.pos < end) {
      const op = r.next();
      if (op === Op.Call || op === Op.ReturnCall) calls = true;
      if (op === Op.GlobalGet || op === Op.GlobalSet) this.#global(r, r.index);
      if (op === Op.Loop) {
        out.range(this.bytes, from, r.pos);
        from = r.pos;
        this.#countAndCheck(out, 0x20, 0x21, local, local);
      } else if ((op === Op.Call || op === Op.ReturnCall) && r.callKind === CallKind.Direct || op === Op.RefFunc) {
        out.range(this.bytes, from, r.start);
        out.u8(this.bytes[r.start]!);
        out.u32(this.#fn(r.index, r));
        from = r.pos;
      }
    }
    out.range(this.bytes, from, end);
    return calls;
  }

  /** At function entry: count up the appended global, check every interval. */
  #entryCheck(out: ByteWriter, local: number): void {
    this.#countAndCheck(out, 0x23, 0x24, this.#counter, local);
  }

  /**
   * `counter += 1; if (counter >= interval) { check(); counter = 0 }`, for a local (`get` 0x20,
   * `set` 0x21) or a global (0x23, 0x24); `temp` is a local the sequence may use.
   *
   *   (local.set $temp (i32.add (get $counter) (i32.const 1))) (set $counter (local.get $temp))
   *   (if (i32.ge_u (local.get $temp) (i32.const INTERVAL)) (then (call $check) (set $counter (i32.const 0))))
   */
  #countAndCheck(out: ByteWriter, get: number, set: number, counter: number, temp: number): void {
    out.u8(get); out.u32(counter);
    out.u8(0x41); out.u8(1); // i32.const 1
    out.u8(0x6a); // i32.add
    out.u8(0x22); out.u32(temp); // local.tee $temp
    if (get !== 0x20 || counter !== temp) { out.u8(set); out.u32(counter); out.u8(0x20); out.u32(temp); }
    out.u8(0x41); out.s64(DEADLINE_CHECK_INTERVAL);
    out.u8(0x4f); // i32.ge_u
    out.u8(0x04); out.u8(0x40); // if
    out.u8(0x10); out.u32(this.#check); // call $check
    out.u8(0x41); out.u8(0); // i32.const 0
    out.u8(set); out.u32(counter);
    if (set === 0x24) { out.u8(0x41); out.u8(0); out.u8(0x21); out.u32(temp); } // the loop counter starts over too
    out.u8(0x0b); // end
  }
}
