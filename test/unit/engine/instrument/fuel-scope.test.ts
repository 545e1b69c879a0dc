// Where the counter lives between functions: a module whose functions are entered from outside
// only through exports and start keeps it in a global of its own (entry wrappers sync the shared
// one); anything that could let a function be entered another way keeps the shared global. Either
// way counts match the reference meter, across modules calling each other.

import { print } from '@bytecodealliance/jco-transpile/wasm-tools';
import { describe, expect, it } from 'vitest';
import { instrumentModule } from '../../../../host/engine/instrument/instrument.js';
import { instantiate, LOOSE, type Meter, meter, naiveMeter, START, used, wat } from './wasm-helpers.js';

/** Whether the instrumented module defines a counter global of its own (an i64 starting at 0, last). */
async function ownsCounter(text: string): Promise<boolean> {
  const printed = await print(instrumentModule(await wat(text), LOOSE));
  const defined = [...printed.matchAll(/^ {2}\(global (?:\$\S+ )?\(;\d+;\) (.*)\)$/gm)].map((m) => m[1]);
  return defined.at(-1) === '(mut i64) i64.const 0';
}

const LEAF = '(func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))';

describe('fuel scope: own counter or shared', () => {
  it('a module entered only through exports owns its counter', async () => {
    expect(await ownsCounter(`(module ${LEAF} (func (export "run") (param i32) (result i32) (call $leaf (local.get 0))))`)).toBe(true);
  });

  it('a private table of its own functions keeps it owning the counter', async () => {
    expect(
      await ownsCounter(`(module (type $t (func (param i32) (result i32))) ${LEAF}
      (table 1 funcref) (elem (i32.const 0) $leaf)
      (func (export "run") (param i32) (result i32) (call_indirect (type $t) (local.get 0) (i32.const 0))))`),
    ).toBe(true);
  });

  it.each([
    ['an exported table holding its functions', `(table (export "t") 1 funcref) (elem (i32.const 0) $leaf)`],
    ['its functions in an imported table', `(import "env" "t" (table 1 funcref)) (elem (i32.const 0) $leaf)`],
    ['ref.func in code', `(elem declare func $leaf) (func (export "r") (result funcref) (ref.func $leaf))`],
    ['table.set', `(table 1 funcref) (func (export "s") (param funcref) (table.set (i32.const 0) (local.get 0)))`],
    ['table.get', `(table 1 funcref) (func (export "g") (result funcref) (table.get (i32.const 0)))`],
    ['exceptions', `(tag $e) (func (export "x") try throw $e catch_all end)`],
    [
      'a tail call to an import',
      `(import "env" "f" (func $f (param i32) (result i32))) (func (export "tc") (param i32) (result i32) (return_call $f (local.get 0)))`,
    ],
    ['a funcref global initialised with ref.func', `(global (export "g") funcref (ref.func $leaf))`],
  ])('%s keeps the shared counter', async (_, items) => {
    expect(await ownsCounter(`(module ${items} ${LEAF} (func (export "run") (param i32) (result i32) (call $leaf (local.get 0))))`)).toBe(false);
  });
});

