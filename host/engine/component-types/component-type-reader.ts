/**
 * Decodes the typed shape of a component's top-level imports and exports from its binary
 * (Component Model binary format, version 0x0d, layer 1), without compiling or running it.
 *
 * It tracks the component-level index spaces (types, funcs, instances, components) the way a
 * validator does, far enough to type every top-level item, and skips core definitions. Type
 * names come from the export names of types in instance types and components: WIT-generated
 * types are always exported before use, so `(export "event" (type (eq 5)))` names record 5.
 */
import { isLnError, LnError } from '../../errors/ln-error.js';
import { BinaryReader, type ItemBudget } from '../../support/binary-reader.js';
import { formatWitType } from './wit-format.js';
import type { ComponentShape, WitCase, WitField, WitFunction, WitParam, WitPrimitive, WitType, WitTypeExport, WorldItem } from './wit-types.js';

const SUBJECT = '<component>';
/** Nesting of components and component/instance types. */
const MAX_NESTING = 32;
/** A value type's depth and expanded size (wasmparser caps size too): bounds every type walker. */
const MAX_TYPE_DEPTH = 100;
const MAX_TYPE_SIZE = 100_000;
const DESCRIPTION_CHARS = 200;

const SECTION_NAMES = [
  'custom',
  'core module',
  'core instance',
  'core type',
  'component',
  'instance',
  'alias',
  'type',
  'canon',
  'start',
  'import',
  'export',
  'value',
] as const;

const PRIMITIVES: Readonly<Record<number, WitPrimitive>> = {
  0x7f: 'bool',
  0x7e: 's8',
  0x7d: 'u8',
  0x7c: 's16',
  0x7b: 'u16',
  0x7a: 's32',
  0x79: 'u32',
  0x78: 's64',
  0x77: 'u64',
  0x76: 'f32',
  0x75: 'f64',
  0x74: 'char',
  0x73: 'string',
};
const ERROR_CONTEXT = 0x64;

interface ResourceId {
  name: string | null;
}
interface FuncSig {
  readonly params: readonly WitParam[];
  readonly result: WitType | null;
  readonly async?: true;
}
type Externs = Map<string, Extern>;
interface ComponentSig {
  readonly imports: Externs;
  readonly exports: Externs;
}
type TypeEntry =
  | { readonly tag: 'value'; readonly type: WitType }
  | { readonly tag: 'resource'; readonly id: ResourceId; readonly name: string | null }
  | { readonly tag: 'func'; readonly sig: FuncSig }
  | { readonly tag: 'instance'; readonly exports: Externs }
  | { readonly tag: 'component'; readonly sig: ComponentSig };
type Extern =
  | { readonly sort: 'func'; readonly sig: FuncSig }
  | { readonly sort: 'instance'; readonly exports: Externs }
  | { readonly sort: 'component'; readonly sig: ComponentSig }
  | { readonly sort: 'type'; readonly entry: TypeEntry }
  | { readonly sort: 'value' }
  | { readonly sort: 'module' };

/** Stands in for functions defined after a canonical definition this decoder does not know. */
const UNDECODED_FUNC: FuncSig = {
  params: [],
  result: { kind: 'unknown', description: 'function type not decoded (unsupported canonical definition)' },
};

/** One index-space scope: a component, or a component/instance type being declared. */
class Scope {
  readonly types: TypeEntry[] = [];
  readonly funcs: FuncSig[] = [];
  readonly instances: Externs[] = [];
  readonly components: ComponentSig[] = [];
  readonly imports: Externs = new Map();
  readonly exports: Externs = new Map();
  /** Func indices from here on are unknown, after a canonical definition that could not be read. */
  funcsUnknownFrom = Infinity;
  constructor(
    readonly parent: Scope | null,
    readonly depth: number,
  ) {}
}

/**
 * State of one decode: type metrics, handles whose resource is named only later, and the
 * component-model async features met.
 */
class Decoder {
  private readonly metrics = new WeakMap<object, { size: number; depth: number }>();
  private readonly unnamedHandles: { node: { resource: string }; id: ResourceId }[] = [];
  /** Component-model async (WASI 0.3) features used, by name, in the order first met. */
  readonly asyncUses = new Set<string>();

  /** Records a composite type's metrics, rejecting types too big or deep for walkers. */
  made<T extends WitType>(r: BinaryReader, t: T, children: readonly (WitType | null)[]): T {
    let size = 1;
    let depth = 0;
    for (const c of children) {
      if (!c) continue;
      const m = this.metrics.get(c) ?? { size: 1, depth: 0 };
      size += m.size;
      depth = Math.max(depth, m.depth);
    }
    if (size > MAX_TYPE_SIZE) r.fail(`type too large (${size} nodes, limit ${MAX_TYPE_SIZE})`);
    if (depth + 1 > MAX_TYPE_DEPTH) r.fail(`type nested deeper than ${MAX_TYPE_DEPTH}`);
    this.metrics.set(t, { size, depth: depth + 1 });
    return t;
  }

