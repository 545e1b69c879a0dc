/**
 * The section-level layout of a core module: where each section is, and the parts of the index
 * spaces the instrumentation passes need (each type's parameter count, each defined function's
 * type, how many functions and globals are imported).
 */
import { ByteWriter } from './byte-writer.js';
import { CodeCursor } from './code-cursor.js';

/** Custom section names only label sections: invalid UTF-8 is replaced, not an error. */
const LABEL = new TextDecoder();

/** Section ids (the binary format's numbering). */
export const SectionId = {
  Custom: 0,
  Type: 1,
  Import: 2,
  Function: 3,
  Table: 4,
  Memory: 5,
  Global: 6,
  Export: 7,
  Start: 8,
  Element: 9,
  Code: 10,
  Data: 11,
  DataCount: 12,
  Tag: 13,
} as const;

/** Where non-custom sections must appear, in order (the tag section sits between memory and global). */
const SECTION_ORDER: readonly number[] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

/** The rank of a non-custom section in the required order. */
export function sectionRank(id: number): number {
  return SECTION_ORDER.indexOf(id);
}

/** One section: its id and where its content is (after the id and size). */
export interface Section {
  readonly id: number;
  readonly start: number;
  readonly end: number;
  /** For custom sections: the name. */
  readonly name?: string;
}

/** What the passes need to know about the module, read once. */
export interface ModuleLayout {
  readonly sections: readonly Section[];
  /** Per type index: the parameter count of a function type, -1 for struct and array types. */
  readonly typeParams: readonly number[];
  /**
   * Per type index: where a function type that is neither in a recursion group nor a subtype
   * starts (its 0x60 byte), -1 for any other type.
   */
  readonly plainFuncTypeAt: readonly number[];
  /** Per defined function (in order): its type index. */
  readonly funcTypes: readonly number[];
  readonly importedFuncs: number;
  readonly importedTables: number;
  readonly importedGlobals: number;
  /** How many globals the module defines. */
  readonly definedGlobals: number;
  /** The module names of the imports, distinct. */
  readonly importModules: ReadonlySet<string>;
}

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * Reads the header and the section list, then the type, import and function sections.
 *
 * @throws LnError `LN_ERR_LOAD_INVALID` for anything that is not a well-formed core module at the
 *   section level, `LN_ERR_LOAD_UNSUPPORTED_FEATURE` for encodings the passes do not know
 */
export function readLayout(bytes: Uint8Array, subject: string): ModuleLayout {
  const c = new CodeCursor(bytes, subject);
  if (bytes.length < 8 || HEADER.some((b, i) => bytes[i] !== b)) {
    c.fail('not a core WebAssembly module (bad magic or version)', 0);
  }
  c.pos = 8;
  const sections: Section[] = [];
  const seen = new Set<number>();
  while (c.pos < c.end) {
    const at = c.pos;
    const id = c.byte();
    const size = c.u32();
    const start = c.pos;
    c.skip(size);
    if (id === SectionId.Custom) {
      const inner = new CodeCursor(bytes, subject, start, start + size);
      sections.push({ id, start, end: start + size, name: LABEL.decode(inner.nameBytes()) });
      continue;
    }
    if (sectionRank(id) < 0) c.unsupported(`section id ${id}`, at);
    if (seen.has(id)) c.fail(`duplicate section ${id}`, at);
    seen.add(id);
    sections.push({ id, start, end: start + size });
  }
  const find = (id: number): Section | undefined => sections.find((s) => s.id === id);
  const plainFuncTypeAt: number[] = [];
  const typeParams = readTypes(bytes, subject, find(SectionId.Type), plainFuncTypeAt);
  const imports = readImportCounts(bytes, subject, find(SectionId.Import));
  const funcTypes = readFunctions(bytes, subject, find(SectionId.Function));
  const globals = find(SectionId.Global);
  const definedGlobals = globals ? new CodeCursor(bytes, subject, globals.start, globals.end).u32() : 0;
  return { sections, typeParams, plainFuncTypeAt, funcTypes, definedGlobals, ...imports };
}

function readTypes(bytes: Uint8Array, subject: string, section: Section | undefined, plainAt: number[]): number[] {
  const params: number[] = [];
  if (!section) return params;
  const c = new CodeCursor(bytes, subject, section.start, section.end);
  const n = c.count('types');
  for (let i = 0; i < n; i++) {
    const at = c.pos;
    const form = c.byte();
    if (form === 0x4e) {
      // rec group
      const m = c.count('recursive types');
      for (let j = 0; j < m; j++) {
        params.push(subType(c, c.byte()));
        plainAt.push(-1);
      }
    } else {
      params.push(subType(c, form));
      plainAt.push(form === 0x60 ? at : -1);
    }
  }
  if (c.pos !== c.end) c.fail('type section has trailing bytes');
  return params;
}

/** Reads a (sub)type whose first byte is `form`; returns its parameter count, -1 if not a function. */
function subType(c: CodeCursor, first: number): number {
  let form = first;
  if (form === 0x50 || form === 0x4f) {
    const supers = c.count('supertypes');
    for (let i = 0; i < supers; i++) c.u32();
    form = c.byte();
  }
  switch (form) {
    case 0x60: {
      const p = c.count('parameters');
      for (let i = 0; i < p; i++) c.valType();
      const r = c.count('results');
      for (let i = 0; i < r; i++) c.valType();
      return p;
    }
    case 0x5f: {
      const fields = c.count('fields');
      for (let i = 0; i < fields; i++) fieldType(c);
      return -1;
    }
    case 0x5e:
      fieldType(c);
      return -1;
    default:
      return c.unsupported(`type form 0x${form.toString(16)}`, c.pos - 1);
  }
}

