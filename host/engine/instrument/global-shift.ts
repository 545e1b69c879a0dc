/**
 * Global index shifting outside function bodies. The passes add two imported globals after the
 * module's own imported globals, so every defined global's index grows by `GLOBAL_SHIFT`; this
 * file rewrites every reference that is not in code: constant expressions (global initialisers,
 * table initialisers, element and data segment offsets, element expressions), global exports,
 * and the global names in the `name` section.
 *
 * It also refuses references past the module's own globals and functions (`checkGlobal`,
 * `checkFunction`): the passes append globals and functions, so an out-of-range reference in an
 * invalid input would otherwise become a valid reference to the meter's own state.
 */
import { ByteWriter } from './byte-writer.js';
import { CodeCursor } from './code-cursor.js';
import { type InstructionReader, Op } from './instruction-reader.js';

/** How many globals the instrumentation imports (fuel, grow_failed). */
export const GLOBAL_SHIFT = 2;

/** Rewrites references to globals whose index is at least `from` (the first defined global). */
export class GlobalShift {
  /**
   * @param from - the first defined global (the number of imported globals)
   * @param globals - how many globals the module has (imported and defined)
   * @param functions - how many functions the module has (imported and defined)
   */
  constructor(
    readonly from: number,
    readonly globals: number,
    readonly functions: number,
  ) {}

  /** Fails unless `index` is one of the module's own globals. */
  checkGlobal(r: CodeCursor, index: number, at = r.pos): void {
    if (index >= this.globals) r.fail(`global ${index} does not exist (the module has ${this.globals})`, at);
  }

  /** Fails unless `index` is one of the module's own functions. */
  checkFunction(r: CodeCursor, index: number, at = r.pos): void {
    if (index >= this.functions) r.fail(`function ${index} does not exist (the module has ${this.functions})`, at);
  }

  /** The new index of global `index`. */
  map(index: number): number {
    return index >= this.from ? index + GLOBAL_SHIFT : index;
  }

  /**
   * Copies the constant expression at the reader's position (up to and including its `end`),
   * rewriting `global.get`. Leaves the reader after the expression.
   */
  constExpr(r: InstructionReader, out: ByteWriter): void {
    const bytes = r.bytes;
    let copyFrom = r.pos;
    for (;;) {
      const op = r.next();
      if (op === Op.End) break;
      if (op === Op.GlobalGet) {
        this.checkGlobal(r, r.index, r.start);
        if (r.index < this.from) continue;
        out.range(bytes, copyFrom, r.start);
        out.u8(0x23);
        out.u32(r.index + GLOBAL_SHIFT);
        copyFrom = r.pos;
      } else if (op === Op.RefFunc) {
        this.checkFunction(r, r.index, r.start);
      } else if (op !== Op.Plain) {
        r.fail('unexpected instruction in a constant expression', r.start);
      }
    }
    out.range(bytes, copyFrom, r.pos);
  }

  /**
   * Rewrites the global section: each global's type is copied, its initialiser shifted; the count
   * written includes `extra` globals the caller appends.
   */
  globalSection(r: InstructionReader, out: ByteWriter, extra = 0): void {
    const n = r.count('globals', 3);
    out.u32(n + extra);
    for (let i = 0; i < n; i++) {
      const at = r.pos;
      r.valType();
      r.byte(); // mutability
      out.range(r.bytes, at, r.pos);
      this.constExpr(r, out);
    }
  }

  /**
   * Rewrites the export section: global exports get their new index, and function exports the
   * index `funcs` maps them to (entry wrappers, see fuel-scope.ts).
   */
  exportSection(c: CodeCursor, out: ByteWriter, funcs: ReadonlyMap<number, number>): void {
    const n = c.count('exports', 3);
    out.u32(n);
    for (let i = 0; i < n; i++) {
      const at = c.pos;
      c.nameBytes();
      const kind = c.byte();
      out.range(c.bytes, at, c.pos);
      const index = c.u32();
      if (kind === 0x03) this.checkGlobal(c, index);
      if (kind === 0x00) this.checkFunction(c, index);
      out.u32(kind === 0x03 ? this.map(index) : kind === 0x00 ? (funcs.get(index) ?? index) : index);
    }
  }