  /** A copy of a named type under another name, with the same metrics. */
  renamed(t: WitType, name: string): WitType {
    if (t.kind !== 'record' && t.kind !== 'variant' && t.kind !== 'enum' && t.kind !== 'flags') return t;
    if (t.name === name) return t;
    const copy = { ...t, name };
    const m = this.metrics.get(t);
    if (m) this.metrics.set(copy, m);
    return copy;
  }

  handle(kind: 'own' | 'borrow', entry: Extract<TypeEntry, { tag: 'resource' }>): WitType {
    const node = { kind, resource: entry.name ?? '' };
    if (entry.name === null) this.unnamedHandles.push({ node, id: entry.id });
    return node;
  }

  /** Names handles of resources that were defined before being exported under a name. */
  finish(): void {
    for (const { node, id } of this.unnamedHandles) node.resource = id.name ?? 'resource';
  }
}

/** A name from the binary, quoted and shortened for an error message. */
function q(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
}

function at<T>(r: BinaryReader, list: readonly T[], idx: number, what: string): T {
  const item = list[idx];
  if (item === undefined) r.fail(`${what} index ${idx} out of range (${list.length} defined)`);
  return item;
}

function typeAt(r: BinaryReader, s: Scope, idx: number): TypeEntry {
  return at(r, s.types, idx, 'type');
}

function funcAt(r: BinaryReader, s: Scope, idx: number): FuncSig {
  return idx >= s.funcsUnknownFrom ? UNDECODED_FUNC : at(r, s.funcs, idx, 'func');
}

function valueTypeAt(r: BinaryReader, s: Scope, idx: number): WitType {
  const e = typeAt(r, s, idx);
  if (e.tag !== 'value') r.fail(`type ${idx} is a ${e.tag} type, not a value type`);
  return e.type;
}

function readValType(d: Decoder, r: BinaryReader, s: Scope): WitType {
  const b = r.peek('value type');
  if (b >= 0x40 && b < 0x80) {
    r.byte('value type');
    const name = PRIMITIVES[b];
    if (name) return { kind: 'primitive', name };
    if (b === ERROR_CONTEXT) {
      d.asyncUses.add('error-context type');
      return { kind: 'unknown', description: 'error-context' };
    }
    return r.fail(`invalid value type 0x${b.toString(16)}`, r.pos - 1);
  }
  const idx = r.s33('type index');
  if (idx < 0) r.fail(`invalid value type ${idx}`);
  return valueTypeAt(r, s, idx);
}

function readOptional<T>(r: BinaryReader, what: string, read: () => T): T | null {
  const flag = r.byte(what);
  if (flag === 0) return null;
  if (flag === 1) return read();
  return r.fail(`invalid ${what} flag 0x${flag.toString(16)}`, r.pos - 1);
}

function labels(r: BinaryReader, what: string): string[] {
  const n = r.count(what);
  return Array.from({ length: n }, () => r.name(what));
}

function describe(kind: string, inner: readonly (WitType | null)[]): WitType {
  const args = inner.filter((t): t is WitType => t !== null).map((t) => formatWitType(t, { maxLength: DESCRIPTION_CHARS }));
  return { kind: 'unknown', description: args.length ? `${kind}<${args.join(', ')}>` : kind };
}

/** Reads a `defvaltype` whose opcode `op` was just read. */
function readDefValType(d: Decoder, r: BinaryReader, s: Scope, op: number): WitType {
  const val = (): WitType => readValType(d, r, s);
  const primitive = PRIMITIVES[op];
  if (primitive) return { kind: 'primitive', name: primitive };
  switch (op) {
    case 0x72: {
      const fields: WitField[] = Array.from({ length: r.count('record fields', 2) }, () => ({ name: r.name('field name'), type: val() }));
      return d.made(
        r,
        { kind: 'record', name: null, fields },
        fields.map((f) => f.type),
      );
    }
    case 0x71: {
      const cases: WitCase[] = Array.from({ length: r.count('variant cases', 3) }, () => {
        const c = { name: r.name('case name'), type: readOptional(r, 'case type', val) };
        if (readOptional(r, 'case refinement', () => r.u32('refined case')) !== null) {
          r.fail('variant case refinements are not supported', r.pos - 1);
        }
        return c;
      });
      return d.made(
        r,
        { kind: 'variant', name: null, cases },
        cases.map((c) => c.type),
      );
    }
    case 0x70: {
      const element = val();
      return d.made(r, { kind: 'list', element }, [element]);
    }
    case 0x67: {
      const element = val();
      return d.made(r, { kind: 'list', element, length: r.u32('list length') }, [element]);
    }
    case 0x6f: {
      const items = Array.from({ length: r.count('tuple items') }, val);
      return d.made(r, { kind: 'tuple', items }, items);
    }
    case 0x6e:
      return { kind: 'flags', name: null, flags: labels(r, 'flag names') };
    case 0x6d:
      return { kind: 'enum', name: null, cases: labels(r, 'enum cases') };
    case 0x6b: {
      const inner = val();
      return d.made(r, { kind: 'option', inner }, [inner]);
    }
    case 0x6a: {
      const ok = readOptional(r, 'result ok type', val);
      const err = readOptional(r, 'result error type', val);
      return d.made(r, { kind: 'result', ok, err }, [ok, err]);
    }
    case 0x69:
    case 0x68: {
      const idx = r.u32('resource type index');
      const e = typeAt(r, s, idx);
      if (e.tag !== 'resource') r.fail(`handle of type ${idx}, which is not a resource`);
      return d.handle(op === 0x69 ? 'own' : 'borrow', e);
    }
    case 0x66:
    case 0x65: {
      d.asyncUses.add(op === 0x66 ? 'stream type' : 'future type');
      const inner = readOptional(r, 'payload type', val);
      return d.made(r, describe(op === 0x66 ? 'stream' : 'future', [inner]), [inner]);
    }
    case 0x64:
      d.asyncUses.add('error-context type');
      return { kind: 'unknown', description: 'error-context' };
    case 0x63: {
      const key = val();
      const value = val();
      return d.made(r, describe('map', [key, value]), [key, value]);
    }
    default:
      return r.fail(`unknown type opcode 0x${op.toString(16)}`, r.pos - 1);
  }
}