function fieldType(c: CodeCursor): void {
  const t = c.bytes[c.pos];
  if (t === 0x78 || t === 0x77)
    c.pos++; // packed i8 / i16
  else c.valType();
  const mut = c.byte();
  if (mut > 1) c.fail('invalid mutability', c.pos - 1);
}

function readImportCounts(
  bytes: Uint8Array,
  subject: string,
  section: Section | undefined,
): Pick<ModuleLayout, 'importedFuncs' | 'importedTables' | 'importedGlobals' | 'importModules'> {
  let importedFuncs = 0;
  let importedTables = 0;
  let importedGlobals = 0;
  const importModules = new Set<string>();
  if (section) {
    const c = new CodeCursor(bytes, subject, section.start, section.end);
    const n = c.count('imports', 3);
    for (let i = 0; i < n; i++) {
      importModules.add(c.name());
      c.nameBytes();
      const kind = c.byte();
      switch (kind) {
        case 0x00:
          c.u32();
          importedFuncs++;
          break;
        case 0x01:
          c.valType();
          skipLimits(c);
          importedTables++;
          break;
        case 0x02:
          skipLimits(c);
          break;
        case 0x03:
          c.valType();
          c.byte();
          importedGlobals++;
          break;
        case 0x04:
          c.byte();
          c.u32();
          break;
        default:
          c.unsupported(`import kind 0x${kind.toString(16)}`, c.pos - 1);
      }
    }
    if (c.pos !== c.end) c.fail('import section has trailing bytes');
  }
  return { importedFuncs, importedTables, importedGlobals, importModules };
}

function readFunctions(bytes: Uint8Array, subject: string, section: Section | undefined): number[] {
  const types: number[] = [];
  if (!section) return types;
  const c = new CodeCursor(bytes, subject, section.start, section.end);
  const n = c.count('functions');
  for (let i = 0; i < n; i++) types.push(c.u32());
  if (c.pos !== c.end) c.fail('function section has trailing bytes');
  return types;
}

/** A function type with a counter added: the type, encoded, and the block type of its results. */
export interface PassedType {
  readonly type: Uint8Array;
  /** The block type of the results: 0x40 or one value type; null for more than one result. */
  readonly results: Uint8Array | null;
  /** `(func (result r*))`, encoded: a block type for more than one result (by its index). */
  readonly resultsType: Uint8Array;
}

/**
 * Reads the plain function type at `c.pos` (see `plainFuncTypeAt`): `(func (param p*) (result r?))`
 * becomes `(func (param p* t) (result r* t))` for the counter's value type `t`.
 */
export function passedType(c: CodeCursor, counterType: number): PassedType {
  c.byte(); // 0x60
  const params = c.u32();
  const paramsAt = c.pos;
  for (let i = 0; i < params; i++) c.valType();
  const paramsTo = c.pos;
  const results = c.u32();
  const resultsAt = c.pos;
  for (let i = 0; i < results; i++) c.valType();
  const w = new ByteWriter(c.pos - paramsAt + 16);
  w.u8(0x60);
  w.u32(params + 1);
  w.range(c.bytes, paramsAt, paramsTo);
  w.u8(counterType);
  w.u32(results + 1);
  w.range(c.bytes, resultsAt, c.pos);
  w.u8(counterType);
  const only = new ByteWriter(c.pos - resultsAt + 8);
  only.u8(0x60);
  only.u8(0);
  only.u32(results);
  only.range(c.bytes, resultsAt, c.pos);
  return {
    type: w.toBytes(),
    results: results === 0 ? Uint8Array.of(0x40) : results === 1 ? c.bytes.slice(resultsAt, c.pos) : null,
    resultsType: only.toBytes(),
  };
}

/** Skips memory or table limits (flags, minimum, optional maximum, optional page size). */
export function skipLimits(c: CodeCursor): void {
  const flags = c.u32();
  if (flags & ~0x0f) c.unsupported(`limits flags 0x${flags.toString(16)}`, c.pos - 1);
  c.u64();
  if (flags & 0x01) c.u64();
  if (flags & 0x08) c.u32();
}

/**
 * Writes a module back: the header, then each section copied, or replaced by the parts
 * `replaced` gives for it, with the sections of `added` (ids the module lacks) where their rank
 * puts them. `metadata.code.*` custom sections are dropped: they hold offsets into function
 * bodies the passes moved.
 */
export function writeModule(
  bytes: Uint8Array,
  sections: readonly Section[],
  replaced: (s: Section) => readonly ByteWriter[] | undefined,
  added: ReadonlyMap<number, readonly ByteWriter[]>,
  sizeHint: number,
): Uint8Array {
  const out = new ByteWriter(sizeHint);
  out.range(bytes, 0, 8);
  const writeParts = (id: number, parts: readonly ByteWriter[]): void => {
    out.u8(id);
    out.u32(parts.reduce((sum, p) => sum + p.length, 0));
    for (const p of parts) out.append(p);
  };
  const pending = [...added.keys()].sort((a, b) => sectionRank(a) - sectionRank(b));
  for (const s of sections) {
    if (s.id === SectionId.Custom && s.name?.startsWith('metadata.code.')) continue;
    if (s.id !== SectionId.Custom) {
      while (pending.length > 0 && sectionRank(pending[0]!) < sectionRank(s.id)) {
        const id = pending.shift()!;
        writeParts(id, added.get(id)!);
      }
    }
    const parts = replaced(s);
    if (parts) {
      writeParts(s.id, parts);
    } else {
      out.u8(s.id);
      out.u32(s.end - s.start);
      out.range(bytes, s.start, s.end);
    }
  }
  for (const id of pending) writeParts(id, added.get(id)!);
  return out.toBytes();
}
