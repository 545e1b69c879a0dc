import type { WitFunction, WitType } from './wit-types.js';

/** WIT keywords: a name spelled like one is written with a `%` prefix (`%type`). */
const KEYWORDS = new Set([
  'as',
  'async',
  'bool',
  'borrow',
  'char',
  'constructor',
  'enum',
  'error-context',
  'export',
  'f32',
  'f64',
  'flags',
  'from',
  'func',
  'future',
  'import',
  'include',
  'interface',
  'list',
  'option',
  'own',
  'package',
  'record',
  'resource',
  'result',
  'static',
  's8',
  's16',
  's32',
  's64',
  'stream',
  'string',
  'tuple',
  'type',
  'u8',
  'u16',
  'u32',
  'u64',
  'use',
  'variant',
  'with',
  'world',
]);

/** Formatting options. */
export interface WitFormatOptions {
  /** Stop after about this many characters and end with `…` (default: no limit). */
  readonly maxLength?: number;
}

class Budget extends Error {}

/** A WIT identifier as written in WIT source: keywords get a `%` prefix. */
export function formatWitName(name: string): string {
  return KEYWORDS.has(name) ? `%${name}` : name;
}

class Writer {
  private readonly parts: string[] = [];
  private length = 0;
  constructor(private readonly max: number) {}

  put(s: string): void {
    this.parts.push(s);
    this.length += s.length;
    if (this.length > this.max) throw new Budget();
  }

  text(): string {
    return this.parts.join('');
  }

  truncated(): string {
    return `${this.text().slice(0, this.max)}…`;
  }
}

function list<T>(w: Writer, items: readonly T[], each: (item: T) => void): void {
  items.forEach((item, i) => {
    if (i > 0) w.put(', ');
    each(item);
  });
}

function write(w: Writer, t: WitType): void {
  switch (t.kind) {
    case 'primitive':
      return w.put(t.name);
    case 'list':
      w.put('list<');
      write(w, t.element);
      return w.put(t.length === undefined ? '>' : `, ${t.length}>`);
    case 'option':
      w.put('option<');
      write(w, t.inner);
      return w.put('>');
    case 'result':
      if (!t.ok && !t.err) return w.put('result');
      w.put('result<');
      if (t.ok) write(w, t.ok);
      else w.put('_');
      if (t.err) {
        w.put(', ');
        write(w, t.err);
      }
      return w.put('>');
    case 'tuple':
      w.put('tuple<');
      list(w, t.items, (item) => write(w, item));
      return w.put('>');
    case 'record':
      if (t.name !== null) return w.put(formatWitName(t.name));
      w.put('record { ');
      list(w, t.fields, (f) => {
        w.put(`${formatWitName(f.name)}: `);
        write(w, f.type);
      });
      return w.put(' }');
    case 'variant':
      if (t.name !== null) return w.put(formatWitName(t.name));
      w.put('variant { ');
      list(w, t.cases, (c) => {
        w.put(formatWitName(c.name));
        if (c.type) {
          w.put('(');
          write(w, c.type);
          w.put(')');
        }
      });
      return w.put(' }');
    case 'enum':
      return w.put(t.name ?? `enum { ${t.cases.map(formatWitName).join(', ')} }`);
    case 'flags':
      return w.put(t.name ?? `flags { ${t.flags.map(formatWitName).join(', ')} }`);
    case 'own':
      return w.put(formatWitName(t.resource));
    case 'borrow':
      return w.put(`borrow<${formatWitName(t.resource)}>`);
    case 'unknown':
      return w.put(t.description);
  }
}

function run(options: WitFormatOptions | undefined, body: (w: Writer) => void): string {
  const w = new Writer(options?.maxLength ?? Infinity);
  try {
    body(w);
    return w.text();
  } catch (err) {
    if (err instanceof Budget) return w.truncated();
    throw err;
  }
}

/**
 * A type in WIT syntax. Named types (records, variants, enums, flags, resources) are written by
 * name; anonymous ones are spelled out. An owned handle is written as its resource's name,
 * a borrowed one as `borrow<name>`.
 *
 * @example
 * formatWitType({ kind: 'list', element: { kind: 'primitive', name: 'u8' } }) // 'list<u8>'
 */
export function formatWitType(t: WitType, options?: WitFormatOptions): string {
  return run(options, (w) => write(w, t));
}

/**
 * A function's signature in WIT syntax, without its name.
 *
 * @example
 * formatWitFunction(add) // 'func(a: u32, b: u32) -> u32'
 */
export function formatWitFunction(f: WitFunction, options?: WitFormatOptions): string {
  return run(options, (w) => {
    w.put(f.async ? 'async func(' : 'func(');
    list(w, f.params, (p) => {
      w.put(`${formatWitName(p.name)}: `);
      write(w, p.type);
    });
    w.put(')');
    if (f.result) {
      w.put(' -> ');
      write(w, f.result);
    }
  });
}