function readFuncSig(d: Decoder, r: BinaryReader, s: Scope): FuncSig {
  const params: WitParam[] = Array.from({ length: r.count('parameters', 2) }, () => ({ name: r.name('parameter name'), type: readValType(d, r, s) }));
  const kind = r.byte('result list');
  if (kind === 0x00) return { params, result: readValType(d, r, s) };
  if (kind !== 0x01) r.fail(`invalid result list 0x${kind.toString(16)}`, r.pos - 1);
  const named = Array.from({ length: r.count('named results', 2) }, () => ({ name: r.name('result name'), type: readValType(d, r, s) }));
  if (named.length === 0) return { params, result: null };
  if (named.length === 1) return { params, result: named[0]!.type };
  return { params, result: { kind: 'unknown', description: `named results (${named.map((n) => n.name).join(', ')})` } };
}

/** Reads a `deftype` (value, func, component, instance or resource type). */
function readDefType(d: Decoder, r: BinaryReader, s: Scope): TypeEntry {
  const op = r.byte('type opcode');
  switch (op) {
    case 0x40:
      return { tag: 'func', sig: readFuncSig(d, r, s) };
    case 0x43:
      d.asyncUses.add('async function type');
      return { tag: 'func', sig: { ...readFuncSig(d, r, s), async: true } };
    case 0x41:
      return { tag: 'component', sig: readDecls(d, r, s, true) };
    case 0x42:
      return { tag: 'instance', exports: readDecls(d, r, s, false).exports };
    case 0x3f: {
      if (r.byte('resource representation') !== 0x7f) r.fail('resource representation must be i32', r.pos - 1);
      readOptional(r, 'resource destructor', () => r.u32('destructor index'));
      return { tag: 'resource', id: { name: null }, name: null };
    }
    default:
      return { tag: 'value', type: readDefValType(d, r, s, op) };
  }
}

/** Reads the declarations of a component type (`imports` allowed) or an instance type. */
function readDecls(d: Decoder, r: BinaryReader, parent: Scope, component: boolean): ComponentSig {
  const s = nested(r, parent);
  const n = r.count('type declarations');
  for (let i = 0; i < n; i++) {
    const kind = r.byte('declaration kind');
    if (kind === 0x00) skipCoreType(r);
    else if (kind === 0x01) s.types.push(readDefType(d, r, s));
    else if (kind === 0x02) readAlias(d, r, s);
    else if (kind === 0x03 && component) declare(d, r, s, s.imports, readExternName(r, 'import'));
    else if (kind === 0x04) declare(d, r, s, s.exports, readExternName(r, 'export'));
    else r.fail(`invalid ${component ? 'component' : 'instance'} type declaration 0x${kind.toString(16)}`, r.pos - 1);
  }
  return { imports: s.imports, exports: s.exports };
}

function nested(r: BinaryReader, parent: Scope): Scope {
  if (parent.depth >= MAX_NESTING) r.fail(`components and types nested deeper than ${MAX_NESTING}`);
  return new Scope(parent, parent.depth + 1);
}

function readExternName(r: BinaryReader, what: string): string {
  const kind = r.byte(`${what} name kind`);
  if (kind !== 0x00 && kind !== 0x01) r.fail(`invalid ${what} name kind 0x${kind.toString(16)}`, r.pos - 1);
  return r.name(`${what} name`);
}

function declare(d: Decoder, r: BinaryReader, s: Scope, into: Externs, name: string): void {
  const start = r.pos;
  const ext = readExternDesc(d, r, s, name);
  if (into.has(name)) r.fail(`duplicate name ${q(name)}`, start);
  into.set(name, addEntity(d, s, name, ext));
}