  /** Rewrites the element section: offsets and element expressions shifted, the rest copied. */
  elementSection(r: InstructionReader, out: ByteWriter): void {
    const n = r.count('element segments');
    out.u32(n);
    for (let i = 0; i < n; i++) {
      const flags = r.u32();
      if (flags > 7) r.fail(`unknown element segment flags ${flags}`);
      out.u32(flags);
      const at = r.pos;
      if (flags & 0x02 && !(flags & 0x01)) r.u32(); // table index
      out.range(r.bytes, at, r.pos);
      if (!(flags & 0x01)) this.constExpr(r, out); // active: offset
      const kindAt = r.pos;
      if (flags & 0x04) {
        if (flags & 0x03) r.valType(); // reference type
        out.range(r.bytes, kindAt, r.pos);
        const m = r.count('element expressions');
        out.u32(m);
        for (let j = 0; j < m; j++) this.constExpr(r, out);
      } else {
        if (flags & 0x03) r.byte(); // element kind
        const m = r.count('element functions');
        for (let j = 0; j < m; j++) this.checkFunction(r, r.u32());
        out.range(r.bytes, kindAt, r.pos);
      }
    }
  }

  /** Rewrites the data section: active segments' offsets shifted, contents copied. */
  dataSection(r: InstructionReader, out: ByteWriter): void {
    const n = r.count('data segments');
    out.u32(n);
    for (let i = 0; i < n; i++) {
      const flags = r.u32();
      if (flags > 2) r.fail(`unknown data segment flags ${flags}`);
      out.u32(flags);
      if (flags === 2) out.u32(r.u32()); // memory index
      if (flags !== 1) this.constExpr(r, out);
      const at = r.pos;
      r.skip(r.u32());
      out.range(r.bytes, at, r.pos);
    }
  }

  /**
   * Rewrites a `name` custom section's content: global names (subsection 7) get the new indices;
   * with `dropLabels`, label names (subsection 3) are dropped, because the fuel pass inserts
   * blocks that renumber labels.
   */
  nameSection(c: CodeCursor, out: ByteWriter, dropLabels: boolean, dropLocals = false): void {
    rewriteNames(c, out, dropLabels, GLOBAL_NAMES, (g) => this.map(g), dropLocals);
  }
}

const GLOBAL_NAMES: ReadonlySet<number> = new Set([7]);

/**
 * Rewrites a `name` custom section's content (after its own name): in the subsections listed in
 * `reindexed` (1 function names, 2 local names, 7 global names: a count, then per entry an index
 * and what follows it) each index becomes `map(index)`; with `dropLabels`, label names (3) are
 * dropped, because the passes insert blocks that renumber labels; with `dropLocals`, local names
 * (2) are dropped, because a pass renumbered locals; the rest is copied.
 */
export function rewriteNames(
  c: CodeCursor,
  out: ByteWriter,
  dropLabels: boolean,
  reindexed: ReadonlySet<number>,
  map: (index: number) => number,
  dropLocals = false,
): void {
  out.name('name');
  while (c.pos < c.end) {
    const id = c.byte();
    const size = c.u32();
    const start = c.pos;
    c.skip(size);
    if ((id === 3 && dropLabels) || (id === 2 && dropLocals)) continue;
    if (!reindexed.has(id)) {
      out.u8(id);
      out.u32(size);
      out.range(c.bytes, start, start + size);
      continue;
    }
    const sub = new CodeCursor(c.bytes, c.subject, start, start + size);
    const body = new ByteWriter(size + 16);
    const count = sub.count('names', 2);
    body.u32(count);
    for (let i = 0; i < count; i++) {
      body.u32(map(sub.u32()));
      const at = sub.pos;
      if (id === 2) {
        for (let m = sub.count('local names', 2); m > 0; m--) {
          sub.u32();
          sub.nameBytes();
        }
      } else {
        sub.nameBytes();
      }
      body.range(c.bytes, at, sub.pos);
    }
    out.section(id, body);
  }
}
