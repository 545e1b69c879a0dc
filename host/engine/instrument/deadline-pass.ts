/**
 * The deadline pass: makes a guest stop itself soon after its host sets a deadline flag, like
 * Wasmtime's epoch interruption. The flag lives in a SharedArrayBuffer the host's main thread
 * writes while the guest spins in a worker; Node 20's V8 has no multi-memory, so the guest cannot
 * load it itself and asks an imported function instead, every so often:
 *
 * - the module imports `(import "lnano:deadline" "check" (func))` after its other imports; it
 *   throws when the flag is set (see `deadline-check.ts`). Every defined function's index moves
 *   up by one and every reference to one is rewritten (calls, `ref.func`, exports, the start
 *   function, element segments, initialisers, the `name` section); a helper that calls it is
 *   appended after the defined functions;
 * - every loop header counts and calls `check` every `DEADLINE_CHECK_INTERVAL` iterations, so a
 *   loop stops within that many iterations (per activation of its function). The shape is the
 *   one V8 compiles best, measured (docs/benchmarks.md, "Fixes the numbers showed"):
 *   - most loops are wrapped so that the rare path *leaves* the loop: a countdown local, a
 *     `br_if` out to a block that calls an appended helper (`(func (call $check))`) and re-enters
 *     the loop (see `#body`). A call that returns into the loop makes TurboFan keep the loop's
 *     values in stack slots across it and stops it unrolling the loop (1.6x on a sieve);
 *   - a call-free innermost loop of `PIN_MIN_SIZE` instructions or more keeps the call inline
 *     (count up, `if`, call the import): V8 then leaves it rolled, where it unrolls the wrapped
 *     shape into a slower loop (1.25x against 1.0x on a clang-unrolled sum);
 *   - a loop whose every iteration first calls a function that counts at entry has no count of
 *     its own (each iteration counts that entry);
 *   - in a body with a label immediate the wrapping cannot renumber (`rethrow`, `delegate`,
 *     `try_table`, `br_on_cast*`), and for loops with parameters, the check is inline;
 * - every function on a cycle of the call graph (`CallGraph`: calls through imports, tables and
 *   references reach every function that escapes) counts an appended global at entry and calls
 *   `check` every `DEADLINE_CHECK_INTERVAL` entries (every cycle of calls passes such an entry, so
 *   recursion stops too). Functions on no cycle cannot recur without passing one of those, and
 *   pay nothing at entry. A function on a cycle that only direct calls and exports enter counts
 *   a parameter instead, threaded through its calls and returned (see `#passing`).
 *
 * It runs after the fuel and limits passes (on their output), so fuel counts do not change and
 * the inserted code is not charged. Without fuel, the limits pass leaves the bodies as they were
 * and this pass's walk does its code work too (`CodeFixup`): the code is walked once, not twice. Off by default (`InstrumentOptions.deadline`).
 */
import { ByteWriter } from './byte-writer.js';
import { CodeCursor } from './code-cursor.js';
import { rewriteNames } from './global-shift.js';
import { CallKind, InstructionReader, Op } from './instruction-reader.js';
import { MAX_LOCALS, readLocals, withOneMoreLocal } from './locals.js';
import { type ModuleLayout, type PassedType, passedType, readLayout, type Section, SectionId, skipLimits, writeModule } from './module-layout.js';

/** The import module name of the check. */
export const DEADLINE_MODULE = 'lnano:deadline';
/** `(import "lnano:deadline" "check" (func))`. */
export const DEADLINE_CHECK = 'check';
/**
 * A call-free innermost loop of at least this many instructions keeps a call inside (see
 * `DeadlinePass.#body`), so that V8 does not unroll it.
 */
const PIN_MIN_SIZE = 24;
/** Loop iterations (per function activation) and function entries (per instance) between checks. */
export const DEADLINE_CHECK_INTERVAL = 4096;
/** Numbers per recorded instruction in `DeadlinePass.#events`: its `Op`, start, end, index. */
const EVENT_SIZE = 4;

/**
 * Adds the deadline checks to a core module.
 *
 * @param bytes - the core module (plain or already metered)
 * @param subject - how errors name the module
 * @throws LnError `LN_ERR_LOAD_INVALID` for a malformed module, `LN_ERR_LOAD_UNSUPPORTED_FEATURE`
 *   for an opcode the reader does not know or a module that already imports the check
 */
export function addDeadlineChecks(bytes: Uint8Array, subject = 'core module', fixup?: CodeFixup): Uint8Array {
  const layout = readLayout(bytes, subject);
  if (layout.importModules.has(DEADLINE_MODULE)) {
    new CodeCursor(bytes, subject).unsupported(`imports from "${DEADLINE_MODULE}", the module name deadline checks reserve (instrumented twice?)`, 8);
  }
  return new DeadlinePass(bytes, subject, layout, fixup).run();
}

/**
 * What the limits pass left undone in the first `bodies` function bodies, for this pass to do in
 * its own walk (see `instrumentModule` without fuel): every other section is already rewritten,
 * these bodies are the input's as they were. Saves the limits pass a walk of every instruction.
 */
export interface CodeFixup {
  /** How many bodies (the first ones) are the input's. */
  readonly bodies: number;
  /** `global.get`/`global.set` of a global at or past `globalFrom` moves up by `globalShift`. */
  readonly globalFrom: number;
  readonly globalShift: number;
  /** The input's globals and functions: a reference at or past them is invalid and stays refused. */
  readonly globals: number;
  readonly functions: number;
  /** Per memory / table index: the function a `memory.grow` / `table.grow` of it calls instead, if any. */
  readonly memoryGrow: readonly (number | undefined)[];
  readonly tableGrow: readonly (number | undefined)[];
}

/** How the walks' fast paths skip an instruction, by its first byte (see `FAST_SKIP`). */
const Skip = { Decode: 0, Byte: 1, Leb: 2, MemArg: 3 } as const;