function readExternDesc(d: Decoder, r: BinaryReader, s: Scope, name: string): Extern {
  const kind = r.byte('extern kind');
  switch (kind) {
    case 0x00:
      if (r.byte('core module sort') !== 0x11) r.fail('only core modules can be imported or exported', r.pos - 1);
      r.u32('core type index');
      return { sort: 'module' };
    case 0x01: {
      const idx = r.u32('func type index');
      const e = typeAt(r, s, idx);
      if (e.tag !== 'func') r.fail(`type ${idx} is a ${e.tag} type, not a function type`);
      return { sort: 'func', sig: e.sig };
    }
    case 0x02:
      readValType(d, r, s);
      return { sort: 'value' };
    case 0x03: {
      const bound = r.byte('type bound');
      if (bound === 0x00) return { sort: 'type', entry: typeAt(r, s, r.u32('type index')) };
      if (bound === 0x01) return { sort: 'type', entry: { tag: 'resource', id: { name }, name } };
      return r.fail(`invalid type bound 0x${bound.toString(16)}`, r.pos - 1);
    }
    case 0x04:
    case 0x05: {
      const idx = r.u32('type index');
      const e = typeAt(r, s, idx);
      if (kind === 0x04 && e.tag === 'component') return { sort: 'component', sig: e.sig };
      if (kind === 0x05 && e.tag === 'instance') return { sort: 'instance', exports: e.exports };
      return r.fail(`type ${idx} is a ${e.tag} type, not a${kind === 0x04 ? ' component' : 'n instance'} type`);
    }
    default:
      return r.fail(`invalid extern kind 0x${kind.toString(16)}`, r.pos - 1);
  }
}

/** Adds an imported, exported or aliased item to its index space; a type takes `name` if given. */
function addEntity(d: Decoder, s: Scope, name: string | null, ext: Extern): Extern {
  switch (ext.sort) {
    case 'func':
      s.funcs.push(ext.sig);
      return ext;
    case 'instance':
      s.instances.push(ext.exports);
      return ext;
    case 'component':
      s.components.push(ext.sig);
      return ext;
    case 'type': {
      const entry = name === null ? ext.entry : namedEntry(d, ext.entry, name);
      s.types.push(entry);
      return entry === ext.entry ? ext : { sort: 'type', entry };
    }
    default:
      return ext;
  }
}

function namedEntry(d: Decoder, e: TypeEntry, name: string): TypeEntry {
  if (e.tag === 'value') {
    const type = d.renamed(e.type, name);
    return type === e.type ? e : { tag: 'value', type };
  }
  if (e.tag !== 'resource' || e.name === name) return e;
  if (e.id.name === null) e.id.name = name;
  return { tag: 'resource', id: e.id, name };
}

/** Reads a `sortidx` and returns what it refers to (null for core items other than modules). */
function readSortIdx(r: BinaryReader, s: Scope): Extern | null {
  const sort = r.byte('sort');
  if (sort === 0x00) {
    const core = r.byte('core sort');
    r.u32('core index');
    return core === 0x11 ? { sort: 'module' } : null;
  }
  const idx = r.u32('index');
  switch (sort) {
    case 0x01:
      return { sort: 'func', sig: funcAt(r, s, idx) };
    case 0x02:
      return { sort: 'value' };
    case 0x03:
      return { sort: 'type', entry: typeAt(r, s, idx) };
    case 0x04:
      return { sort: 'component', sig: at(r, s.components, idx, 'component') };
    case 0x05:
      return { sort: 'instance', exports: at(r, s.instances, idx, 'instance') };
    default:
      return r.fail(`invalid sort 0x${sort.toString(16)}`, r.pos - 1);
  }
}

const SORTS: Readonly<Record<number, Extern['sort']>> = {
  0x01: 'func',
  0x02: 'value',
  0x03: 'type',
  0x04: 'component',
  0x05: 'instance',
};

function readAlias(d: Decoder, r: BinaryReader, s: Scope): void {
  const start = r.pos;
  const sortByte = r.byte('alias sort');
  const core = sortByte === 0x00 ? r.byte('core sort') : null;
  const sort = core === 0x11 ? 'module' : core === null ? SORTS[sortByte] : 'core';
  if (!sort) r.fail(`invalid alias sort 0x${sortByte.toString(16)}`, start);
  const target = r.byte('alias target');
  if (target === 0x00) {
    const idx = r.u32('instance index');
    const exportName = r.name('export name');
    if (sort === 'core') r.fail('core items cannot be aliased from a component instance', start);
    const ext = at(r, s.instances, idx, 'instance').get(exportName);
    if (!ext) r.fail(`instance ${idx} has no export ${q(exportName)}`, start);
    if (ext.sort !== sort) r.fail(`export ${q(exportName)} of instance ${idx} is a ${ext.sort}, not a ${sort}`, start);
    addEntity(d, s, null, ext);
  } else if (target === 0x01) {
    r.u32('core instance index');
    r.name('core export name');
    if (core === null) r.fail('a core export alias needs a core sort', start);
  } else if (target === 0x02) {
    const count = r.u32('outer count');
    const idx = r.u32('outer index');
    let outer: Scope | null = s;
    for (let i = 0; i < count && outer; i++) outer = outer.parent;
    if (!outer) r.fail(`outer alias reaches ${count} scopes out, past the outermost component`, start);
    if (sort === 'type') s.types.push(typeAt(r, outer, idx));
    else if (sort === 'component') s.components.push(at(r, outer.components, idx, 'component'));
    else if (sort !== 'core' && sort !== 'module') r.fail(`an outer alias cannot refer to a ${sort}`, start);
  } else {
    r.fail(`invalid alias target 0x${target.toString(16)}`, r.pos - 1);
  }
}