describe('fuel scope: counts across modules', () => {
  // A calls B through an import; B calls back into A through an import; both own their counters.
  const A = `(module
    (import "b" "twice" (func $twice (param i32) (result i32)))
    (func $inc (export "inc") (param $x i32) (result i32)
      (local $i i32)
      (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (local.get $x))))
      (i32.add (local.get $x) (i32.const 1)))
    (func (export "run") (param $n i32) (result i32)
      (i32.add (call $twice (local.get $n)) (call $inc (local.get $n)))))`;
  const B = `(module
    (import "a" "inc" (func $inc (param i32) (result i32)))
    (func (export "twice") (param $x i32) (result i32)
      (call $inc (call $inc (local.get $x))))
    (func (export "spin") (loop $l (br $l))))`;

  async function link(transform: (b: Uint8Array) => Uint8Array, m: Meter) {
    let a: WebAssembly.Instance | undefined;
    const b = await instantiate(transform(await wat(B)), m, { a: { inc: (x: number) => (a!.exports.inc as (x: number) => number)(x) } });
    a = await instantiate(transform(await wat(A)), m, { b: { twice: b.exports.twice as (x: number) => number } });
    return { a, b };
  }

  it('counts the same as the reference meter when two modules call each other', async () => {
    expect(await ownsCounter(A)).toBe(true);
    expect(await ownsCounter(B)).toBe(true);
    const m1 = meter();
    const m2 = meter();
    const pass = await link((b) => instrumentModule(b, LOOSE), m1);
    const naive = await link((b) => naiveMeter(b), m2);
    for (const n of [0, 3, 50]) {
      const x = used(m1, () => (pass.a.exports.run as (n: number) => number)(n));
      const y = used(m2, () => (naive.a.exports.run as (n: number) => number)(n));
      expect(x.value).toBe(y.value);
      expect(x.fuel).toBe(y.fuel);
    }
  });

  it('a fuel bomb in the other module traps with the shared global negative', async () => {
    const m = meter(10_000n);
    const { b } = await link((bytes) => instrumentModule(bytes, LOOSE), m);
    expect(() => (b.exports.spin as () => void)()).toThrow(WebAssembly.RuntimeError);
    expect(m.fuel.value as bigint).toBeLessThan(0n);
  });

  it('a start function is metered on the shared global', async () => {
    const text = `(module (global $g (mut i32) (i32.const 0))
      (func $init (local $i i32)
        (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 100))))
        (global.set $g (local.get $i)))
      (start $init)
      (func (export "get") (result i32) (global.get $g)))`;
    expect(await ownsCounter(text)).toBe(true);
    const spent = async (bytes: Uint8Array) => {
      const m = meter();
      const { exports } = await instantiate(bytes, m);
      expect((exports.get as () => number)()).toBe(100);
      return START - (m.fuel.value as bigint);
    };
    const pass = await spent(instrumentModule(await wat(text), LOOSE));
    expect(pass).toBe(await spent(naiveMeter(await wat(text))));
    expect(pass).toBeGreaterThan(500n);
  });

  it('a trap other than fuel still leaves the fuel used so far in the shared global', async () => {
    const m = meter();
    const { exports } = await instantiate(
      instrumentModule(
        await wat(`(module
      (func (export "boom") (param i32) (result i32)
        (local $i i32)
        (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
        unreachable))`),
        LOOSE,
      ),
      m,
    );
    m.fuel.value = START;
    expect(() => (exports.boom as (n: number) => number)(10)).toThrow(WebAssembly.RuntimeError);
    expect(START - (m.fuel.value as bigint)).toBeGreaterThan(60n);
  });
});

