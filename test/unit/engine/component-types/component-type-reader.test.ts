import { readFileSync } from 'node:fs';
import { componentEmbed, componentNew, componentWit, parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { beforeAll, describe, expect, it } from 'vitest';
import { readComponentShape } from '../../../../host/engine/component-types/component-type-reader.js';
import { formatWitFunction } from '../../../../host/engine/component-types/wit-format.js';
import type { ComponentShape, WitFunction, WitType, WorldItem } from '../../../../host/engine/component-types/wit-types.js';
import { isLnError } from '../../../../host/errors/ln-error.js';

// ---- type builders, so expectations read like WIT ----
const p = (name: 'bool' | 'u32' | 'u64' | 's64' | 'f64' | 'char' | 'string' | 'u8' | 's32'): WitType => ({ kind: 'primitive', name });
const string = p('string');
const list = (element: WitType): WitType => ({ kind: 'list', element });
const option = (inner: WitType): WitType => ({ kind: 'option', inner });
const result = (ok: WitType | null, err: WitType | null): WitType => ({ kind: 'result', ok, err });
const tuple = (...items: WitType[]): WitType => ({ kind: 'tuple', items });
const own = (resource: string): WitType => ({ kind: 'own', resource });
const borrow = (resource: string): WitType => ({ kind: 'borrow', resource });

const pair = tuple(string, string);
const event: WitType = {
  kind: 'record',
  name: 'event',
  fields: [
    { name: 'id', type: string },
    { name: 'type', type: string },
    { name: 'source', type: string },
    { name: 'time', type: option(string) },
    { name: 'datacontenttype', type: option(string) },
    { name: 'data', type: list(p('u8')) },
    { name: 'extensions', type: list(pair) },
  ],
};
const handlerError: WitType = {
  kind: 'variant',
  name: 'error',
  cases: [
    { name: 'invalid-event', type: string },
    { name: 'unsupported', type: string },
    { name: 'unavailable', type: string },
    { name: 'failed', type: string },
  ],
};

function item(items: readonly WorldItem[], name: string): WorldItem {
  const found = items.find((i) => i.name === name);
  if (!found) throw new Error(`no item "${name}" among ${items.map((i) => i.name).join(', ')}`);
  return found;
}

function iface(items: readonly WorldItem[], name: string): Extract<WorldItem, { kind: 'interface' }> {
  const found = item(items, name);
  if (found.kind !== 'interface') throw new Error(`"${name}" is a ${found.kind}`);
  return found;
}

function fn(items: readonly WorldItem[], ifaceName: string, name: string): WitFunction {
  const found = iface(items, ifaceName).functions.find((f) => f.name === name);
  if (!found) throw new Error(`no function "${name}" in ${ifaceName}`);
  return found;
}

/** Parses WAT and checks wit-component can decode (and so validate) it, like a real component. */
async function component(wat: string): Promise<Uint8Array> {
  const bytes = await parse(wat);
  await componentWit(bytes);
  return bytes;
}

/** The error a decode throws, or null when it succeeds. */
function decodeError(bytes: Uint8Array): unknown {
  try {
    readComponentShape(bytes);
    return null;
  } catch (err) {
    return err;
  }
}

function expectInvalid(bytes: Uint8Array, reason?: RegExp): void {
  const err = decodeError(bytes);
  expect(isLnError(err), `expected LN_ERR_LOAD_INVALID, got ${String(err)}`).toBe(true);
  if (!isLnError(err)) return;
  expect(err.code).toBe('LN_ERR_LOAD_INVALID');
  expect(err.details.subject).toBe('<component>');
  if (reason) expect(String(err.details.reason)).toMatch(reason);
}

/** Offsets where a section ends: cutting there leaves a shorter but well-formed component. */
function sectionEnds(bytes: Uint8Array): Set<number> {
  const ends = new Set([8]);
  let pos = 8;
  while (pos < bytes.length) {
    pos++;
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[pos++]!;
      size += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) break;
    }
    pos += size;
    ends.add(pos);
  }
  return ends;
}

const PREAMBLE = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** A type index as a value type: a non-negative s33. */
function typeIdx(i: number): number[] {
  return i < 64 ? [i] : [0x80 | (i & 0x7f), i >> 7];
}