/** Skips a core type inside a component or instance type (module types and function types). */
function skipCoreType(r: BinaryReader): void {
  const op = r.peek('core type');
  if (op !== 0x50) return skipCoreSubType(r);
  r.byte('core type');
  const n = r.count('module type declarations');
  for (let i = 0; i < n; i++) {
    const kind = r.byte('module type declaration');
    if (kind === 0x00) {
      r.name('import module');
      r.name('import name');
      skipCoreImportDesc(r);
    } else if (kind === 0x01) skipCoreSubType(r);
    else if (kind === 0x02) {
      r.byte('alias sort');
      r.byte('alias target');
      r.u32('outer count');
      r.u32('outer index');
    } else if (kind === 0x03) {
      r.name('export name');
      skipCoreImportDesc(r);
    } else r.fail(`invalid module type declaration 0x${kind.toString(16)}`, r.pos - 1);
  }
}

function skipCoreSubType(r: BinaryReader): void {
  let op = r.byte('core type');
  if (op === 0x00) op = r.byte('core sub type');
  if (op === 0x4e) {
    const n = r.count('recursive types');
    for (let i = 0; i < n; i++) skipCoreSubType(r);
    return;
  }
  if (op === 0x50 || op === 0x4f) {
    const n = r.count('supertypes');
    for (let i = 0; i < n; i++) r.u32('supertype');
    op = r.byte('core composite type');
  }
  if (op === 0x60) {
    for (const what of ['params', 'results']) {
      const n = r.count(`core ${what}`);
      for (let i = 0; i < n; i++) skipCoreValType(r);
    }
  } else if (op === 0x5f) {
    const n = r.count('struct fields', 2);
    for (let i = 0; i < n; i++) {
      skipCoreValType(r);
      r.byte('mutability');
    }
  } else if (op === 0x5e) {
    skipCoreValType(r);
    r.byte('mutability');
  } else {
    r.fail(`unsupported core type 0x${op.toString(16)}`, r.pos - 1);
  }
}

function skipCoreValType(r: BinaryReader): void {
  const b = r.byte('core value type');
  if (b === 0x63 || b === 0x64) r.s33('heap type');
  else if (b < 0x40 || b >= 0x80) r.fail(`invalid core value type 0x${b.toString(16)}`, r.pos - 1);
}

function skipCoreImportDesc(r: BinaryReader): void {
  const kind = r.byte('core import kind');
  const limits = (): void => {
    const flags = r.byte('limits flags');
    if (flags > 0x0f) r.fail(`invalid limits flags 0x${flags.toString(16)}`, r.pos - 1);
    r.skipLeb('minimum');
    if (flags & 0x01) r.skipLeb('maximum');
    if (flags & 0x08) r.u32('page size');
  };
  if (kind === 0x00) r.u32('core type index');
  else if (kind === 0x01) {
    skipCoreValType(r);
    limits();
  } else if (kind === 0x02) limits();
  else if (kind === 0x03) {
    skipCoreValType(r);
    r.byte('mutability');
  } else if (kind === 0x04) {
    r.byte('tag attribute');
    r.u32('tag type index');
  } else r.fail(`invalid core import kind 0x${kind.toString(16)}`, r.pos - 1);
}

const CANON_OPTION_ARGS: Readonly<Record<number, number>> = {
  0x00: 0,
  0x01: 0,
  0x02: 0,
  0x03: 1,
  0x04: 1,
  0x05: 1,
  0x06: 0,
  0x07: 1,
  0x08: 1,
  0x09: 0,
};

/** The canonical options of component-model async: `async` and `callback`. */
const ASYNC_OPTIONS: Readonly<Record<number, string>> = { 0x06: 'async', 0x07: 'callback' };

/**
 * Skips canonical options, recording async ones as used by `definition`; false if one is
 * unknown (the rest of the section is unreadable).
 */
function skipCanonOptions(d: Decoder, r: BinaryReader, definition: string): boolean {
  const n = r.count('canonical options');
  for (let i = 0; i < n; i++) {
    const option = r.byte('canonical option');
    const args = CANON_OPTION_ARGS[option];
    if (args === undefined) return false;
    const async = ASYNC_OPTIONS[option];
    if (async) d.asyncUses.add(`${definition} ${async}`);
    for (let j = 0; j < args; j++) r.u32('canonical option index');
  }
  return true;
}

/**
 * Immediates of the canonical built-ins that define core functions (async, threads):
 * `u` a u32, `b` a byte, `o` canonical options, `r` a result type, `x` the byte 0x7f.
 */
