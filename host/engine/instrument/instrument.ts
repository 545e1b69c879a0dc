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
 *   negative value in `fuel` and traps.
 *
 * Function and type indices never move (helpers and their types are appended), so exports,
 * element segments and the `name` section's function names stay valid.
 */
import { LnError } from '../../errors/ln-error.js';
import { ByteWriter } from './byte-writer.js';
import { CodeCursor } from './code-cursor.js';
import { CodePass } from './fuel-pass.js';
import { GlobalShift } from './global-shift.js';
import { InstructionReader } from './instruction-reader.js';
import {
  boundLimits, boundTableType, memoryGrowHelper, tableGrowHelper,
  type Bounded, type BoundedTable, type GrowHelper, type LimitBudget,
} from './limits-pass.js';
import { readLayout, sectionRank, SectionId, type ModuleLayout, type Section } from './module-layout.js';

/** The import module name of the added globals. */
export const METER_MODULE = 'lnano';
/** `(import "lnano" "fuel" (global (mut i64)))`: the remaining fuel. */
export const FUEL_GLOBAL = 'fuel';
/** `(import "lnano" "grow_failed" (global (mut i32)))`: set to 1 when a budget-capped grow returns -1. */
export const GROW_FAILED_GLOBAL = 'grow_failed';
/** Version of the output; part of cache keys. Bump whenever the output for some input changes. */
export const INSTRUMENT_VERSION = 1;

/** What to instrument. */
export interface InstrumentOptions {
  /** Meter fuel (every function body); false: only bound memories and tables. */
  readonly fuel: boolean;
  /** Largest size of each linear memory, bytes (whole 64 KiB pages; the rest is ignored). */
  readonly maxMemoryBytes: number;
  /** Largest number of elements of each table. */
  readonly maxTableElements: number;
}

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
  return new Instrumenter(bytes, subject, layout, options).run();
}

function checkOptions(o: InstrumentOptions): void {
  for (const key of ['maxMemoryBytes', 'maxTableElements'] as const) {
    if (!Number.isSafeInteger(o[key]) || o[key] < 0) {
      throw new LnError('LN_ERR_CONFIG_INVALID', { key, source: 'instrument options', reason: 'must be a non-negative integer' });
    }
  }
}

class Instrumenter {
  readonly #memories: Bounded[] = [];
  readonly #tables: BoundedTable[] = [];
  readonly #helpers: GrowHelper[] = [];
  readonly #helperTypes: Uint8Array[] = [];
  readonly #helperTypeIndex: number[] = [];
  readonly #helperFor = new Map<string, number>();
  readonly #shift: GlobalShift;
  readonly #growFailedGlobal: number;
  readonly #out = new ByteWriter();

  constructor(
    readonly bytes: Uint8Array,
    readonly subject: string,
    readonly layout: ModuleLayout,
    readonly options: InstrumentOptions,
  ) {
    this.#shift = new GlobalShift(layout.importedGlobals);
    this.#growFailedGlobal = layout.importedGlobals + 1;
    this.#out = new ByteWriter(bytes.length + bytes.length / 4 + 1024);
  }

  run(): Uint8Array {
    const { sections } = this.layout;
    // Limits first (imports, tables, memories): the code pass needs to know which were lowered.
    const rewritten = new Map<Section, ByteWriter[]>();
    const importSection = sections.find((s) => s.id === SectionId.Import);
    const imports = this.#importSection(importSection);
    for (const s of sections) {
      if (s.id === SectionId.Table) rewritten.set(s, [this.#tableSection(s)]);
      if (s.id === SectionId.Memory) rewritten.set(s, [this.#memorySection(s)]);
    }
    const code = sections.find((s) => s.id === SectionId.Code);
    if (code) rewritten.set(code, this.#codeSection(code));
    for (const s of sections) {
      if (rewritten.has(s) || s === importSection) continue;
      const w = this.#otherSection(s);
      if (w) rewritten.set(s, [w]);
    }
    if (this.#helpers.length > 0 && !sections.some((s) => s.id === SectionId.Type)) {
      new CodeCursor(this.bytes, this.subject).fail('code without a type section', 8);
    }

    const out = this.#out;
    out.range(this.bytes, 0, 8);
    let importWritten = false;
    const writeImports = (): void => {
      out.section(SectionId.Import, imports);
      importWritten = true;
    };
    const writeParts = (id: number, parts: readonly ByteWriter[]): void => {
      out.u8(id);
      out.u32(parts.reduce((sum, p) => sum + p.length, 0));
      for (const p of parts) out.append(p);
    };
    for (const s of sections) {
      if (s.id === SectionId.Custom && s.name?.startsWith('metadata.code.')) continue; // offsets into bodies we moved
      if (!importWritten && s.id !== SectionId.Custom && sectionRank(s.id) >= sectionRank(SectionId.Import)) writeImports();
      if (s === importSection) continue;
      const parts = rewritten.get(s);
      if (parts) {
        writeParts(s.id, parts);
      } else {
        out.u8(s.id);
        out.u32(s.end - s.start);
        out.range(this.bytes, s.start, s.end);
      }
    }
    if (!importWritten) writeImports();
    return out.toBytes();
  }

  #reader(s: Section): InstructionReader {
    return new InstructionReader(this.bytes, this.subject, s.start, s.end);
  }

  #done(r: CodeCursor, what: string): void {
    if (r.pos !== r.end) r.fail(`${what} section has trailing bytes`);
  }

  /** The import section with limits bounded and the two globals appended. */
  #importSection(s: Section | undefined): ByteWriter {
    const w = new ByteWriter(s ? s.end - s.start + 64 : 64);
    let n = 0;
    const body = new ByteWriter(w.length);
    if (s) {
      const r = this.#reader(s);
      n = r.count('imports', 3);
      for (let i = 0; i < n; i++) {
        const at = r.pos;
        r.nameBytes();
        r.nameBytes();
        const kind = r.byte();
        body.range(this.bytes, at, r.pos);
        switch (kind) {
          case 0x01: this.#tables.push(boundTableType(r, body, this.options)); break;
          case 0x02: this.#memories.push(boundLimits(r, body, this.options, 'memory')); break;
          default: {
            const from = r.pos;
            if (kind === 0x00) r.u32();
            else if (kind === 0x03) { r.valType(); r.byte(); } else if (kind === 0x04) { r.byte(); r.u32(); } else r.unsupported(`import kind 0x${kind.toString(16)}`, from - 1);
            body.range(this.bytes, from, r.pos);
          }
        }
      }
      this.#done(r, 'import');
    }
    for (const [field, type] of [[FUEL_GLOBAL, 0x7e], [GROW_FAILED_GLOBAL, 0x7f]] as const) {
      body.name(METER_MODULE);
      body.name(field);
      body.u8(0x03); body.u8(type); body.u8(0x01); // global, mutable
    }
    w.u32(n + 2);
    w.append(body);
    return w;
  }

  #tableSection(s: Section): ByteWriter {
    const r = this.#reader(s);
    const w = new ByteWriter(s.end - s.start + 16);
    const n = r.count('tables');
    w.u32(n);
    for (let i = 0; i < n; i++) {
      if (r.bytes[r.pos] === 0x40) { // table with an initialiser: 0x40 0x00 tabletype expr
        r.skip(1);
        if (r.byte() !== 0x00) r.fail('expected 0x00 after 0x40 in a table definition', r.pos - 1);
        w.u8(0x40); w.u8(0x00);
        this.#tables.push(boundTableType(r, w, this.options));
        this.#shift.constExpr(r, w);
      } else {
        this.#tables.push(boundTableType(r, w, this.options));
      }
    }
    this.#done(r, 'table');
    return w;
  }

  #memorySection(s: Section): ByteWriter {
    const r = this.#reader(s);
    const w = new ByteWriter(s.end - s.start + 16);
    const n = r.count('memories');
    w.u32(n);
    for (let i = 0; i < n; i++) this.#memories.push(boundLimits(r, w, this.options, 'memory'));
    this.#done(r, 'memory');
    return w;
  }