/** A component from raw sections: `[id, contentBytes]`. */
function raw(...sections: [number, number[]][]): Uint8Array {
  return Uint8Array.from([...PREAMBLE, ...sections.flatMap(([id, body]) => [id, ...leb(body.length), ...body])]);
}

/** mulberry32: a tiny seeded PRNG, so fuzz failures reproduce. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('readComponentShape on the plugin WIT (dummy component of world stateful-plugin)', () => {
  let shape: ComponentShape;
  beforeAll(async () => {
    const core = await componentEmbed({
      dummy: true,
      witSource: readFileSync('wit/plugin.wit', 'utf8'),
      world: 'stateful-plugin',
    });
    shape = readComponentShape(await componentNew(core, []));
  });

  it('lists the imports and exports in binary order', () => {
    expect(shape.imports.map((i) => `${i.kind} ${i.name}`)).toEqual([
      'interface liquid-nano:plugin/types@0.1.0',
      'interface liquid-nano:plugin/log@0.1.0',
      'interface liquid-nano:plugin/config@0.1.0',
      'interface liquid-nano:plugin/kv@0.1.0',
      'interface liquid-nano:plugin/metrics@0.1.0',
      'interface liquid-nano:plugin/events@0.1.0',
    ]);
    expect(shape.exports.map((i) => `${i.kind} ${i.name}`)).toEqual([
      'interface liquid-nano:plugin/state@0.1.0',
      'interface liquid-nano:plugin/lifecycle@0.1.0',
      'interface liquid-nano:plugin/handler@0.1.0',
    ]);
  });

  it('types handler.handle fully, with the names of event and error', () => {
    const handle = fn(shape.exports, 'liquid-nano:plugin/handler@0.1.0', 'handle');
    expect(handle).toEqual({
      name: 'handle',
      params: [{ name: 'event', type: event }],
      result: result(list(event), handlerError),
    });
    expect(formatWitFunction(handle)).toBe('func(event: event) -> result<list<event>, error>');
    expect(iface(shape.exports, 'liquid-nano:plugin/handler@0.1.0').types).toEqual([
      { name: 'event', type: event },
      { name: 'error', type: handlerError },
    ]);
  });

  it('types the exported lifecycle and state functions', () => {
    const lifecycle = 'liquid-nano:plugin/lifecycle@0.1.0';
    expect(fn(shape.exports, lifecycle, 'init')).toEqual({
      name: 'init',
      params: [{ name: 'config', type: list(pair) }],
      result: result(null, string),
    });
    expect(fn(shape.exports, lifecycle, 'teardown')).toEqual({ name: 'teardown', params: [], result: null });
    const state = iface(shape.exports, 'liquid-nano:plugin/state@0.1.0');
    expect(state.functions.map((f) => `${f.name}: ${formatWitFunction(f)}`)).toEqual([
      'snapshot: func() -> list<u8>',
      'restore: func(state: list<u8>) -> result<_, string>',
    ]);
  });

  it('types the log import with its level enum', () => {
    const log = iface(shape.imports, 'liquid-nano:plugin/log@0.1.0');
    const level: WitType = { kind: 'enum', name: 'level', cases: ['trace', 'debug', 'info', 'warn', 'error'] };
    expect(log.types).toEqual([
      { name: 'level', type: level },
      { name: 'pair', type: pair },
    ]);
    expect(log.functions).toEqual([
      {
        name: 'log',
        params: [
          { name: 'level', type: level },
          { name: 'message', type: string },
          { name: 'fields', type: list(pair) },
        ],
        result: null,
      },
    ]);
  });

  it('types the kv import with its error variant, including the case without payload', () => {
    const kvError: WitType = {
      kind: 'variant',
      name: 'error',
      cases: [
        { name: 'denied', type: null },
        { name: 'quota-exceeded', type: string },
        { name: 'too-large', type: string },
        { name: 'internal', type: string },
      ],
    };
    const kv = 'liquid-nano:plugin/kv@0.1.0';
    expect(iface(shape.imports, kv).types).toEqual([{ name: 'error', type: kvError }]);
    expect(fn(shape.imports, kv, 'get').result).toEqual(result(option(list(p('u8'))), kvError));
    expect(fn(shape.imports, kv, 'set')).toEqual({
      name: 'set',
      params: [
        { name: 'key', type: string },
        { name: 'value', type: list(p('u8')) },
      ],
      result: result(null, kvError),
    });
    expect(fn(shape.imports, kv, 'list-keys').params).toEqual([
      { name: 'prefix', type: string },
      { name: 'limit', type: p('u32') },
    ]);
  });

  it('types imports that use types of another interface (events.emit)', () => {
    expect(fn(shape.imports, 'liquid-nano:plugin/events@0.1.0', 'emit')).toEqual({
      name: 'emit',
      params: [{ name: 'event', type: event }],
      result: result(null, string),
    });
    expect(iface(shape.imports, 'liquid-nano:plugin/types@0.1.0').types.map((t) => t.name)).toEqual(['pair', 'event', 'error']);
  });
});

describe('readComponentShape on world-level function exports (canon lift)', () => {
  const point: WitType = {
    kind: 'record',
    name: 'point',
    fields: [
      { name: 'x', type: p('s32') },
      { name: 'y', type: p('s32') },
    ],
  };
  const shapeType: WitType = {
    kind: 'variant',
    name: 'shape',
    cases: [
      { name: 'circle', type: p('f64') },
      { name: 'square', type: p('f64') },
      { name: 'none', type: null },
    ],
  };
  const color: WitType = { kind: 'enum', name: 'color', cases: ['red', 'green', 'blue'] };
  const perms: WitType = { kind: 'flags', name: 'perms', flags: ['read', 'write', 'exec'] };
  let shape: ComponentShape;

  beforeAll(async () => {
    shape = readComponentShape(
      await component(`(component
      (core module $m
        (memory (export "memory") 1)
        (func (export "realloc") (param i32 i32 i32 i32) (result i32) unreachable)
        (func (export "i-i") (param i32) (result i32) unreachable)
        (func (export "ii-i") (param i32 i32) (result i32) unreachable)
        (func (export "iii-i") (param i32 i32 i32) (result i32) unreachable)
        (func (export "mix") (param i64 i64 f64 i32 i32) (result f64) unreachable)
        (func (export "ii-l") (param i32 i32) (result i64) unreachable)
        (func (export "if-i") (param i32 f64) (result i32) unreachable)
        (func (export "nothing")))
      (core instance $i (instantiate $m))
      (alias core export $i "memory" (core memory $mem))
      (alias core export $i "realloc" (core func $realloc))

      (type $point-def (record (field "x" s32) (field "y" s32)))
      (import "point" (type $point (eq $point-def)))
      (type $shape-def (variant (case "circle" f64) (case "square" f64) (case "none")))
      (import "shape" (type $shape (eq $shape-def)))
      (type $color-def (enum "red" "green" "blue"))
      (import "color" (type $color (eq $color-def)))
      (type $perms-def (flags "read" "write" "exec"))
      (import "perms" (type $perms (eq $perms-def)))

      (func (export "add") (param "a" u32) (param "b" u32) (result u32)
        (canon lift (core func $i "ii-i")))
      (func (export "mix") (param "a" u64) (param "b" s64) (param "c" f64) (param "d" bool) (param "e" char)
        (result f64) (canon lift (core func $i "mix")))
      (func (export "greet") (param "name" string) (result string)
        (canon lift (core func $i "ii-i") (memory $mem) (realloc $realloc)))
      (func (export "sum") (param "xs" (list u32)) (result u64)
        (canon lift (core func $i "ii-l") (memory $mem) (realloc $realloc)))
      (func (export "flip") (param "p" $point) (result $point)
        (canon lift (core func $i "ii-i") (memory $mem)))
      (func (export "describe") (param "s" $shape) (result (option u32))
        (canon lift (core func $i "if-i") (memory $mem)))
      (func (export "safe-div") (param "a" u32) (param "b" u32) (result (result u32 (error string)))
        (canon lift (core func $i "ii-i") (memory $mem)))
      (func (export "swap") (param "t" (tuple u32 string)) (result (tuple string u32))
        (canon lift (core func $i "iii-i") (memory $mem) (realloc $realloc)))
      (func (export "count-perms") (param "p" $perms) (result u32)
        (canon lift (core func $i "i-i")))
      (func (export "next-color") (param "c" $color) (result $color)
        (canon lift (core func $i "i-i")))
      (func (export "maybe") (param "x" (option string)) (result (result))
        (canon lift (core func $i "iii-i") (memory $mem) (realloc $realloc)))
      (func (export "nothing") (canon lift (core func $i "nothing")))
    )`),
    );
  });

  const world = (name: string): WitFunction => {
    const found = item(shape.exports, name);
    if (found.kind !== 'function') throw new Error(`"${name}" is a ${found.kind}`);
    return found.func;
  };

  it('imports the named types as world-level types', () => {
    expect(shape.exports.every((i) => i.kind === 'function')).toBe(true);
    expect(shape.imports).toEqual([
      { kind: 'type', name: 'point', type: point },
      { kind: 'type', name: 'shape', type: shapeType },
      { kind: 'type', name: 'color', type: color },
      { kind: 'type', name: 'perms', type: perms },
    ]);
  });

  it('types primitive parameters and results', () => {
    expect(world('add')).toEqual({
      name: 'add',
      params: [
        { name: 'a', type: p('u32') },
        { name: 'b', type: p('u32') },
      ],
      result: p('u32'),
    });
    expect(formatWitFunction(world('add'))).toBe('func(a: u32, b: u32) -> u32');
    expect(formatWitFunction(world('mix'))).toBe('func(a: u64, b: s64, c: f64, d: bool, e: char) -> f64');
    expect(world('greet').params[0]!.type).toEqual(string);
    expect(world('sum').params[0]!.type).toEqual(list(p('u32')));
    expect(world('nothing')).toEqual({ name: 'nothing', params: [], result: null });
  });

  it('types records, variants, enums and flags by their exported names', () => {
    expect(world('flip')).toEqual({ name: 'flip', params: [{ name: 'p', type: point }], result: point });
    expect(world('describe')).toEqual({
      name: 'describe',
      params: [{ name: 's', type: shapeType }],
      result: option(p('u32')),
    });
    expect(world('count-perms').params[0]!.type).toEqual(perms);
    expect(formatWitFunction(world('next-color'))).toBe('func(c: color) -> color');
  });

  it('types results, tuples and options', () => {
    expect(world('safe-div').result).toEqual(result(p('u32'), string));
    expect(world('swap')).toEqual({
      name: 'swap',
      params: [{ name: 't', type: tuple(p('u32'), string) }],
      result: tuple(string, p('u32')),
    });
    expect(formatWitFunction(world('maybe'))).toBe('func(x: option<string>) -> result');
  });
});

describe('readComponentShape on resources (wasi:io/streams, wasi:cli/stdout)', () => {
  let shape: ComponentShape;
  beforeAll(async () => {
    shape = readComponentShape(
      await component(`(component
      (import "wasi:io/error@0.2.0" (instance $error
        (export "error" (type (sub resource)))))
      (alias export $error "error" (type $io-error))
      (import "wasi:io/streams@0.2.0" (instance $streams
        (alias outer 1 $io-error (type $e0))
        (export "error" (type $err (eq $e0)))
        (export "output-stream" (type $os (sub resource)))
        (type $own-err (own $err))
        (type $stream-error-def (variant (case "last-operation-failed" $own-err) (case "closed")))
        (export "stream-error" (type $stream-error (eq $stream-error-def)))
        (type $borrow-os (borrow $os))
        (type $bytes (list u8))
        (type $write-result (result (error $stream-error)))
        (type $write (func (param "self" $borrow-os) (param "contents" $bytes) (result $write-result)))
        (export "[method]output-stream.blocking-write-and-flush" (func (type $write)))
        (type $check-result (result u64 (error $stream-error)))
        (type $check (func (param "self" $borrow-os) (result $check-result)))
        (export "[method]output-stream.check-write" (func (type $check)))))
      (alias export $streams "output-stream" (type $output-stream))
      (import "wasi:cli/stdout@0.2.0" (instance
        (alias outer 1 $output-stream (type $os0))
        (export "output-stream" (type $os (eq $os0)))
        (type $own-os (own $os))
        (type $get (func (result $own-os)))
        (export "get-stdout" (func (type $get)))))
    )`),
    );
  });

  it('names borrowed and owned handles after their resources', () => {
    const streams = 'wasi:io/streams@0.2.0';
    const streamError: WitType = {
      kind: 'variant',
      name: 'stream-error',
      cases: [
        { name: 'last-operation-failed', type: own('error') },
        { name: 'closed', type: null },
      ],
    };
    expect(fn(shape.imports, streams, '[method]output-stream.blocking-write-and-flush')).toEqual({
      name: '[method]output-stream.blocking-write-and-flush',
      params: [
        { name: 'self', type: borrow('output-stream') },
        { name: 'contents', type: list(p('u8')) },
      ],
      result: result(null, streamError),
    });
    expect(formatWitFunction(fn(shape.imports, streams, '[method]output-stream.check-write'))).toBe(
      'func(self: borrow<output-stream>) -> result<u64, stream-error>',
    );
    expect(iface(shape.imports, streams).types).toEqual([
      { name: 'error', type: { kind: 'resource', name: 'error' } },
      { name: 'output-stream', type: { kind: 'resource', name: 'output-stream' } },
      { name: 'stream-error', type: streamError },
    ]);
    expect(fn(shape.imports, 'wasi:cli/stdout@0.2.0', 'get-stdout')).toEqual({ name: 'get-stdout', params: [], result: own('output-stream') });
  });

  it('types resources a component defines and exports through a shim component', async () => {
    const wit = `package test:res@0.1.0;
      interface host-counters {
        resource counter { constructor(start: u32); get: func() -> u32; }
      }
      interface counters {
        use host-counters.{counter as host-counter};
        resource counter {
          constructor(start: u32);
          increment: func(by: u32) -> u32;
          merge: static func(a: borrow<counter>, b: borrow<counter>) -> counter;
          wrap: func(h: host-counter) -> u32;
        }
      }
      world w { import host-counters; export counters; }`;
    const core = await componentEmbed({ dummy: true, witSource: wit, world: 'w' });
    const res = readComponentShape(await componentNew(core, []));
    const counters = iface(res.exports, 'test:res/counters@0.1.0');
    expect(counters.types).toEqual([
      { name: 'host-counter', type: { kind: 'resource', name: 'host-counter' } },
      { name: 'counter', type: { kind: 'resource', name: 'counter' } },
    ]);
    expect(counters.functions.map((f) => `${f.name}: ${formatWitFunction(f)}`)).toEqual([
      '[constructor]counter: func(start: u32) -> counter',
      '[method]counter.increment: func(self: borrow<counter>, by: u32) -> u32',
      '[static]counter.merge: func(a: borrow<counter>, b: borrow<counter>) -> counter',
      '[method]counter.wrap: func(self: borrow<counter>, h: host-counter) -> u32',
    ]);
    expect(fn(res.imports, 'test:res/host-counters@0.1.0', '[method]counter.get').params).toEqual([{ name: 'self', type: borrow('counter') }]);
  });

  it("types a resource a component defines, through the export's ascribed type", async () => {
    // Valid, but wit-component cannot print world-level type exports, so no componentWit check.
    const res = readComponentShape(
      await parse(`(component
      (core module $m (func (export "new") (param i32) (result i32) unreachable))
      (core instance $i (instantiate $m))
      (type $r (resource (rep i32)))
      (type $own-r (own $r))
      (export $thing "thing" (type $r))
      (func $new (param "n" u32) (result $own-r) (canon lift (core func $i "new")))
      (export "[constructor]thing" (func $new) (func (param "n" u32) (result (own $thing)))))`),
    );
    expect(res.exports).toEqual([
      { kind: 'type', name: 'thing', type: { kind: 'resource', name: 'thing' } },
      { kind: 'function', name: '[constructor]thing', func: { name: '[constructor]thing', params: [{ name: 'n', type: p('u32') }], result: own('thing') } },
    ]);
  });

  it('still names a handle made before its resource is exported (no ascription, not validated)', async () => {
    const res = readComponentShape(
      await parse(`(component
      (type $r (resource (rep i32)))
      (type $own-r (own $r))
      (export "thing" (type $r))
      (import "make" (func (result $own-r))))`),
    );
    expect(item(res.imports, 'make')).toEqual({
      kind: 'function',
      name: 'make',
      func: { name: 'make', params: [], result: own('thing') },
    });
  });
});

describe('readComponentShape on newer and rarer encodings', () => {
  it('reports async types (stream, future, error-context) and maps as unknown', async () => {
    const res = readComponentShape(
      await parse(`(component
      (import "f" (func async (param "s" (stream u8)) (param "g" (future)) (param "e" error-context)
        (param "m" (map string u32)) (param "fixed" (list u8 4)))))`),
    );
    expect(res.imports).toEqual([
      {
        kind: 'function',
        name: 'f',
        func: {
          name: 'f',
          async: true,
          result: null,
          params: [
            { name: 's', type: { kind: 'unknown', description: 'stream<u8>' } },
            { name: 'g', type: { kind: 'unknown', description: 'future' } },
            { name: 'e', type: { kind: 'unknown', description: 'error-context' } },
            { name: 'm', type: { kind: 'unknown', description: 'map<string, u32>' } },
            { name: 'fixed', type: { kind: 'list', element: p('u8'), length: 4 } },
          ],
        },
      },
    ]);
  });

  it('reads instances built from exports, nested components and ascribed export types', async () => {
    const res = readComponentShape(
      await parse(`(component
      (import "f" (func $f (param "x" u32)))
      (component $c
        (import "g" (func $g (param "x" u32)))
        (type $r-def (record (field "a" u8)))
        (export $r "rec" (type $r-def))
        (export "g2" (func $g)))
      (instance $inst (instantiate $c (with "g" (func $f))))
      (alias export $inst "rec" (type $rec))
      (instance $bag (export "h" (func $f)) (export "renamed" (type $rec)))
      (export "bag" (instance $bag))
      (export "nested" (instance $inst))
      (export "ascribed" (func $f) (func (param "x" u32)))
      (export "comp" (component $c)))`),
    );
    const rec: WitType = { kind: 'record', name: 'rec', fields: [{ name: 'a', type: p('u8') }] };
    expect(res.exports).toEqual([
      {
        kind: 'interface',
        name: 'bag',
        types: [{ name: 'renamed', type: { ...rec, name: 'renamed' } }],
        functions: [{ name: 'h', params: [{ name: 'x', type: p('u32') }], result: null }],
      },
      {
        kind: 'interface',
        name: 'nested',
        types: [{ name: 'rec', type: rec }],
        functions: [{ name: 'g2', params: [{ name: 'x', type: p('u32') }], result: null }],
      },
      { kind: 'function', name: 'ascribed', func: { name: 'ascribed', params: [{ name: 'x', type: p('u32') }], result: null } },
      { kind: 'other', name: 'comp', description: 'component' },
    ]);
  });

  it('skips async canonical built-ins and core types inside component types', async () => {
    const res = readComponentShape(
      await parse(`(component
      (type (component (core type (module (import "a" "b" (func (param i32))) (export "m" (memory 1))))))
      (core module $m (func (export "f") (param i32)) (func (export "g")))
      (core instance $i (instantiate $m))
      (type $s (stream u8))
      (core func (canon stream.new $s))
      (core func (canon task.return (result u32)))
      (core func (canon waitable-set.new))
      (func (export "run") (param "x" u32) (canon lift (core func $i "f")))
      (core func (canon context.get i32 0))
      (func (export "go") (canon lift (core func $i "g") async)))`),
    );
    expect(res.exports.map((e) => e.kind === 'function' && formatWitFunction(e.func))).toEqual(['func(x: u32)', 'func()']);
  });
});

describe('readComponentShape on malformed and hostile input', () => {
  it('accepts an empty component and rejects bad preambles', () => {
    expect(readComponentShape(Uint8Array.from(PREAMBLE))).toEqual({ imports: [], exports: [] });
    expectInvalid(Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]), /bad preamble/);
    expectInvalid(new Uint8Array(0), /bad preamble/);
  });

  it('names the section and offset of what is wrong', () => {
    expectInvalid(raw([7, [0x01, 0x50]]), /section 7 \(type\) at offset 8: unknown type opcode 0x50 at offset 11/);
    expectInvalid(raw([7, [0xff, 0xff, 0xff, 0xff, 0x0f]]), /4294967295 types cannot fit/);
    expectInvalid(raw([7, [0x01, 0x70]]), /unexpected end of data reading value type/);
    expectInvalid(raw([7, [0x01, 0x70, 0x05]]), /type index 5 out of range \(0 defined\)/);
    expectInvalid(raw([10, [0x01, 0x00, 0x01, 0x66, 0x01, 0x00]]), /type index 0 out of range/);
    expectInvalid(raw([13, []]), /unknown section id 13/);
    expectInvalid(Uint8Array.from([...PREAMBLE, 0x07, 0x05, 0x00]), /unexpected end of data reading section 7/);
    expectInvalid(raw([7, [0x00, 0x00]]), /1 unread byte\(s\) at the end of the section/);
    expectInvalid(raw([10, [0x01, 0x00, 0x02, 0xc3, 0x28, 0x01, 0x00]]), /import name is not valid UTF-8/);
  });

  it('caps nesting, type depth and type size', () => {
    let nestedComponent = raw();
    for (let i = 0; i < 40; i++) nestedComponent = raw([4, [...nestedComponent]]);
    expectInvalid(nestedComponent, /nested deeper than 32/);

    const deep = [0x70, 0x7d, ...Array.from({ length: 150 }, (_, i) => [0x70, ...typeIdx(i)]).flat()];
    expectInvalid(raw([7, [...leb(151), ...deep]]), /type nested deeper than 100/);

    // tuple<t, t> of the previous type, 20 times: 2^20 nodes once expanded.
    const doubling = [0x6f, 0x02, 0x7d, 0x7d, ...Array.from({ length: 20 }, (_, i) => [0x6f, 0x02, i, i]).flat()];
    expectInvalid(raw([7, [...leb(21), ...doubling]]), /type too large/);
  });

  it('rejects every truncation of a small valid component with LN_ERR_LOAD_INVALID', async () => {
    const bytes = await component(`(component
      (type $r (record (field "a" u32) (field "b" string)))
      (import "r" (type $rr (eq $r)))
      (import "i" (instance (export "f" (func (param "x" $rr) (result (list string))))))
      (core module $m (func (export "f") (param i32) (result i32) unreachable))
      (core instance $ci (instantiate $m))
      (func (export "g") (param "x" u32) (result u32) (canon lift (core func $ci "f"))))`);
    expect(readComponentShape(bytes).imports).toHaveLength(2);
    const ends = sectionEnds(bytes);
    for (let len = 0; len < bytes.length; len++) {
      const prefix = bytes.subarray(0, len);
      if (ends.has(len)) expect(decodeError(prefix), `prefix of ${len} bytes`).toBeNull();
      else expectInvalid(prefix);
    }
  });

  it('survives random bytes after a valid preamble', () => {
    const random = rng(42);
    for (let run = 0; run < 3000; run++) {
      const body = Array.from({ length: Math.floor(random() * 96) }, () => Math.floor(random() * 256));
      // Bias towards real section ids so the decoder gets past the first byte.
      if (body.length > 0 && random() < 0.8) body[0] = Math.floor(random() * 13);
      const err = decodeError(Uint8Array.from([...PREAMBLE, ...body]));
      if (err !== null) expect(isLnError(err) && err.code, String(err)).toBe('LN_ERR_LOAD_INVALID');
    }
  });

  it('survives random byte mutations of a real component', async () => {
    const core = await componentEmbed({
      dummy: true,
      witSource: readFileSync('wit/plugin.wit', 'utf8'),
      world: 'stateful-plugin',
    });
    const original = await componentNew(core, []);
    const random = rng(7);
    for (let run = 0; run < 400; run++) {
      const bytes = original.slice();
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) {
        bytes[8 + Math.floor(random() * (bytes.length - 8))] = Math.floor(random() * 256);
      }
      const err = decodeError(bytes);
      if (err !== null) expect(isLnError(err) && err.code, String(err)).toBe('LN_ERR_LOAD_INVALID');
    }
  });
});