const CANON_BUILTINS: Readonly<Record<number, string>> = {
  0x02: 'u',
  0x03: 'u',
  0x04: 'u',
  0x05: '',
  0x06: 'b',
  0x07: 'u',
  0x08: '',
  0x09: 'ro',
  0x0a: 'xu',
  0x0b: 'xu',
  0x0c: 'b',
  0x0d: '',
  0x0e: 'u',
  0x0f: 'uo',
  0x10: 'uo',
  0x11: 'ub',
  0x12: 'ub',
  0x13: 'u',
  0x14: 'u',
  0x15: 'u',
  0x16: 'uo',
  0x17: 'uo',
  0x18: 'ub',
  0x19: 'ub',
  0x1a: 'u',
  0x1b: 'u',
  0x1c: 'o',
  0x1d: 'o',
  0x1e: '',
  0x1f: '',
  0x20: 'bu',
  0x21: 'bu',
  0x22: '',
  0x23: '',
  0x24: '',
  0x25: '',
  0x26: '',
  0x27: 'uu',
  0x28: '',
  0x29: 'b',
  0x2a: 'b',
  0x2b: 'b',
  0x2c: 'b',
  0x2d: 'b',
  0x40: 'u',
  0x41: 'uu',
  0x42: '',
};

/**
 * The canonical built-ins of component-model async and threads (everything but the resource
 * built-ins 0x02-0x04), by the name `lnano inspect` and `LN_ERR_LOAD_ASYNC_UNSUPPORTED` give them.
 */
const ASYNC_BUILTINS: Readonly<Record<number, string>> = {
  0x05: 'task.cancel',
  0x06: 'subtask.cancel',
  0x07: 'resource.drop async',
  0x08: 'backpressure.set',
  0x09: 'task.return',
  0x0a: 'context.get',
  0x0b: 'context.set',
  0x0c: 'thread.yield',
  0x0d: 'subtask.drop',
  0x0e: 'stream.new',
  0x0f: 'stream.read',
  0x10: 'stream.write',
  0x11: 'stream.cancel-read',
  0x12: 'stream.cancel-write',
  0x13: 'stream.drop-readable',
  0x14: 'stream.drop-writable',
  0x15: 'future.new',
  0x16: 'future.read',
  0x17: 'future.write',
  0x18: 'future.cancel-read',
  0x19: 'future.cancel-write',
  0x1a: 'future.drop-readable',
  0x1b: 'future.drop-writable',
  0x1c: 'error-context.new',
  0x1d: 'error-context.debug-message',
  0x1e: 'error-context.drop',
  0x1f: 'waitable-set.new',
  0x20: 'waitable-set.wait',
  0x21: 'waitable-set.poll',
  0x22: 'waitable-set.drop',
  0x23: 'waitable.join',
  0x24: 'backpressure.inc',
  0x25: 'backpressure.dec',
  0x26: 'thread.index',
  0x27: 'thread.new-indirect',
  0x28: 'thread.resume-later',
  0x29: 'thread.suspend',
  0x2a: 'thread.suspend-then-resume',
  0x2b: 'thread.yield-then-resume',
  0x2c: 'thread.suspend-then-promote',
  0x2d: 'thread.yield-then-promote',
  0x40: 'thread.spawn-ref',
  0x41: 'thread.spawn-indirect',
  0x42: 'thread.available-parallelism',
};

/** `task.return`'s result: `0x00 valtype` or `0x01 0x00` (none). */
function readTaskResult(d: Decoder, r: BinaryReader, s: Scope): void {
  const kind = r.byte('result list');
  if (kind === 0x00) readValType(d, r, s);
  else if (kind !== 0x01 || r.byte('result count') !== 0x00) r.fail('invalid task.return result', r.pos - 1);
}

/** Reads one canonical definition; false if it is unknown (and so is everything after it). */
function readCanon(d: Decoder, r: BinaryReader, s: Scope): boolean {
  const op = r.byte('canonical definition');
  if (op === 0x00 || op === 0x01) {
    if (r.byte('canonical sort') !== 0x00) r.fail('invalid canonical function sort', r.pos - 1);
    const idx = r.u32(op === 0x00 ? 'core func index' : 'func index');
    if (op === 0x01) funcAt(r, s, idx);
    if (!skipCanonOptions(d, r, op === 0x00 ? 'canon lift' : 'canon lower')) return false;
    if (op === 0x01) return true;
    const typeIdx = r.u32('func type index');
    const e = typeAt(r, s, typeIdx);
    if (e.tag !== 'func') r.fail(`canon lift of type ${typeIdx}, which is a ${e.tag} type`);
    s.funcs.push(e.sig);
    return true;
  }
  const immediates = CANON_BUILTINS[op];
  if (immediates === undefined) return false;
  const builtin = ASYNC_BUILTINS[op];
  if (builtin) d.asyncUses.add(`canon ${builtin}`);
  for (const imm of immediates) {
    if (imm === 'u') r.u32('canonical index');
    else if (imm === 'b') r.byte('canonical flag');
    else if (imm === 'x' && r.byte('core value type') !== 0x7f) r.fail('expected i32', r.pos - 1);
    else if (imm === 'o' && !skipCanonOptions(d, r, `canon ${builtin ?? 'built-in'}`)) return false;
    else if (imm === 'r') readTaskResult(d, r, s);
  }
  return true;
}

