/**
 * Instruments a core WebAssembly module for metering: a deterministic fuel budget and bounded
 * memories and tables. An engine mechanism (wasmtime's `consume_fuel` and `ResourceLimiter`); the
 * resources layer only picks the budgets.
 *
 * What an instrumented module looks like:
 * - it imports two globals after its own imports, `(import "lnano" "fuel" (global (mut i64)))`
 *   (remaining fuel) and `(import "lnano" "grow_failed" (global (mut i32)))`; every defined
 *   global's index moves up by two and every reference to it is rewritten;
 * - every memory and table it defines or imports has a maximum of at most the budget; a
 *   `memory.grow`/`table.grow` on one whose maximum the budget lowered calls an appended helper
 *   that sets `grow_failed` to 1 when the grow returns -1;
 * - with `fuel`, every function body is metered (see `fuel-pass.ts`): running out stores a
 *   negative value in `fuel` and traps. A module whose functions can be entered from outside only
 *   through its exports keeps the counter in a global of its own, appended after its globals, and
 *   its exported and start functions are reached through appended entry wrappers (see
 *   `fuel-scope.ts`); its functions that only direct calls and those wrappers enter take the
 *   counter as a last parameter and return it as a last result instead (new types, appended).
 *
 * - with `deadline`, the deadline checks of `deadline-pass.ts` are added on top; without fuel, that
 *   pass also does the code pass's work (the global shift and the grow redirections) in its own
 *   walk of the bodies, and every lowered memory and table gets its grow helper up front.
 *
 * Function and type indices never move (helpers, wrappers and their types are appended), so
 * calls, element segments and the `name` section's function names stay valid; local names are
 * dropped when a counter parameter renumbered locals.
 */
import { LnError } from '../../errors/ln-error.js';
import { ByteWriter } from './byte-writer.js';
import { CodeCursor } from './code-cursor.js';
import { addDeadlineChecks, type CodeFixup } from './deadline-pass.js';
import { type CounterGlobals, FUEL_TRAP_TYPE, fuelTrapHelper } from './fuel-emitter.js';
import { CodePass, type CodePassSettings, Rewrite } from './fuel-pass.js';
import { entryWrapper, planFuelScope } from './fuel-scope.js';
import { GLOBAL_SHIFT, GlobalShift } from './global-shift.js';
import { InstructionReader } from './instruction-reader.js';
import { type Bounded, type BoundedTable, boundImports, boundMemories, boundTables, memoryGrowHelper, tableGrowHelper } from './limits-pass.js';
import { FUEL_GLOBAL, GROW_FAILED_GLOBAL, type InstrumentOptions, METER_MODULE } from './meter-contract.js';
import { type ModuleLayout, type PassedType, passedType, readLayout, type Section, SectionId, writeModule } from './module-layout.js';

export { FUEL_GLOBAL, GROW_FAILED_GLOBAL, INSTRUMENT_VERSION, type InstrumentOptions, METER_MODULE } from './meter-contract.js';

/**
 * Instruments one core module.
 *
 * @param bytes - the core module
 * @param options - the budgets and whether to meter fuel
 * @param subject - how errors name the module (the component and the module's file name)
 * @returns the instrumented module; it validates wherever the input did
 * @throws LnError `LN_ERR_LOAD_INVALID` for a malformed module, `LN_ERR_LOAD_UNSUPPORTED_FEATURE`
 *   for an encoding or opcode the passes do not know, `LN_ERR_BUDGET_MEMORY` when a memory or
 *   table needs more than the budget from the start, `LN_ERR_CONFIG_INVALID` for bad options
 *
 * @example
 * const metered = instrumentModule(core, { fuel: true, maxMemoryBytes: 64 << 20, maxTableElements: 100_000 });
 */