/**
 * Per opcode byte: `Byte` for the one-byte instructions that need nothing (numeric, `drop`,
 * `select`), `Leb` for one LEB128 immediate (`local.*`, `i32.const`, `i64.const`), `MemArg`
 * for loads and stores, `Decode` for everything else (through `InstructionReader.next`).
 */
const FAST_SKIP = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x45; b <= 0xc4; b++) t[b] = Skip.Byte;
  t[0x1a] = t[0x1b] = Skip.Byte;
  for (const b of [0x20, 0x21, 0x22, 0x41, 0x42]) t[b] = Skip.Leb;
  for (let b = 0x28; b <= 0x3e; b++) t[b] = Skip.MemArg;
  return t;
})();

/** The `name` subsections indexed by function: function names and local names. */
const FUNCTION_NAMES: ReadonlySet<number> = new Set([1, 2]);

class DeadlinePass {
  /** The check's function index: the first after the imported ones. */
  readonly #check: number;
  /**
   * The appended `(func (call $check))`, after every defined function. The checks call it rather
   * than the import: a call of an import loads its target from the instance, and V8 hoists those
   * loads out of the loop around the rare path, which then spills and reloads them every
   * iteration of a loop that contains any call.
   */
  readonly #slow: number;
  /** The entry counter global, appended after the module's globals. */
  readonly #counter: number;
  /** Functions that can be entered other than by a direct call (see `CallGraph`). */
  readonly #escaped = new Set<number>();
  /** Escaped functions entered other than through an export (start, element segments, `ref.func`). */
  readonly #escapedElsewhere = new Set<number>();
  /** A body holds a tail call (the counter cannot be passed: results would not match). */
  #tailCalls = false;
  /**
   * Defined functions (by index in the function section) that take the entry count as their last
   * parameter and return it as their last result (see `#passing`), with their new types.
   */
  readonly #passed = new Map<number, PassedType>();
  /** Per function in `#passed`: its new type index. */
  readonly #passedTypeIndex = new Map<number, number>();
  /**
   * While `#body` writes a body that takes the count: where it wrote a local instruction of its
   * own (on its counters), in order, so that `#passCounter` leaves those alone; else null.
   */
  #ours: number[] | null = null;
  /** Per function in `#passed`: the block type of its results (encoded). */
  readonly #resultsBlock = new Map<number, Uint8Array>();
  /** The new types, appended after the check's `(func)`. */
  readonly #newTypes: Uint8Array[] = [];
  /** Exported functions in `#passed` (by index in the function section) → their wrapper's new function index. */
  readonly #wrapperOf = new Map<number, number>();
  /** Per loop of the code section, in order: 1 when it is pinned (call-free, innermost, `PIN_MIN_SIZE` long: its check stays inline, see the file comment). */
  readonly #pins: number[] = [];
  #nextPin = 0;
  /** Per loop of the code section, in order: the defined function every iteration calls first, or -1. */
  readonly #firstCall: number[] = [];
  /** The first walk's loops still looking for their first call: pairs of (loop, frame depth of its body). */
  readonly #seeking: number[] = [];
  /** Per defined function: on a cycle of calls, so it counts at entry (see `CallGraph`). */
  #cyclic: boolean[] = [];
  /**
   * The instructions the second walk acts on, recorded by the first so that the second decodes
   * nothing: per instruction `EVENT_SIZE` numbers (its `Op`, start, end, index immediate), every
   * body's in order (see `#record`). Unsigned: an index immediate is any u32, and an invalid
   * label depth must stay as large as it was (see `#body`'s `depth`).
   */
  #events = new Uint32Array(1 << 16);
  #eventCount = 0;
  /** The walks' stacks (see `#scan` and `#body`), reused from body to body. */
  readonly #open: number[] = [];
  readonly #sizeAt: number[] = [];
  readonly #loops: number[] = [];
  readonly #wrapped: number[] = [];
  readonly #isWrapped: boolean[] = [];
  /** `#passCounter`'s output, reused from body to body. */
  readonly #passOut = new ByteWriter(64 * 1024);