function readInstance(d: Decoder, r: BinaryReader, s: Scope): Externs {
  const kind = r.byte('instance kind');
  if (kind === 0x00) {
    const component = at(r, s.components, r.u32('component index'), 'component');
    const n = r.count('instantiation arguments', 3);
    for (let i = 0; i < n; i++) {
      r.name('argument name');
      readSortIdx(r, s);
    }
    // Arguments are not substituted into the exports' types: WIT-generated components export
    // every type their functions use, so names and structure are already right.
    return component.exports;
  }
  if (kind !== 0x01) r.fail(`invalid instance kind 0x${kind.toString(16)}`, r.pos - 1);
  const exports: Externs = new Map();
  const n = r.count('instance exports', 4);
  for (let i = 0; i < n; i++) {
    const start = r.pos;
    const name = readExternName(r, 'export');
    const ext = readSortIdx(r, s) ?? r.fail(`export ${q(name)} is a core item other than a module`, start);
    if (exports.has(name)) r.fail(`duplicate export name ${q(name)}`, start);
    exports.set(name, ext.sort === 'type' ? { sort: 'type', entry: namedEntry(d, ext.entry, name) } : ext);
  }
  return exports;
}

function readExport(d: Decoder, r: BinaryReader, s: Scope): void {
  const start = r.pos;
  const name = readExternName(r, 'export');
  const actual = readSortIdx(r, s) ?? r.fail(`export ${q(name)} is a core item other than a module`, start);
  const ascribed = readOptional(r, 'export type', () => readExternDesc(d, r, s, name));
  if (ascribed && ascribed.sort !== actual.sort) r.fail(`export ${q(name)} is a ${actual.sort}, ascribed a ${ascribed.sort}`, start);
  // A resource ascribed `(sub resource)` stays the actual one: its handles already point at it.
  const keepResource = ascribed?.sort === 'type' && ascribed.entry.tag === 'resource' && actual.sort === 'type' && actual.entry.tag === 'resource';
  if (s.exports.has(name)) r.fail(`duplicate export name ${q(name)}`, start);
  s.exports.set(name, addEntity(d, s, name, ascribed && !keepResource ? ascribed : actual));
}

function readSection(d: Decoder, r: BinaryReader, s: Scope, id: number): void {
  const each = (what: string, read: () => void): void => {
    const n = r.count(what);
    for (let i = 0; i < n; i++) read();
  };
  switch (id) {
    case 0:
    case 1:
    case 2:
    case 3:
      return r.skip(r.remaining, 'section'); // custom and core
    case 4:
      s.components.push(readComponent(d, r, nested(r, s)));
      return;
    case 5:
      return each('instances', () => {
        s.instances.push(readInstance(d, r, s));
      });
    case 6:
      return each('aliases', () => readAlias(d, r, s));
    case 7:
      return each('types', () => {
        s.types.push(readDefType(d, r, s));
      });
    case 8: {
      const n = r.count('canonical definitions');
      for (let i = 0; i < n; i++) {
        if (!readCanon(d, r, s)) {
          s.funcsUnknownFrom = Math.min(s.funcsUnknownFrom, s.funcs.length);
          return r.skip(r.remaining, 'rest of the canon section');
        }
      }
      return;
    }
    case 9:
      r.u32('start function');
      each('start arguments', () => r.u32('value index'));
      r.u32('start results');
      return;
    case 10:
      return each('imports', () => declare(d, r, s, s.imports, readExternName(r, 'import')));
    case 11:
      return each('exports', () => readExport(d, r, s));
    case 12:
      return each('values', () => {
        readValType(d, r, s);
        r.skip(r.u32('value length'), 'value');
      });
    default:
      return r.fail(`unknown section id ${id}`, r.pos - 1);
  }
}

function readComponent(d: Decoder, r: BinaryReader, s: Scope): ComponentSig {
  const preamble = r.take(Math.min(8, r.remaining), 'preamble');
  const expected = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
  if (preamble.length < 8 || expected.some((b, i) => preamble[i] !== b)) {
    r.fail('bad preamble (expected \\0asm, version 0x0d, layer 1)', r.pos - preamble.length);
  }
  while (!r.atEnd) {
    const start = r.pos;
    const id = r.byte('section id');
    const label = `section ${id} (${SECTION_NAMES[id] ?? 'unknown'}) at offset ${start}`;
    const size = r.u32(`size of ${label}`);
    if (id > 12) r.fail(`unknown section id ${id}`, start);
    const body = r.sub(size, label);
    readSection(d, body, s, id);
    body.expectEnd('the section');
  }
  return { imports: s.imports, exports: s.exports };
}

/** World items of an instance's exports, built once per instance type however often it is used. */
type InterfaceCache = Map<Externs, { functions: WitFunction[]; types: WitTypeExport[] }>;

function typeOf(name: string, e: TypeEntry): WitTypeExport['type'] {
  if (e.tag === 'value') return e.type;
  if (e.tag === 'resource') return { kind: 'resource', name };
  return { kind: 'unknown', description: `${e.tag} type` };
}