export function instrumentModule(bytes: Uint8Array, options: InstrumentOptions, subject = 'core module'): Uint8Array {
  checkOptions(options);
  const layout = readLayout(bytes, subject);
  if (layout.importModules.has(METER_MODULE)) {
    new CodeCursor(bytes, subject).unsupported(`imports from "${METER_MODULE}", the module name metering reserves (instrumented twice?)`, 8);
  }
  if (options.deadline && !options.fuel) {
    // Without fuel, the code pass would only shift global indices and redirect grows: the
    // deadline pass does that in its own walk of the bodies (one walk of the code, not two).
    const limited = new Instrumenter(bytes, subject, layout, options);
    return addDeadlineChecks(limited.run(true), subject, limited.fixup());
  }
  const metered = new Instrumenter(bytes, subject, layout, options).run(false);
  return options.deadline ? addDeadlineChecks(metered, subject) : metered;
}

function checkOptions(o: InstrumentOptions): void {
  for (const key of ['maxMemoryBytes', 'maxTableElements'] as const) {
    if (!Number.isSafeInteger(o[key]) || o[key] < 0) {
      throw new LnError('LN_ERR_CONFIG_INVALID', { key, source: 'instrument options', reason: 'must be a non-negative integer' });
    }
  }
}

/** A function the pass appends (a grow helper or an entry wrapper): its type index and body. */
interface Appended {
  readonly typeIndex: number;
  readonly body: Uint8Array;
}

class Instrumenter {
  readonly #memories: Bounded[] = [];
  readonly #tables: BoundedTable[] = [];
  readonly #appended: Appended[] = [];
  readonly #helperTypes: Uint8Array[] = [];
  readonly #helperFor = new Map<string, number>();
  /** Exported (or start) functions → their entry wrappers, when the module owns a counter global. */
  readonly #entries = new Map<number, number>();
  readonly #shift: GlobalShift;
  readonly #growFailedGlobal: number;
  /** The module's own counter global (see fuel-scope.ts), or -1 when it uses the shared one. */
  #ownCounter = -1;
  /**
   * Defined functions (by index in the function section) that take the counter as a parameter
   * (see fuel-pass.ts) → their new type index.
   */
  readonly #retyped = new Map<number, number>();

  constructor(
    readonly bytes: Uint8Array,
    readonly subject: string,
    readonly layout: ModuleLayout,
    readonly options: InstrumentOptions,
  ) {
    this.#shift = new GlobalShift(layout.importedGlobals, layout.importedGlobals + layout.definedGlobals, layout.importedFuncs + layout.funcTypes.length);
    this.#growFailedGlobal = layout.importedGlobals + 1;
  }

