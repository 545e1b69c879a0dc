// Features Node 20 cannot run (GC, exnref `try_table`, typed function references, multi-memory)
// or runs only behind flags (memory64, relaxed SIMD, extended constants): the pass must decode
// them and produce modules a full-featured validator (wasmparser, inside jco's `componentNew`)
// accepts. Instruction families Node runs are covered by running them in fuel-pass.test.ts.

import { componentEmbed, componentNew, print } from '@bytecodealliance/jco-transpile/wasm-tools';
import { describe, expect, it } from 'vitest';
import { instrumentModule } from '../../../../host/engine/instrument/instrument.js';
import { defineImports, LOOSE, wat } from './wasm-helpers.js';

/** Validates a core module with wasmparser (all features on) by wrapping it into a component. */
async function validateFully(bytes: Uint8Array): Promise<void> {
  const binary = defineImports(bytes);
  const embedded = await componentEmbed({ binary, witSource: 'package lnano:test; world empty {}', world: 'empty' });
  await componentNew(embedded);
}

const CASES: Record<string, string> = {
  'GC: structs, arrays, casts, i31, br_on_cast': `(module
    (type $s (struct (field (mut i32)) (field i64)))
    (type $a (array (mut i8)))
    (func (export "run") (param $x i32) (result i32)
      (local $r (ref null $s))
      (local.set $r (struct.new $s (local.get $x) (i64.const 2)))
      (struct.set $s 0 (local.get $r) (i32.add (struct.get $s 0 (local.get $r)) (i32.const 1)))
      (drop (array.len (array.new_default $a (i32.const 4))))
      (drop (ref.test (ref $s) (local.get $r)))
      (block $cast (result (ref $s))
        (br_on_cast $cast anyref (ref $s) (local.get $r))
        (drop)
        (return (i31.get_s (ref.i31 (local.get $x)))))
      (struct.get $s 0)))`,
  'GC: br_on_cast out of a loop (its label is not renumbered, so the loop is not wrapped)': `(module
    (type $s (struct (field (mut i32)) (field i64)))
    (func (export "run") (param $x i32) (result i32)
      (local $r (ref null $s)) (local $i i32)
      (local.set $r (struct.new $s (local.get $x) (i64.const 2)))
      (block $out (result (ref $s))
        (loop $l
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_on_cast $out anyref (ref $s) (local.get $r))
          (drop)
          (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
        (unreachable))
      (struct.get $s 0)))`,
  'exnref: try_table catching into a block, a loop and an if; throw_ref': `(module
    (tag $e (param i32))
    (func $thrower (param i32) (if (local.get 0) (then (throw $e (local.get 0)))))
    (func (export "run") (param $x i32) (result i32)
      (local $n i32)
      (block $caught (result i32)
        (try_table (catch $e $caught)
          (call $thrower (local.get $x)))
        (i32.const 0))
      (loop $again (param i32) (result i32)
        (drop)
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (if (i32.lt_u (local.get $n) (i32.const 3))
          (then
            (try_table (catch $e $again)
              (call $thrower (local.get $n)))))
        (local.get $n))
      (drop)
      (if (local.get $x)
        (then
          (try_table (catch_all 0)
            (call $thrower (local.get $x)))))
      (block $rethrow (result i32 exnref)
        (try_table (catch_ref $e $rethrow)
          (call $thrower (local.get $x)))
        (return (local.get $n)))
      (throw_ref)))`,
  'typed function references: call_ref, return_call_ref, ref.as_non_null, br_on_null': `(module
    (type $f (func (param i32) (result i32)))
    (elem declare func $inc)
    (func $inc (type $f) (i32.add (local.get 0) (i32.const 1)))
    (func $tail (param $g (ref null $f)) (param $x i32) (result i32)
      (block $null
        (return_call_ref $f (local.get $x) (br_on_null $null (local.get $g))))
      (i32.const -1))
    (func (export "run") (param $x i32) (result i32)
      (i32.add
        (call_ref $f (local.get $x) (ref.as_non_null (ref.func $inc)))
        (call $tail (ref.func $inc) (local.get $x)))))`,
  'multi-memory with memory.grow on the second memory': `(module
    (memory $a 1)
    (memory $b 1)
    (func (export "run") (param $x i32) (result i32)
      (i32.store $b (i32.const 0) (local.get $x))
      (memory.copy $a $b (i32.const 0) (i32.const 0) (i32.const 4))
      (i32.add (i32.load $a (i32.const 0)) (memory.grow $b (i32.const 1)))))`,
  'memory64 and table64 grows': `(module
    (memory i64 1)
    (table $t i64 1 funcref)
    (func (export "run") (param $x i64) (result i64)
      (i64.add (memory.grow (local.get $x)) (table.grow $t (ref.null func) (i64.const 1)))))`,
  'relaxed SIMD, atomics, extended constants, table initialisers': `(module
    (import "env" "base" (global $base i32))
    (global $sum i32 (i32.add (global.get $base) (i32.const 8)))
    (memory 1 1 shared)
    (table 2 funcref (ref.null func))
    (func (export "run") (param $v v128) (result i32)
      (drop (i8x16.relaxed_swizzle (local.get $v) (local.get $v)))
      (drop (f32x4.relaxed_madd (local.get $v) (local.get $v) (local.get $v)))
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (atomic.fence)
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
      (global.get $sum)))`,
};

describe('instrumentModule: features beyond what Node 20 runs', () => {
  it.each(Object.entries(CASES))('%s: instruments (fuel, deadline checks and caps) into a valid module', async (_, text) => {
    const bytes = await wat(text);
    await validateFully(bytes); // the input itself is valid
    for (const [fuel, deadline] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const out = instrumentModule(bytes, { ...LOOSE, fuel, deadline });
      await expect(validateFully(out), `fuel ${fuel}, deadline ${deadline}`).resolves.toBeUndefined();
    }
  });

  it('try_table: the counter is stored before every path into a catch target and reloaded after it', async () => {
    const text = await print(instrumentModule(await wat(CASES['exnref: try_table catching into a block, a loop and an if; throw_ref']!), LOOSE));
    const run = text.slice(text.indexOf('(func (;1;)'));
    // Four catch targets (block $caught, loop $again, the if, block $rethrow) reload from the
    // global where control joins them, four calls reload after returning, and the entry loads.
    expect(run.match(/global\.get 0\b/g)?.length).toBe(4 + 4 + 1);
    // The loop is entered with the counter stored, and its header starts from the global.
    expect(run).toMatch(/global\.set 0\s+loop [^\n]*\n\s+global\.get 0/);
  });
});