function worldItem(name: string, ext: Extern, interfaces: InterfaceCache): WorldItem {
  switch (ext.sort) {
    case 'instance': {
      let iface = interfaces.get(ext.exports);
      if (!iface) {
        iface = { functions: [], types: [] };
        for (const [n, e] of ext.exports) {
          if (e.sort === 'func') iface.functions.push({ name: n, ...e.sig });
          else if (e.sort === 'type') iface.types.push({ name: n, type: typeOf(n, e.entry) });
        }
        interfaces.set(ext.exports, iface);
      }
      return { kind: 'interface', name, functions: iface.functions, types: iface.types };
    }
    case 'func':
      return { kind: 'function', name, func: { name, ...ext.sig } };
    case 'type':
      return { kind: 'type', name, type: typeOf(name, ext.entry) };
    case 'component':
      return { kind: 'other', name, description: 'component' };
    case 'module':
      return { kind: 'other', name, description: 'core module' };
    case 'value':
      return { kind: 'other', name, description: 'value' };
  }
}

/** Limits of one decode. */
export interface DecodeOptions {
  /**
   * The most items (the sum of every vector length: fields, cases, parameters, declarations,
   * aliases, canonical definitions, imports, exports) one component may declare; past it the
   * decode stops with `LN_ERR_LOAD_TOO_COMPLEX` (limit `items`). Default `DECODE_DEFAULTS.maxItems`.
   */
  readonly maxItems?: number;
}

/**
 * Default decode limits. 20 000 items: the components built here declare at most 804 (net-probe,
 * a wasi-libc guest with sockets; componentize-js guests about 110-190), while jco's transpile
 * time grows faster than linearly in them (50 000 exports, 150 001 items: 95 s and 1 GB).
 */
export const DECODE_DEFAULTS = Object.freeze({ maxItems: 20_000 });

/** What a decode finds: the shape, and the component-model async features the component uses. */
export interface DecodedComponent {
  readonly shape: ComponentShape;
  /**
   * Component-model async (WASI 0.3) and thread features used anywhere in the component, by name
   * (`async function type`, `canon lift async`, `canon task.return`, `stream type`, ...), in the
   * order first met; empty for a WASI 0.2 component.
   */
  readonly asyncUses: readonly string[];
}

/**
 * Decodes the imports and exports of a component binary, with their full WIT types, and notes
 * the component-model async features it uses (this host runs none of them).
 *
 * Functions of interfaces (instances) are listed under the names the component gives them,
 * including resource methods such as `[method]output-stream.write`. Types carry the names
 * under which the component exports them (`record event`, `own<output-stream>`).
 *
 * Safe on hostile input: every count and length is checked against the bytes left, nesting
 * and type sizes are capped, the items declared are capped (`maxItems`), and decoding is linear
 * in the input size.
 *
 * @param bytes - a whole component binary, preamble included
 * @throws LnError `LN_ERR_LOAD_INVALID` (subject `<component>`) if the binary is malformed or
 *   truncated, the reason naming the section and the offset; `LN_ERR_LOAD_TOO_COMPLEX` past
 *   `maxItems`. Nothing else is thrown.
 * @example
 * const { shape, asyncUses } = decodeComponent(readFileSync('plugin.wasm'));
 */
export function decodeComponent(bytes: Uint8Array, options: DecodeOptions = {}): DecodedComponent {
  try {
    const d = new Decoder();
    const reader = new BinaryReader(bytes, SUBJECT, 'component');
    reader.budget = { used: 0, max: options.maxItems ?? DECODE_DEFAULTS.maxItems } satisfies ItemBudget;
    const sig = readComponent(d, reader, new Scope(null, 0));
    d.finish();
    const cache: InterfaceCache = new Map();
    const shape = {
      imports: [...sig.imports].map(([name, ext]) => worldItem(name, ext, cache)),
      exports: [...sig.exports].map(([name, ext]) => worldItem(name, ext, cache)),
    };
    return { shape, asyncUses: [...d.asyncUses] };
  } catch (err) {
    if (isLnError(err)) throw err;
    // Defence in depth: a decoder bug must still surface as a load error, never a crash.
    const reason = `decoder failure: ${err instanceof Error ? err.message : String(err)}`;
    throw new LnError('LN_ERR_LOAD_INVALID', { subject: SUBJECT, reason }, { cause: err });
  }
}

/**
 * Decodes the imports and exports of a component binary, with their full WIT types (see
 * `decodeComponent`, which also reports the async features used).
 *
 * @returns the component's top-level imports and exports, in binary order
 * @throws LnError `LN_ERR_LOAD_INVALID` or `LN_ERR_LOAD_TOO_COMPLEX`, like `decodeComponent`
 * @example
 * const shape = readComponentShape(readFileSync('plugin.wasm'));
 * for (const item of shape.exports) print(item.kind, item.name);
 */
export function readComponentShape(bytes: Uint8Array, options: DecodeOptions = {}): ComponentShape {
  return decodeComponent(bytes, options).shape;
}