  /**
   * The module with every section bounded and shifted; with `deferCode`, its function bodies are
   * copied as they are (see `fixup`), every lowered memory and table getting its grow helper.
   */
  run(deferCode: boolean): Uint8Array {
    const { sections } = this.layout;
    /** New content of the non-custom sections, by id (a section not here is copied). */
    const content = new Map<number, ByteWriter[]>();
    const customs = new Map<Section, ByteWriter>();
    // Limits first (imports, tables, memories): the code pass needs to know which were lowered.
    content.set(SectionId.Import, [this.#importSection(sections.find((s) => s.id === SectionId.Import))]);
    for (const s of sections) {
      if (s.id === SectionId.Table) content.set(s.id, [this.#tableSection(s)]);
      if (s.id === SectionId.Memory) content.set(s.id, [this.#memorySection(s)]);
    }
    const code = sections.find((s) => s.id === SectionId.Code);
    if (code) content.set(code.id, deferCode ? this.#deferredCode(code) : this.#codeSection(code));
    for (const s of sections) {
      if (content.has(s.id)) continue;
      const w = this.#otherSection(s);
      if (w && s.id === SectionId.Custom) customs.set(s, w);
      else if (w) content.set(s.id, [w]);
    }
    if (this.#ownCounter >= 0 && !content.has(SectionId.Global)) {
      const globals = new ByteWriter(16);
      globals.u32(1);
      globals.bytes(OWN_COUNTER);
      content.set(SectionId.Global, [globals]);
    }
    if (this.#appended.length > 0 && !sections.some((s) => s.id === SectionId.Type)) {
      new CodeCursor(this.bytes, this.subject).fail('code without a type section', 8);
    }

    const present = new Set(sections.map((s) => s.id));
    const added = new Map([...content].filter(([id]) => !present.has(id)));
    const replaced = (s: Section): readonly ByteWriter[] | undefined =>
      s.id === SectionId.Custom ? (customs.has(s) ? [customs.get(s)!] : undefined) : content.get(s.id);
    return writeModule(this.bytes, sections, replaced, added, this.bytes.length + this.bytes.length / 4 + 1024);
  }

  #reader(s: Section): InstructionReader {
    return new InstructionReader(this.bytes, this.subject, s.start, s.end);
  }

  #done(r: CodeCursor, what: string): void {
    if (r.pos !== r.end) r.fail(`${what} section has trailing bytes`);
  }

  /** The import section with limits bounded and the two globals appended. */
  #importSection(s: Section | undefined): ByteWriter {
    const body = new ByteWriter(s ? s.end - s.start + 64 : 64);
    const n = s ? boundImports(this.#reader(s), body, this.options, this.#memories, this.#tables) : 0;
    for (const [field, type] of [
      [FUEL_GLOBAL, 0x7e],
      [GROW_FAILED_GLOBAL, 0x7f],
    ] as const) {
      body.name(METER_MODULE);
      body.name(field);
      body.u8(0x03);
      body.u8(type);
      body.u8(0x01); // global, mutable
    }
    const w = new ByteWriter(body.length + 8);
    w.u32(n + 2);
    w.append(body);
    return w;
  }

  #tableSection(s: Section): ByteWriter {
    const w = new ByteWriter(s.end - s.start + 16);
    boundTables(this.#reader(s), w, this.options, this.#tables, (r, out) => this.#shift.constExpr(r, out));
    return w;
  }

  #memorySection(s: Section): ByteWriter {
    const w = new ByteWriter(s.end - s.start + 16);
    boundMemories(this.#reader(s), w, this.options, this.#memories);
    return w;
  }

  /** The next function index the pass appends. */
  #nextFunction(): number {
    return this.layout.importedFuncs + this.layout.funcTypes.length + this.#appended.length;
  }

  /** Appends a helper of type `type` (encoded) once per `key`; returns its function index. */
  #helper(key: string, type: Uint8Array, body: () => Uint8Array): number {
    const known = this.#helperFor.get(key);
    if (known !== undefined) return known;
    let typeAt = this.#helperTypes.findIndex((t) => sameBytes(t, type));
    if (typeAt < 0) typeAt = this.#helperTypes.push(type) - 1;
    const funcIndex = this.#nextFunction();
    this.#appended.push({ typeIndex: this.layout.typeParams.length + typeAt, body: body() });
    this.#helperFor.set(key, funcIndex);
    return funcIndex;
  }

  /** The helper for a grow on a memory/table whose maximum the budget lowered; appended on first use. */
  #growHelper(what: 'memory' | 'table', index: number): number | undefined {
    const bounded = what === 'memory' ? this.#memories[index] : this.#tables[index];
    if (!bounded?.lowered) return undefined;
    const helper =
      what === 'memory'
        ? memoryGrowHelper(index, bounded.is64, this.#growFailedGlobal)
        : tableGrowHelper(index, (bounded as BoundedTable).refType, bounded.is64, this.#growFailedGlobal);
    return this.#helper(`${what}${index}`, helper.type, () => helper.body);
  }

  /**
   * The code section's parts: the count, the rewritten bodies, the appended functions' bodies.
   * With fuel, first tries a counter global of the module's own (see fuel-scope.ts) and falls
   * back to the shared one when a body rules that out.
   */
  #codeSection(s: Section): ByteWriter[] {
    const plan = this.options.fuel ? planFuelScope(this.bytes, this.subject, this.layout) : null;
    const shared = this.layout.importedGlobals;
    if (plan?.ownCounter) {
      const own = this.layout.importedGlobals + GLOBAL_SHIFT + this.layout.definedGlobals;
      for (const passing of [true, false]) {
        const passed = passing ? this.#passingFunctions(plan.inElements) : new Map<number, PassedType>();
        for (const [i, t] of passed) this.#retyped.set(i, this.#addType(t.type));
        const bodies = this.#bodies(s, { module: own, shared }, plan.leaves, passed);
        if (bodies instanceof ByteWriter) {
          this.#ownCounter = own;
          for (const fn of plan.entries) {
            const i = fn - this.layout.importedFuncs;
            const typeIndex = this.layout.funcTypes[i]!;
            this.#entries.set(fn, this.#nextFunction());
            this.#appended.push({ typeIndex, body: entryWrapper(fn, this.layout.typeParams[typeIndex]!, own, shared, passed.has(i)) });
          }
          return this.#codeParts(bodies);
        }
        this.#appended.length = 0; // start over without passing, or with the shared counter
        this.#helperTypes.length = 0;
        this.#helperFor.clear();
        this.#retyped.clear();
        if (bodies === Rewrite.SharedOnly) break;
      }
    }
    return this.#codeParts(this.#bodies(s, { module: shared, shared }, () => true, new Map()) as ByteWriter);
  }

  /**
   * The code section with the bodies copied as they are, for the deadline pass to finish (see
   * `fixup`): every grow helper is appended up front, since no walk finds which are used.
   */
  #deferredCode(s: Section): ByteWriter[] {
    const r = this.#reader(s);
    const n = r.count('function bodies', 2);
    if (n !== this.layout.funcTypes.length) r.fail(`${n} function bodies for ${this.layout.funcTypes.length} functions`, s.start);
    if (n > 0) {
      for (let m = 0; m < this.#memories.length; m++) this.#growHelper('memory', m);
      for (let t = 0; t < this.#tables.length; t++) this.#growHelper('table', t);
    }
    const bodies = new ByteWriter(s.end - r.pos + 16);
    bodies.range(this.bytes, r.pos, s.end);
    return this.#codeParts(bodies);
  }

  /**
   * What `run(true)` left to the deadline pass's walk of the bodies: the global shift, the grow
   * redirections and the reference checks of the code pass (see `CodeFixup`).
   */
  fixup(): CodeFixup {
    const { importedGlobals, definedGlobals, importedFuncs, funcTypes } = this.layout;
    const grows = (what: 'memory' | 'table', n: number): (number | undefined)[] => Array.from({ length: n }, (_, i) => this.#helperFor.get(`${what}${i}`));
    return {
      bodies: funcTypes.length,
      globalFrom: importedGlobals,
      globalShift: GLOBAL_SHIFT,
      globals: importedGlobals + definedGlobals,
      functions: importedFuncs + funcTypes.length,
      memoryGrow: grows('memory', this.#memories.length),
      tableGrow: grows('table', this.#tables.length),
    };
  }

  /**
   * The defined functions (by index in the function section) that can take the counter as a
   * parameter: entered only by direct calls and entry wrappers (in no element segment; `ref.func`
   * in a body rules the module's own counter out anyway), of a plain function type with at most
   * one result (the wrapping block's type).
   */
  #passingFunctions(inElements: ReadonlySet<number>): Map<number, PassedType> {
    const { funcTypes, importedFuncs, plainFuncTypeAt } = this.layout;
    const byType = new Map<number, PassedType | null>();
    const passed = new Map<number, PassedType>();
    for (let i = 0; i < funcTypes.length; i++) {
      if (inElements.has(importedFuncs + i)) continue;
      const typeIndex = funcTypes[i]!;
      let t = byType.get(typeIndex);
      if (t === undefined) {
        t = plainFuncTypeAt[typeIndex]! >= 0 ? passedType(new CodeCursor(this.bytes, this.subject, plainFuncTypeAt[typeIndex]!), 0x7e) : null;
        if (t?.results === null) t = null; // kept simple: more than one result keeps the global
        byType.set(typeIndex, t);
      }
      if (t) passed.set(i, t);
    }
    return passed;
  }

  /** Appends a type (encoded) once; returns its index. */
  #addType(type: Uint8Array): number {
    let typeAt = this.#helperTypes.findIndex((t) => sameBytes(t, type));
    if (typeAt < 0) typeAt = this.#helperTypes.push(type) - 1;
    return this.layout.typeParams.length + typeAt;
  }

  /** Every body rewritten, or why not (see `CodePass.rewrite`). */
  #bodies(s: Section, globals: CounterGlobals, leaves: CodePassSettings['leaves'], passed: ReadonlyMap<number, PassedType>): ByteWriter | Rewrite {
    const r = this.#reader(s);
    const { funcTypes, typeParams, importedFuncs } = this.layout;
    const n = r.count('function bodies', 2);
    if (n !== funcTypes.length) r.fail(`${n} function bodies for ${funcTypes.length} functions`, s.start);
    const pass = new CodePass(this.bytes, this.subject, {
      fuel: this.options.fuel,
      globals,
      leaves,
      shift: this.#shift,
      typeParams,
      growHelper: (what, index) => this.#growHelper(what, index),
      trapHelper: () => this.#helper('fuel trap', FUEL_TRAP_TYPE, () => fuelTrapHelper(globals)),
      passes: passed.size > 0 ? (fn) => passed.has(fn - importedFuncs) : null,
    });
    const bodies = new ByteWriter(s.end - s.start + (this.options.fuel ? (s.end - s.start) / 3 : 0) + 64);
    for (let i = 0; i < n; i++) {
      const size = r.u32();
      const start = r.pos;
      r.skip(size);
      const done = pass.rewrite(start, start + size, funcTypes[i]!, bodies, passed.get(i)?.results ?? null);
      if (done !== Rewrite.Done) return done;
    }
    this.#done(r, 'code');
    return bodies;
  }

  #codeParts(bodies: ByteWriter): ByteWriter[] {
    const count = new ByteWriter(16);
    count.u32(this.layout.funcTypes.length + this.#appended.length);
    const appended = new ByteWriter(256);
    for (const f of this.#appended) {
      appended.u32(f.body.length);
      appended.bytes(f.body);
    }
    return [count, bodies, appended];
  }

  /** Every other section that needs rewriting; undefined: copy it as it is. */
  #otherSection(s: Section): ByteWriter | undefined {
    const w = new ByteWriter(s.end - s.start + 64);
    switch (s.id) {
      case SectionId.Type: {
        if (this.#helperTypes.length === 0) return undefined;
        const r = this.#reader(s);
        const n = r.u32();
        w.u32(n + this.#helperTypes.length);
        w.range(this.bytes, r.pos, s.end);
        for (const t of this.#helperTypes) w.bytes(t);
        return w;
      }
      case SectionId.Function: {
        if (this.#appended.length === 0 && this.#retyped.size === 0) return undefined;
        const r = this.#reader(s);
        const n = r.u32();
        w.u32(n + this.#appended.length);
        if (this.#retyped.size === 0) {
          w.range(this.bytes, r.pos, s.end);
        } else {
          for (let i = 0; i < n; i++) w.u32(this.#retyped.get(i) ?? this.layout.funcTypes[i]!);
        }
        for (const f of this.#appended) w.u32(f.typeIndex);
        return w;
      }
      case SectionId.Global: {
        const r = this.#reader(s);
        this.#shift.globalSection(r, w, this.#ownCounter >= 0 ? 1 : 0);
        this.#done(r, 'global');
        if (this.#ownCounter >= 0) w.bytes(OWN_COUNTER);
        return w;
      }
      case SectionId.Export: {
        const r = this.#reader(s);
        this.#shift.exportSection(r, w, this.#entries);
        this.#done(r, 'export');
        return w;
      }
      case SectionId.Start: {
        const r = this.#reader(s);
        const fn = r.u32();
        this.#shift.checkFunction(r, fn);
        this.#done(r, 'start');
        if (!this.#entries.has(fn)) return undefined;
        w.u32(this.#entries.get(fn)!);
        return w;
      }
      case SectionId.Element: {
        const r = this.#reader(s);
        this.#shift.elementSection(r, w);
        this.#done(r, 'element');
        return w;
      }
      case SectionId.Data: {
        const r = this.#reader(s);
        this.#shift.dataSection(r, w);
        this.#done(r, 'data');
        return w;
      }
      case SectionId.Custom: {
        if (s.name !== 'name') return undefined;
        const r = this.#reader(s);
        r.nameBytes();
        this.#shift.nameSection(r, w, this.options.fuel, this.#retyped.size > 0);
        return w;
      }
      default:
        return undefined;
    }
  }
}

/** The module's own counter: `(global (mut i64) (i64.const 0))`; entry wrappers set it. */
const OWN_COUNTER = Uint8Array.of(0x7e, 0x01, 0x42, 0x00, 0x0b);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