describe('fuel scope: the counter passed as a parameter', () => {
  // $fib and $pick are entered only by direct calls and the export wrappers: they take the
  // counter as a last parameter and return it as a last result. $viaTable is in a table and
  // $pair returns two values: both keep the global.
  const PASSING = `(module
    (type $t (func (param i32) (result i32)))
    (table 1 funcref) (elem (i32.const 0) $viaTable)
    (func $fib (export "fib") (param $n i32) (result i64)
      (local $acc i64)
      (if (i32.lt_u (local.get $n) (i32.const 2)) (then (return (i64.extend_i32_u (local.get $n)))))
      (local.set $acc (call $fib (i32.sub (local.get $n) (i32.const 1))))
      (local.tee $acc (i64.add (local.get $acc) (call $fib (i32.sub (local.get $n) (i32.const 2))))))
    (func $pick (export "pick") (param $k i32) (param $x i32) (result i32)
      (local $y i32)
      (local.set $y (i32.mul (local.get $x) (i32.const 3)))
      (drop (block $b (result i32)
        (br_table $b $b 1 (local.get $y) (local.get $k))))
      (if (i32.eq (local.get $k) (i32.const 0)) (then (br 1 (i32.add (local.get $y) (local.get $y)))))
      (return (i32.add (local.get $y) (call_indirect (type $t) (local.get $x) (i32.const 0))))
      unreachable
      (i32.const 7)
      return)
    (func $viaTable (param $x i32) (result i32)
      (local $s i32)
      (loop $l
        (local.set $s (i32.add (local.get $s) (i32.wrap_i64 (call $fib (local.get $x)))))
        (br_if $l (i32.lt_u (local.tee $x (i32.sub (local.get $x) (i32.const 1))) (i32.const 100))))
      (local.get $s))
    (func $pair (param i32) (result i32 i32) (local.get 0) (i32.add (local.get 0) (i32.const 1)))
    (func $spin (export "spin") (loop $l (br $l)))
    (func (export "sum") (param $x i32) (result i32)
      (call $pair (local.get $x)) (i32.add)))`;

  it('functions only direct calls reach take and return it; counts match the reference meter', async () => {
    const bytes = await wat(PASSING);
    const printed = await print(instrumentModule(bytes, LOOSE));
    expect(printed).toMatch(/\(func \$fib \(;\d+;\) \(type \d+\) \(param i32 i64\) \(result i64 i64\)/);
    expect(printed).toMatch(/\(func \$pick \(;\d+;\) \(type \d+\) \(param i32 i32 i64\) \(result i32 i64\)/);
    expect(printed).toMatch(/\(func \$viaTable \(;\d+;\) \(type [^)]+\) \(param i32\) \(result i32\)/);
    expect(printed).toMatch(/\(func \$pair \(;\d+;\) \(type \d+\) \(param i32\) \(result i32 i32\)/);
    const m1 = meter();
    const m2 = meter();
    const pass = (await instantiate(instrumentModule(bytes, LOOSE), m1)).exports;
    const naive = (await instantiate(naiveMeter(bytes), m2)).exports;
    const calls: [string, unknown[]][] = [
      ['fib', [0]],
      ['fib', [15]],
      ['sum', [4]],
    ];
    for (const k of [0, 1, 2, 3]) calls.push(['pick', [k, 5]]);
    for (const [name, args] of calls) {
      const x = used(m1, () => (pass[name] as (...a: unknown[]) => unknown)(...args));
      const y = used(m2, () => (naive[name] as (...a: unknown[]) => unknown)(...args));
      expect(x.value, `${name}(${args.join()})`).toBe(y.value);
      expect(x.fuel, `${name}(${args.join()})`).toBe(y.fuel);
    }
  });

  it('a runaway passing function traps with the shared global negative', async () => {
    const m = meter(100_000n);
    const { exports } = await instantiate(instrumentModule(await wat(PASSING), LOOSE), m);
    expect(() => (exports.spin as () => void)()).toThrow(WebAssembly.RuntimeError);
    expect(m.fuel.value as bigint).toBeLessThan(0n);
    m.fuel.value = 100_000n;
    expect(() => (exports.fib as (n: number) => bigint)(40)).toThrow(WebAssembly.RuntimeError);
    expect(m.fuel.value as bigint).toBeLessThan(0n);
  });

  it('a tail call between its functions keeps the counter in the global (the results would not match)', async () => {
    const text = `(module
      (func $down (param $n i32) (result i32)
        (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0)) (else (return_call $down (i32.sub (local.get $n) (i32.const 1))))))
      (func (export "run") (param i32) (result i32) (call $down (local.get 0))))`;
    const bytes = await wat(text);
    const printed = await print(instrumentModule(bytes, LOOSE));
    expect(printed).not.toMatch(/i64\)\s*\(result i32 i64\)/);
    expect(await ownsCounter(text)).toBe(true);
    const m1 = meter();
    const m2 = meter();
    const pass = (await instantiate(instrumentModule(bytes, LOOSE), m1)).exports;
    const naive = (await instantiate(naiveMeter(bytes), m2)).exports;
    const x = used(m1, () => (pass.run as (n: number) => number)(1000));
    const y = used(m2, () => (naive.run as (n: number) => number)(1000));
    expect(x).toEqual(y);
  });
});