  /** The helper for a grow on a memory/table whose maximum the budget lowered; appended on first use. */
  #growHelper(what: 'memory' | 'table', index: number): number | undefined {
    const bounded = what === 'memory' ? this.#memories[index] : this.#tables[index];
    if (!bounded?.lowered) return undefined;
    const key = `${what}${index}`;
    const known = this.#helperFor.get(key);
    if (known !== undefined) return known;
    const helper = what === 'memory'
      ? memoryGrowHelper(index, bounded.is64, this.#growFailedGlobal)
      : tableGrowHelper(index, (bounded as BoundedTable).refType, bounded.is64, this.#growFailedGlobal);
    let typeAt = this.#helperTypes.findIndex((t) => sameBytes(t, helper.type));
    if (typeAt < 0) typeAt = this.#helperTypes.push(helper.type) - 1;
    const funcIndex = this.layout.importedFuncs + this.layout.funcTypes.length + this.#helpers.length;
    this.#helpers.push(helper);
    this.#helperTypeIndex.push(this.layout.typeParams.length + typeAt);
    this.#helperFor.set(key, funcIndex);
    return funcIndex;
  }

  /** The code section's parts: the count, the rewritten bodies, the helpers' bodies. */
  #codeSection(s: Section): ByteWriter[] {
    const r = this.#reader(s);
    const { funcTypes, typeParams } = this.layout;
    const n = r.count('function bodies', 2);
    if (n !== funcTypes.length) r.fail(`${n} function bodies for ${funcTypes.length} functions`, s.start);
    const pass = new CodePass(this.bytes, this.subject, {
      fuel: this.options.fuel,
      fuelGlobal: this.layout.importedGlobals,
      shift: this.#shift,
      growHelper: (what, index) => this.#growHelper(what, index),
      typeParams,
    });
    const bodies = new ByteWriter(s.end - s.start + (this.options.fuel ? (s.end - s.start) / 3 : 0) + 64);
    for (let i = 0; i < n; i++) {
      const size = r.u32();
      const start = r.pos;
      r.skip(size);
      pass.rewrite(start, start + size, funcTypes[i]!, bodies);
    }
    this.#done(r, 'code');
    const count = new ByteWriter(16);
    count.u32(n + this.#helpers.length);
    const helpers = new ByteWriter(256);
    for (const h of this.#helpers) {
      helpers.u32(h.body.length);
      helpers.bytes(h.body);
    }
    return [count, bodies, helpers];
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
        if (this.#helpers.length === 0) return undefined;
        const r = this.#reader(s);
        const n = r.u32();
        w.u32(n + this.#helpers.length);
        w.range(this.bytes, r.pos, s.end);
        for (const t of this.#helperTypeIndex) w.u32(t);
        return w;
      }
      case SectionId.Global: {
        const r = this.#reader(s);
        this.#shift.globalSection(r, w);
        this.#done(r, 'global');
        return w;
      }
      case SectionId.Export: {
        const r = this.#reader(s);
        this.#shift.exportSection(r, w);
        this.#done(r, 'export');
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
        this.#shift.nameSection(r, w, this.options.fuel);
        return w;
      }
      default:
        return undefined;
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