  constructor(
    readonly bytes: Uint8Array,
    readonly subject: string,
    readonly layout: ModuleLayout,
    readonly fixup: CodeFixup | undefined,
  ) {
    this.#check = layout.importedFuncs;
    this.#slow = layout.importedFuncs + 1 + layout.funcTypes.length;
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
    if (this.#passed.size > 0) {
      // The code section decided which functions take the count as a parameter: the sections
      // before it that name types or functions, and the names, are written again knowing it.
      for (const s of sections) {
        if (s.id !== SectionId.Type && s.id !== SectionId.Function && s.id !== SectionId.Export && !(s.id === SectionId.Custom && s.name === 'name')) continue;
        content.set(s, [this.#section(s)!]);
      }
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
      case SectionId.Type:
        return this.#typeSection(s);
      case SectionId.Import:
        return this.#importSection(s);
      case SectionId.Global:
        return this.#globalSection(s);
      case SectionId.Table:
        return this.#tableSection(s);
      case SectionId.Export:
        return this.#exportSection(s);
      case SectionId.Start: {
        const w = new ByteWriter(8);
        const r = this.#reader(s);
        w.u32(this.#fn(this.#escape(r.u32(), false), r));
        return w;
      }
      case SectionId.Function: {
        if (this.layout.funcTypes.length === 0) return undefined;
        const r = this.#reader(s);
        const w = new ByteWriter(s.end - s.start + 8 + 4 * this.#wrapperOf.size);
        const n = r.u32();
        w.u32(n + 1 + this.#wrapperOf.size);
        if (this.#passed.size === 0) w.range(this.bytes, r.pos, s.end);
        else for (let i = 0; i < n; i++) w.u32(this.#passedTypeIndex.get(i) ?? this.layout.funcTypes[i]!);
        w.u32(this.layout.typeParams.length); // (func), appended to the types
        for (const i of this.#wrapperOf.keys()) w.u32(this.layout.funcTypes[i]!);
        return w;
      }
      case SectionId.Element:
        return this.#elementSection(s);
      case SectionId.Code:
        return this.#codeSection(s);
      case SectionId.Custom:
        return s.name === 'name' ? this.#nameSection(s) : undefined;
      default:
        return undefined;
    }
  }

  /** Appends `(func)`, the check's type, whose index is the number of types before it. */
  #typeSection(s: Section | undefined): ByteWriter {
    const w = new ByteWriter((s ? s.end - s.start : 0) + 8);
    const r = s && this.#reader(s);
    w.u32((r ? r.u32() : 0) + 1 + this.#newTypes.length);
    if (r) w.range(this.bytes, r.pos, r.end);
    w.u8(0x60);
    w.u8(0);
    w.u8(0);
    for (const t of this.#newTypes) w.bytes(t);
    return w;
  }

  #importSection(s: Section | undefined): ByteWriter {
    const w = new ByteWriter((s ? s.end - s.start : 0) + 32);
    const r = s && this.#reader(s);
    w.u32((r ? r.u32() : 0) + 1);
    if (r) w.range(this.bytes, r.pos, r.end);
    w.name(DEADLINE_MODULE);
    w.name(DEADLINE_CHECK);
    w.u8(0x00);
    w.u32(this.layout.typeParams.length); // func (type $check)
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
    w.bytes(Uint8Array.of(0x7f, 0x01, 0x41, 0x00, 0x0b)); // (mut i32) 0
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
      const wrapper = kind === 0x00 ? this.#wrapperOf.get(index - this.layout.importedFuncs) : undefined;
      w.u32(kind === 0x00 ? (wrapper ?? this.#fn(this.#escape(index, true), r)) : index);
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
        if (flags & 0x04) r.valType();
        else r.byte();
      }
      w.range(this.bytes, kindAt, r.pos);
      const m = r.count('elements');
      w.u32(m);
      for (let j = 0; j < m; j++) {
        if (flags & 0x04) this.#constExpr(r, w);
        else w.u32(this.#fn(this.#escape(r.u32(), false), r));
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
      w.u8(0xd2);
      w.u32(this.#fn(this.#escape(r.index, false), r));
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
    // names are lenient; a counter parameter renumbers locals
    rewriteNames(c, w, true, FUNCTION_NAMES, (f) => (f < functions ? this.#fn(f) : f), this.#passed.size > 0);
    return w;
  }

  /**
   * Notes that defined or imported function `f` can be entered from outside the module's bodies
   * (`exported`: through an export, which a wrapper can take over).
   */
  #escape(f: number, exported: boolean): number {
    this.#escaped.add(f);
    if (!exported) this.#escapedElsewhere.add(f);
    return f;
  }

  /**
   * Rewrites every body. A first walk finds the call graph (see `CallGraph`) and which bodies
   * hold a label immediate the loop wrapping cannot renumber, and records the instructions the
   * second acts on (`#events`); the second writes the checks from those records, decoding nothing.
   */
  #codeSection(s: Section): ByteWriter {
    const r = this.#reader(s);
    const { funcTypes, typeParams, importedFuncs } = this.layout;
    const n = r.count('function bodies', 2);
    if (n !== funcTypes.length) r.fail(`${n} function bodies for ${funcTypes.length} functions`, s.start);
    const bodies: number[] = [];
    const graph = new CallGraph(n);
    const wrappable: boolean[] = [];
    /** Per body: where its instructions start in `#events` (and, at `n`, where the last one's end). */
    const events = new Int32Array(n + 1);
    this.#eventCount = 0;
    for (let i = 0; i < n; i++) {
      events[i] = this.#eventCount;
      bodies.push(r.pos);
      const size = r.u32();
      const end = r.pos + size;
      const params = typeParams[funcTypes[i]!] ?? -1;
      if (params < 0) r.fail(`function type ${funcTypes[i]} is not a function type`);
      readLocals(r, params);
      this.#seeking.length = 0;
      wrappable.push(this.#scan(r, end, i, graph));
      r.end = s.end;
      r.pos = end;
    }
    events[n] = this.#eventCount;
    for (const f of this.#escaped) if (f >= importedFuncs && f - importedFuncs < n) graph.edge(n, f - importedFuncs);
    const cyclic = graph.cyclic();
    this.#cyclic = cyclic;
    this.#passing(cyclic);

    const w = new ByteWriter(s.end - s.start + (s.end - s.start) / 4 + 64);
    w.u32(n > 0 ? n + 1 + this.#wrapperOf.size : 0);
    const code = new ByteWriter(64 * 1024);
    const body = new ByteWriter(64 * 1024);
    for (let i = 0; i < n; i++) {
      r.end = s.end;
      r.pos = bodies[i]!;
      const size = r.u32();
      const end = r.pos + size;
      body.reset();
      const params = typeParams[funcTypes[i]!]!;
      const locals = readLocals(r, params);
      const passed = this.#passed.get(i);
      if (passed && locals.total + 3 > MAX_LOCALS) r.unsupported(`a function with ${MAX_LOCALS} locals (deadline checks need 3 more)`);
      // A counter parameter comes before the declared locals: theirs and the added ones move up by one.
      const counter = withOneMoreLocal(r, locals, body, 0x7f, 'deadline checks need', 2) + (passed ? 1 : 0);
      code.reset();
      this.#ours = passed ? [] : null;
      const wrapped = this.#body(r, end, events[i]!, events[i + 1]!, counter, wrappable[i]!, code, passed !== undefined);
      if (passed) {
        this.#countDown(body, params);
        body.u8(0x02);
        body.bytes(this.#resultsBlock.get(i)!); // block: the body, whose results the count follows
      } else if (cyclic[i]) {
        this.#entryCheck(body, counter);
      }
      if (wrapped) {
        body.u8(0x41);
        body.s64(DEADLINE_CHECK_INTERVAL);
        body.u8(0x21);
        body.u32(counter + 1);
      }
      const bytes = passed ? this.#passCounter(code, params, locals.total, this.#ours!) : code;
      this.#ours = null;
      w.u32(body.length + bytes.length);
      w.append(body);
      w.append(bytes);
    }
    if (n > 0) {
      const slow = new ByteWriter(16);
      slow.u8(0); // no locals
      slow.u8(0x10);
      slow.u32(this.#check);
      slow.u8(0x0b);
      w.u32(slow.length);
      w.append(slow);
    }
    for (const i of this.#wrapperOf.keys()) {
      const wrapper = this.#wrapper(i, typeParams[funcTypes[i]!]!);
      w.u32(wrapper.length);
      w.append(wrapper);
    }
    r.end = s.end;
    return w;
  }

  /**
   * First walk of body `i` (up to `end`): its calls into `graph` (an import, `call_indirect` or
   * `call_ref` is an edge to the outside node), its `ref.func`s into the escaped set. Returns
   * whether its loops can be wrapped: false when it holds a label immediate `#body` does not
   * renumber (`rethrow`, `delegate`, `try_table`, `br_on_cast*`).
   */
  #scan(r: InstructionReader, end: number, i: number, graph: CallGraph): boolean {
    r.end = end;
    const { importedFuncs } = this.layout;
    let wrappable = true;
    let callsOutside = false;
    /** The limits pass left this body's globals and grows to this walk (see `CodeFixup`). */
    const fixup = this.fixup !== undefined && i < this.fixup.bodies ? this.fixup : undefined;
    const pins = this.#pins;
    /** Open frames: -1 for a block, else the index in `pins` of the loop (and the instruction count at its header). */
    const open = this.#open;
    open.length = 0;
    open.push(-1);
    const sizeAt = this.#sizeAt;
    sizeAt.length = 0;
    sizeAt.push(0);
    /** The open loops (their indices in `pins`), innermost last. */
    const loops = this.#loops;
    loops.length = 0;
    let size = 0;
    const bytes = this.bytes;
    while (r.pos < end) {
      // Most instructions are plain and need only counting: skip the common short ones without
      // decoding them (anything else goes through `r.next()`).
      let pos = r.pos;
      const plainFrom = pos;
      let plain = 0;
      do {
        const kind = FAST_SKIP[bytes[pos]!]!;
        if (kind === Skip.Byte) {
          pos += 1;
          plain++;
          continue;
        }
        if (kind === Skip.Decode) break;
        // where the instruction's last LEB128 immediate starts (loads and stores: alignment without a memory index, then the offset)
        let leb = pos + 1;
        if (kind === Skip.MemArg) {
          if (leb >= end || bytes[leb]! >= 0x40) break;
          leb++;
        }
        // An immediate of at most 4 bytes is in range for every kind above; longer ones (and the end
        // of the body) go through `r.next()`, which checks them.
        let last = leb;
        while (last < end && last < leb + 3 && bytes[last]! >= 0x80) last++;
        if (last >= end || bytes[last]! >= 0x80) break;
        pos = last + 1;
        plain++;
      } while (pos < end);
      if (pos !== plainFrom) {
        size += plain;
        r.pos = pos;
        if (pos >= end) break;
      }
      const op = r.next();
      size++;
      let closed = -1;
      switch (op) {
        case Op.Block:
        case Op.If:
        case Op.Try:
        case Op.TryTable:
          open.push(-1);
          sizeAt.push(size);
          break;
        case Op.Loop:
          open.push(pins.push(1) - 1);
          this.#firstCall.push(-1);
          sizeAt.push(size);
          break;
        case Op.End:
        case Op.Delegate: {
          closed = open.pop() ?? -1;
          const from = sizeAt.pop() ?? 0;
          if (closed >= 0 && pins[closed] === 1 && size - from < PIN_MIN_SIZE) pins[closed] = 0;
          break;
        }
      }
      if (op === Op.Loop || op === Op.Call || op === Op.ReturnCall) {
        // The innermost loop around a loop or a call: V8 does not unroll it anyway (nor the loops
        // around it, which contain a loop).
        const outer = loops[loops.length - 1]; // (a new loop is pushed below)
        if (outer !== undefined) pins[outer] = 0;
      }
      if (op === Op.Loop) loops.push(open[open.length - 1]!);
      else if (op === Op.End && closed >= 0) loops.pop();
      if (this.#seeking.length > 0 || op === Op.Loop) this.#seekFirstCall(op, r, open.length);
      switch (op) {
        case Op.GlobalGet:
        case Op.GlobalSet:
          if (!fixup) {
            this.#global(r, r.index);
          } else {
            if (r.index >= fixup.globals) r.fail(`global ${r.index} does not exist (the module has ${fixup.globals})`, r.start);
            if (r.index >= fixup.globalFrom) this.#record(op, r);
          }
          break;
        case Op.MemoryGrow:
        case Op.TableGrow:
          if (fixup && (op === Op.MemoryGrow ? fixup.memoryGrow : fixup.tableGrow)[r.index] !== undefined) this.#record(op, r);
          break;
        case Op.Block:
        case Op.If:
        case Op.Try:
        case Op.Loop:
        case Op.End:
        case Op.Br:
        case Op.BrIf:
        case Op.BrTable:
          this.#record(op, r);
          if (op === Op.BrIf && this.bytes[r.start] === 0xfb) wrappable = false; // br_on_cast, br_on_cast_fail
          break;
        case Op.Call:
        case Op.ReturnCall:
          if (op === Op.ReturnCall) this.#tailCalls = true;
          if (r.callKind === CallKind.Direct) {
            this.#fn(r.index, r); // fails for a function the module does not have
            if (fixup && r.index >= fixup.functions) r.fail(`function ${r.index} does not exist (the module has ${fixup.functions})`, r.start);
            this.#record(op, r);
          }
          if (r.callKind === CallKind.Direct && r.index >= importedFuncs) graph.edge(i, r.index - importedFuncs);
          else callsOutside = true;
          break;
        case Op.RefFunc:
          if (fixup && r.index >= fixup.functions) r.fail(`function ${r.index} does not exist (the module has ${fixup.functions})`, r.start);
          this.#escape(r.index, false);
          this.#record(op, r);
          break;
        case Op.Delegate:
        case Op.TryTable:
          this.#record(op, r);
          wrappable = false;
          break;
        case Op.Throw:
          if (this.bytes[r.start] === 0x09) wrappable = false; // rethrow label
          break;
      }
    }
    if (callsOutside) graph.edge(i, graph.outside); // one edge for every such call: only reachability matters
    return wrappable;
  }

  /** Appends the instruction `r` just decoded to `#events`. */
  #record(op: Op, r: InstructionReader): void {
    let events = this.#events;
    const at = this.#eventCount;
    if (at + EVENT_SIZE > events.length) {
      const grown = new Uint32Array(events.length * 2);
      grown.set(events);
      this.#events = events = grown;
    }
    events[at] = op;
    events[at + 1] = r.start;
    events[at + 2] = r.pos;
    events[at + 3] = r.index;
    this.#eventCount = at + EVENT_SIZE;
  }

  /**
   * Finds, for each loop, a direct call of a defined function that every iteration makes: the
   * first call at the top level of the loop's body with no branch, `try` or `try_table` between
   * the header and it (nested blocks before it are fine: they cannot skip it without a branch).
   * When that function counts at entry (it is on a cycle), the loop needs no count of its own:
   * every iteration counts one entry. Called for every instruction of the first walk, after the
   * loop (if any) is pushed.
   */
  #seekFirstCall(op: Op, r: InstructionReader, depth: number): void {
    // Pairs of (loop, depth of its body), nested, so sorted by depth: only the last one can be
    // at the current depth, and an `end` drops them from the tail (constant work per instruction
    // however deep the nesting).
    const seeking = this.#seeking;
    switch (op) {
      case Op.Loop:
        seeking.push(this.#firstCall.length - 1, depth);
        break;
      case Op.End:
        while (seeking.length > 0 && seeking[seeking.length - 1]! > depth) seeking.length -= 2; // ended before a call
        break;
      case Op.Call: {
        const n = seeking.length;
        if (n === 0 || seeking[n - 1] !== depth || r.callKind !== CallKind.Direct || r.index < this.layout.importedFuncs) break;
        this.#firstCall[seeking[n - 2]!] = r.index - this.layout.importedFuncs;
        seeking.length -= 2;
        break;
      }
      case Op.Br:
      case Op.BrIf:
      case Op.BrTable:
      case Op.Try:
      case Op.TryTable:
      case Op.Delegate:
      case Op.Catch:
      case Op.Else:
        seeking.length = 0; // a path may go round without the call
        break;
      default:
        break;
    }
  }

  /**
   * Copies the instructions up to `end` with function indices rewritten, branch depths renumbered
   * past the added labels, and a count at every loop header (see the file comment): locals
   * `counter` (counted up) and `counter + 1` (counted down). With `wrappable`, a loop without
   * parameters that is not pinned (`#pins`) is wrapped so that its rare path leaves it:
   *
   *   block BT ($exit) loop ($outer) block ($slow)
   *     loop BT ($l)
   *       (br_if $slow (i32.eqz (local.tee $d (i32.sub (local.get $d) (i32.const 1)))))
   *       ...body, every label outside $l 3 deeper...
   *     end
   *     br $exit
   *   end
   *   (local.set $d (i32.const INTERVAL)) (call $slow) (br $outer)
   *   end unreachable end
   *
   * Other loops count `counter` up, inline (see `#countUp`):
   * `(if (i32.ge_u ...) (then (local.set $c (i32.const 0)) (call $check)))`. Returns whether a
   * loop was wrapped (the countdown local then starts at INTERVAL).
   */
  #body(
    r: InstructionReader,
    end: number,
    eventsFrom: number,
    eventsTo: number,
    counter: number,
    wrappable: boolean,
    out: ByteWriter,
    passing: boolean,
  ): boolean {
    r.end = end;
    let from = r.pos;
    const events = this.#events;
    const bytes = this.bytes;
    let hasWrapped = false;
    /** Per open frame (the function's first): how many wrapped loops are open up to and including it. */
    const wrapped = this.#wrapped;
    wrapped.length = 0;
    wrapped.push(0);
    /** Per open frame: whether it is a wrapped loop. */
    const isWrapped = this.#isWrapped;
    isWrapped.length = 0;
    isWrapped.push(false);
    /** Label depth `d` from the innermost frame, renumbered past the labels the wrappers add. */
    const depth = (d: number): number => {
      const top = wrapped.length - 1;
      return d + 3 * (wrapped[top]! - (d <= top ? wrapped[top - d]! : 0));
    };
    for (let e = eventsFrom; e < eventsTo; e += EVENT_SIZE) {
      const op = events[e]!;
      const start = events[e + 1]!;
      const pos = events[e + 2]!;
      const index = events[e + 3]!;
      switch (op) {
        case Op.Block:
        case Op.If:
        case Op.Try:
        case Op.TryTable:
          wrapped.push(wrapped[wrapped.length - 1]!);
          isWrapped.push(false);
          break;
        case Op.Loop: {
          const first = this.#firstCall[this.#nextPin]!;
          // Every iteration counts an entry (one that takes the count as a parameter counts on
          // from this body's only when this body passes it too): no count here.
          if (first >= 0 && this.#cyclic[first] && (passing || !this.#passed.has(first))) {
            this.#nextPin++;
            wrapped.push(wrapped[wrapped.length - 1]!);
            isWrapped.push(false);
            break;
          }
          const wrap = wrappable && this.#pins[this.#nextPin++] === 0 && this.#noParams(start + 1);
          out.range(bytes, from, start);
          if (wrap) {
            out.u8(0x02);
            out.range(bytes, start + 1, pos); // block BT ($exit)
            out.u8(0x03);
            out.u8(0x40); // loop ($outer)
            out.u8(0x02);
            out.u8(0x40); // block ($slow)
          }
          out.range(bytes, start, pos);
          from = pos;
          if (wrap) {
            hasWrapped = true;
            this.#mark(out);
            out.u8(0x20);
            out.u32(counter + 1);
            out.u8(0x41);
            out.u8(1);
            out.u8(0x6b); // i32.sub
            this.#mark(out);
            out.u8(0x22);
            out.u32(counter + 1);
            out.u8(0x45); // i32.eqz
            out.u8(0x0d);
            out.u8(1); // br_if $slow
          } else {
            this.#countUp(out, 0x20, 0x21, counter, counter);
            out.u8(0x04);
            out.u8(0x40); // if
            this.#slowPath(out, 0x21, counter, this.#check);
            out.u8(0x0b);
          }
          wrapped.push(wrapped[wrapped.length - 1]! + (wrap ? 1 : 0));
          isWrapped.push(wrap);
          break;
        }
        case Op.End:
        case Op.Delegate: {
          wrapped.pop();
          if (!isWrapped.pop()) break;
          out.range(bytes, from, pos);
          from = pos;
          out.u8(0x0c);
          out.u8(2); // br $exit
          out.u8(0x0b); // end $slow
          out.u8(0x41);
          out.s64(DEADLINE_CHECK_INTERVAL);
          this.#mark(out);
          out.u8(0x21);
          out.u32(counter + 1);
          out.u8(0x10);
          out.u32(this.#slow);
          out.u8(0x0c);
          out.u8(0); // br $outer
          out.u8(0x0b); // end $outer
          out.u8(0x00); // unreachable
          out.u8(0x0b); // end $exit
          break;
        }
        case Op.Br:
        case Op.BrIf: {
          const d = depth(index);
          if (d === index) break;
          out.range(bytes, from, start);
          out.u8(bytes[start]!); // br, br_if, br_on_null, br_on_non_null (not br_on_cast: see #scan)
          out.u32(d);
          from = pos;
          break;
        }
        case Op.BrTable: {
          if (wrapped[wrapped.length - 1] === 0) break;
          r.pos = start;
          r.next(); // its labels (rare: decoded again)
          out.range(bytes, from, start);
          out.u8(0x0e);
          out.u32(r.labelCount - 1);
          for (let k = 0; k < r.labelCount; k++) out.u32(depth(r.labels[k]!));
          from = pos;
          break;
        }
        case Op.Call:
        case Op.ReturnCall:
        case Op.RefFunc: {
          out.range(bytes, from, start);
          // A call of a function that takes the count, from one that has none: a fresh count in,
          // the one out dropped (this body's loops and entry count what repeats the call). From
          // one that has it, `#passCounter` passes it.
          const fresh = op === Op.Call && !passing && this.#passed.has(index - this.layout.importedFuncs);
          if (fresh) {
            out.u8(0x41);
            out.s64(DEADLINE_CHECK_INTERVAL);
          }
          out.u8(bytes[start]!);
          out.u32(this.#fn(index, r));
          if (fresh) out.u8(0x1a); // drop
          from = pos;
          break;
        }
        case Op.GlobalGet:
        case Op.GlobalSet: // recorded only where the limits pass left the shift to this walk
          out.range(bytes, from, start);
          out.u8(bytes[start]!);
          out.u32(index + this.fixup!.globalShift);
          from = pos;
          break;
        case Op.MemoryGrow:
        case Op.TableGrow: // likewise: the grow helper the limits pass appended, called instead
          out.range(bytes, from, start);
          out.u8(0x10);
          out.u32(this.#fn((op === Op.MemoryGrow ? this.fixup!.memoryGrow : this.fixup!.tableGrow)[index]!));
          from = pos;
          break;
      }
    }
    out.range(bytes, from, end);
    return hasWrapped;
  }

  /**
   * Decides which defined functions take the entry count as their last parameter and return it
   * as their last result, instead of counting a global (a load, an add and a store per call,
   * which on a call every few instructions is a store→load chain through memory): those on a
   * cycle entered only by direct calls and exports (an export then enters through an appended
   * wrapper that counts the global once and passes a fresh count), of a plain function type, in
   * a module without tail calls. Their cycles among themselves count the
   * parameter, threaded through every call and return; a cycle through any other function
   * counts that function's entry (it is on the cycle too), and one through the outside counts
   * the wrapper's.
   */
  #passing(cyclic: readonly boolean[]): void {
    if (this.#tailCalls) return;
    const { funcTypes, importedFuncs, plainFuncTypeAt, typeParams } = this.layout;
    /** Per original type: the new one's index, the results' block type and the type with the count. */
    const byType = new Map<number, [number, Uint8Array, PassedType]>();
    for (let i = 0; i < funcTypes.length; i++) {
      const f = importedFuncs + i;
      if (!cyclic[i] || this.#escapedElsewhere.has(f)) continue;
      const t = funcTypes[i]!;
      if (!(plainFuncTypeAt[t]! >= 0)) continue;
      let known = byType.get(t);
      const passed = known?.[2] ?? passedType(new CodeCursor(this.bytes, this.subject, plainFuncTypeAt[t]!), 0x7f);
      this.#passed.set(i, passed);
      if (known === undefined) {
        const typeIndex = typeParams.length + 1 + this.#newTypes.push(passed.type) - 1;
        let block = passed.results;
        if (!block) {
          // several results: a block type by index, `(func (result r*))`
          const w = new ByteWriter(8);
          w.s64(typeParams.length + 1 + this.#newTypes.push(passed.resultsType) - 1);
          block = w.toBytes();
        }
        known = [typeIndex, block, passed];
        byType.set(t, known);
      }
      this.#passedTypeIndex.set(i, known[0]);
      this.#resultsBlock.set(i, known[1]);
      if (this.#escaped.has(f)) this.#wrapperOf.set(i, this.#slow + 1 + this.#wrapperOf.size);
    }
  }

  /**
   * A body (as `#body` wrote it) of a function that takes the count as parameter `params`:
   * declared locals (`[params, total)`) move up by one, every `return` and the end of the
   * wrapping block (opened after the entry count) leave the count last, and calls of functions
   * that take it pass it through. The local instructions `#body` added (at the offsets `ours`)
   * stay; any other naming a local at or past `total` fails (renumbered, it could name one the
   * pass adds: the first walk skips local instructions unread).
   */
  #passCounter(code: ByteWriter, params: number, total: number, ours: readonly number[]): ByteWriter {
    const bytes = code.view();
    const end = bytes.length - 1; // up to the final `end`
    const r = new InstructionReader(bytes, this.subject, 0, end);
    const out = this.#passOut;
    out.reset();
    const first = this.layout.importedFuncs + 1;
    let from = 0;
    let depth = 0;
    let next = 0; // the next of `ours`
    if (bytes[end] !== 0x0b) r.fail('function body does not end with `end`', end);
    while (r.pos < end) {
      // Most instructions need nothing: skip the common short ones without decoding them, and
      // renumber local instructions on the way (as `#scan`: an immediate of at most 4 bytes;
      // anything else goes through `r.next()`, which checks it).
      let pos = r.pos;
      do {
        const b = bytes[pos]!;
        const kind = FAST_SKIP[b]!;
        if (kind === Skip.Byte) {
          pos++;
          continue;
        }
        if (kind === Skip.Decode) break;
        let leb = pos + 1; // where the instruction's last LEB128 immediate starts
        if (kind === Skip.MemArg) {
          if (leb >= end || bytes[leb]! >= 0x40) break;
          leb++;
        }
        let last = leb;
        while (last < end && last < leb + 3 && bytes[last]! >= 0x80) last++;
        if (last >= end || bytes[last]! >= 0x80) break;
        if (b <= 0x22) {
          // local.get/set/tee
          if (pos === ours[next]) {
            next++;
          } else {
            let index = 0;
            for (let k = last; k >= leb; k--) index = index * 128 + (bytes[k]! & 0x7f);
            if (index >= total) r.fail(`local ${index} does not exist (the function has ${total})`, pos);
            if (index >= params) {
              out.range(bytes, from, pos);
              out.u8(b);
              out.u32(index + 1);
              from = last + 1;
            }
          }
        }
        pos = last + 1;
      } while (pos < end);
      r.pos = pos;
      if (pos >= end) break;
      const op = r.next();
      const code = bytes[r.start]!;
      if (op === Op.Block || op === Op.Loop || op === Op.If || op === Op.Try || op === Op.TryTable) depth++;
      // The wrapping block must close only where the body did: a body whose frames do not
      // balance is invalid and must stay so.
      if ((op === Op.End || op === Op.Delegate) && --depth < 0) r.fail('function body continues after its final `end`', r.start);
      if (op === Op.Plain && code >= 0x20 && code <= 0x22) {
        if (r.start === ours[next]) {
          next++;
          continue;
        }
        if (r.index >= total) r.fail(`local ${r.index} does not exist (the function has ${total})`, r.start);
        if (r.index < params) continue;
        out.range(bytes, from, r.start);
        out.u8(code);
        out.u32(r.index + 1);
        from = r.pos;
      } else if (op === Op.Return) {
        out.range(bytes, from, r.start);
        out.u8(0x20);
        out.u32(params);
        from = r.start;
      } else if (op === Op.Call && r.callKind === CallKind.Direct && r.index >= first && this.#passed.has(r.index - first)) {
        out.range(bytes, from, r.start);
        out.u8(0x20);
        out.u32(params);
        out.range(bytes, r.start, r.pos);
        out.u8(0x21);
        out.u32(params);
        from = r.pos;
      }
    }
    if (depth !== 0) r.fail('function body ends inside a block', end);
    out.range(bytes, from, end);
    out.u8(0x0b); // end of the wrapping block
    out.u8(0x20);
    out.u32(params);
    out.u8(0x0b);
    return out;
  }

  /** Notes that a local instruction of the pass's own starts at `out.length` (see `#ours`). */
  #mark(out: ByteWriter): void {
    this.#ours?.push(out.length);
  }

  /**
   * At the entry of a function that takes the count as parameter `counter`: count it down,
   * `check` when it reaches zero.
   */
  #countDown(out: ByteWriter, counter: number): void {
    out.u8(0x20);
    out.u32(counter);
    out.u8(0x41);
    out.u8(1);
    out.u8(0x6b); // i32.sub
    out.u8(0x22);
    out.u32(counter);
    out.u8(0x45); // i32.eqz
    out.u8(0x04);
    out.u8(0x40); // if
    out.u8(0x41);
    out.s64(DEADLINE_CHECK_INTERVAL);
    out.u8(0x21);
    out.u32(counter);
    out.u8(0x10);
    out.u32(this.#slow);
    out.u8(0x0b);
  }

  /**
   * The wrapper an export of function `i` (which takes the count) enters through: counts the
   * global at entry (see `#entryCheck`), calls it with a fresh count and drops the one it returns.
   */
  #wrapper(i: number, params: number): ByteWriter {
    const w = new ByteWriter(32 + 2 * params);
    w.u8(1);
    w.u8(1);
    w.u8(0x7f); // (local i32): the entry check's temporary
    this.#entryCheck(w, params);
    for (let k = 0; k < params; k++) {
      w.u8(0x20);
      w.u32(k);
    }
    w.u8(0x41);
    w.s64(DEADLINE_CHECK_INTERVAL);
    w.u8(0x10);
    w.u32(this.layout.importedFuncs + 1 + i);
    w.u8(0x1a); // drop
    w.u8(0x0b);
    return w;
  }

  /** Whether the block type at `at` takes no parameters (a type index of a function type with none). */
  #noParams(at: number): boolean {
    const b = this.bytes[at]!;
    if (b >= 0x40 && b < 0x80) return true; // empty or a value type
    const c = new CodeCursor(this.bytes, this.subject, at, this.bytes.length);
    const index = c.u32();
    return this.layout.typeParams[index] === 0;
  }

  /**
   * `(i32.ge_u (local.tee $t (i32.add (get $c) (i32.const 1))) (i32.const INTERVAL))` with
   * `(set $c (local.get $t))` in between for a global (`get`/`set`: 0x20/0x21 for a local, 0x23/0x24
   * for a global); `temp` is a local the sequence may use. Counting up and comparing the new value
   * keeps the add on the path into the branch: counting down to zero, V8 compares the old value
   * and moves the subtraction behind the branch, which then costs a jump per iteration.
   */
  #countUp(out: ByteWriter, get: number, set: number, counter: number, temp: number): void {
    if (get === 0x20) this.#mark(out);
    out.u8(get);
    out.u32(counter);
    out.u8(0x41);
    out.u8(1);
    out.u8(0x6a); // i32.add
    this.#mark(out);
    out.u8(0x22);
    out.u32(temp); // local.tee $t
    if (get !== 0x20 || counter !== temp) {
      if (set === 0x21) this.#mark(out);
      out.u8(set);
      out.u32(counter);
      this.#mark(out);
      out.u8(0x20);
      out.u32(temp);
    }
    out.u8(0x41);
    out.s64(DEADLINE_CHECK_INTERVAL);
    out.u8(0x4f); // i32.ge_u
  }

  /** The rare path: the counter starts over, then `check` (which may throw: the reset comes first). */
  #slowPath(out: ByteWriter, set: number, counter: number, call: number): void {
    out.u8(0x41);
    out.u8(0);
    if (set === 0x21) this.#mark(out);
    out.u8(set);
    out.u32(counter);
    out.u8(0x10);
    out.u32(call);
  }

  /**
   * At the entry of a function on a cycle of calls: count the appended global up, `check` every
   * INTERVAL-th time. `temp` is the loop counter, which therefore starts below INTERVAL, not at
   * 0 (a loop may check early once; never later).
   *
   *   (if (i32.ge_u (local.tee $t (i32.add (global.get $g) (i32.const 1))) ... (global.set $g (local.get $t)) ...)
   *     (then (global.set $g (i32.const 0)) (call $check)))
   */
  #entryCheck(out: ByteWriter, temp: number): void {
    this.#countUp(out, 0x23, 0x24, this.#counter, temp);
    out.u8(0x04);
    out.u8(0x40); // if
    this.#slowPath(out, 0x24, this.#counter, this.#slow);
    out.u8(0x0b);
  }
}

/**
 * The call graph of a module's defined functions plus one node for everything outside its bodies
 * (`outside`): an imported function, `call_indirect` or `call_ref` may reach it, and it may call
 * every function that escapes (exported, the start function, in an element segment, `ref.func`).
 * A function on a cycle of this graph can be re-entered without bound and counts at entry; every
 * other function can be active at most once per stack of the others, so it needs no entry count.
 */
class CallGraph {
  readonly #edges: number[][];
  /** The outside node's index. */
  readonly outside: number;

  constructor(functions: number) {
    this.outside = functions;
    this.#edges = Array.from({ length: functions + 1 }, () => []);
  }

  edge(from: number, to: number): void {
    const edges = this.#edges[from]!;
    if (edges[edges.length - 1] !== to) edges.push(to); // a repeated call adds nothing (only reachability matters)
  }

  /** Per defined function: whether it lies on a cycle (Tarjan's strongly connected components, iteratively). */
  cyclic(): boolean[] {
    const n = this.#edges.length;
    const index = new Int32Array(n).fill(-1);
    const low = new Int32Array(n);
    const onStack = new Uint8Array(n);
    const stack: number[] = [];
    const out = new Array<boolean>(this.outside).fill(false);
    let next = 0;
    const work: number[] = []; // pairs: node, next edge
    for (let root = 0; root < n; root++) {
      if (index[root] !== -1) continue;
      work.push(root, 0);
      while (work.length > 0) {
        const v = work[work.length - 2]!;
        const e = work[work.length - 1]!;
        if (e === 0 && index[v] === -1) {
          index[v] = low[v] = next++;
          stack.push(v);
          onStack[v] = 1;
        }
        const edges = this.#edges[v]!;
        if (e < edges.length) {
          work[work.length - 1] = e + 1;
          const w = edges[e]!;
          if (index[w] === -1) work.push(w, 0);
          else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
          continue;
        }
        work.length -= 2;
        if (work.length > 0) {
          const parent = work[work.length - 2]!;
          low[parent] = Math.min(low[parent]!, low[v]!);
        }
        if (low[v] !== index[v]) continue;
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          component.push(w);
        } while (w !== v);
        const onCycle = component.length > 1 || edges.includes(v);
        if (onCycle) for (const f of component) if (f < this.outside) out[f] = true;
      }
    }
    return out;
  }
}
