// The fuel pass: exact counts, agreement with the naive reference meter on every kind of control
// flow Node 20 runs (branch tables, early exits, recursion, indirect and tail calls, legacy
// exceptions, re-entrant host calls, multi-value, SIMD, bulk memory), exhaustion and determinism.
import { describe, expect, it } from 'vitest';
import { instrumentModule } from '../../../../host/engine/instrument/instrument.js';
import { instantiate, LOOSE, type Meter, meter, naiveMeter, used, wat } from './wasm-helpers.js';

type Run = (n: number) => number;

/** Instantiates `text` three ways (plain, fuel pass, reference meter) and returns each `run`. */
async function three(text: string, imports: (get: () => WebAssembly.Instance) => WebAssembly.Imports = () => ({})) {
  const bytes = await wat(text);
  const make = async (variant: Uint8Array | null) => {
    const m = meter();
    let instance: WebAssembly.Instance | undefined;
    const get = (): WebAssembly.Instance => instance!;
    instance = variant ? await instantiate(variant, m, imports(get)) : (await WebAssembly.instantiate(bytes, imports(get))).instance;
    return { m, run: instance.exports.run as Run };
  };
  return {
    plain: await make(null),
    pass: await make(instrumentModule(bytes, LOOSE)),
    naive: await make(naiveMeter(bytes)),
  };
}

/** For each input: same result everywhere, and the pass counts exactly what the reference counts. */
async function expectAgreement(text: string, inputs: number[], imports?: (get: () => WebAssembly.Instance) => WebAssembly.Imports) {
  const { plain, pass, naive } = await three(text, imports);
  for (const n of inputs) {
    const expected = plain.run(n);
    const a = used(pass.m, () => pass.run(n));
    const b = used(naive.m, () => naive.run(n));
    expect(a.value, `result for ${n}`).toBe(expected);
    expect(b.value, `reference result for ${n}`).toBe(expected);
    expect(a.fuel, `fuel for ${n}`).toBe(b.fuel);
    expect(a.fuel).toBeGreaterThan(0n);
  }
}

const COUNTER = `(module
  (func (export "run") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $i)))`;

describe('fuel pass: exact counts', () => {
  it('a counting loop costs 9 per iteration plus 5', async () => {
    // per iteration: local.get local.get i32.ge_u br_if | local.get i32.const i32.add local.set | br
    // last check: 4; after the loop: local.get. block, loop and end are free.
    const m = meter();
    const run = (await instantiate(instrumentModule(await wat(COUNTER), LOOSE), m)).exports.run as Run;
    for (const n of [0, 1, 10, 1000]) {
      const { fuel, value } = used(m, () => run(n));
      expect(value).toBe(n);
      expect(fuel).toBe(BigInt(9 * n + 5));
    }
  });

  it('the same input gives the same count on fresh instances', async () => {
    const bytes = instrumentModule(await wat(COUNTER), LOOSE);
    const counts = [];
    for (let i = 0; i < 3; i++) {
      const m = meter();
      const run = (await instantiate(bytes, m)).exports.run as Run;
      counts.push(used(m, () => run(12345)).fuel);
    }
    expect(new Set(counts).size).toBe(1);
  });

  it('instrumenting is deterministic: same bytes in, same bytes out', async () => {
    const bytes = await wat(COUNTER);
    expect(instrumentModule(bytes, LOOSE)).toEqual(instrumentModule(bytes, LOOSE));
  });
});

describe('fuel pass: agrees with the reference meter', () => {
  it('branch tables, early returns, nested blocks, if/else, breaks out of loops', async () => {
    await expectAgreement(
      `(module
      (func $classify (param $x i32) (result i32)
        (block $d (block $c (block $b (block $a
          (br_table $a $b $c $d (local.get $x)))
          (return (i32.const 10)))
          (return (i32.const 20)))
          (return (i32.const 30)))
        (i32.const 40))
      (func (export "run") (param $n i32) (result i32)
        (local $i i32) (local $acc i32)
        (block $out
          (loop $l
            (br_if $out (i32.ge_s (local.get $i) (local.get $n)))
            (local.set $acc (i32.add (local.get $acc) (call $classify (i32.rem_u (local.get $i) (i32.const 5)))))
            (if (i32.eq (i32.rem_u (local.get $i) (i32.const 7)) (i32.const 3))
              (then (local.set $acc (i32.add (local.get $acc) (i32.const 1))))
              (else (if (i32.gt_u (local.get $acc) (i32.const 5000)) (then (br $out)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $l)))
        (local.get $acc)))`,
      [0, 1, 2, 5, 17, 100, 1000],
    );
  });

  it('recursion, call_indirect, select, multi-value blocks, unreachable code after br', async () => {
    await expectAgreement(
      `(module
      (type $t (func (param i32) (result i32)))
      (table 2 funcref)
      (elem (i32.const 0) $fib $double)
      (func $fib (type $t)
        (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
          (then (local.get 0))
          (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                         (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
      (func $double (type $t) (i32.shl (local.get 0) (i32.const 1)))
      (func $pair (param i32) (result i32 i32) (local.get 0) (i32.const 3))
      (func (export "run") (param $n i32) (result i32)
        (local $k i32)
        (local.set $k (call_indirect (type $t) (i32.and (local.get $n) (i32.const 15)) (i32.and (local.get $n) (i32.const 1))))
        (block $skip
          (br $skip)
          (local.set $k (i32.const 999))
          (drop (call $fib (i32.const 30))))
        (call $pair (local.get $k))
        (block (param i32 i32) (result i32) (i32.add))
        (select (local.get $n) (i32.const 0) (i32.gt_u (local.get $n) (i32.const 8)))
        (i32.add)))`,
      [0, 1, 2, 9, 14, 15, 21],
    );
  });

  it('tail calls (return_call, return_call_indirect)', async () => {
    await expectAgreement(
      `(module
      (type $t (func (param i32 i32) (result i32)))
      (table 1 funcref)
      (elem (i32.const 0) $count)
      (func $count (type $t)
        (if (result i32) (i32.eqz (local.get 0))
          (then (local.get 1))
          (else (return_call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.add (local.get 1) (i32.const 2)) (i32.const 0)))))
      (func (export "run") (param $n i32) (result i32)
        (return_call $count (local.get $n) (i32.const 0))))`,
      [0, 1, 50, 100_000],
    );
  });

  it('legacy exceptions: throw, catch, catch_all, rethrow, delegate (handlers reload the count)', async () => {
    await expectAgreement(
      `(module
      (tag $e (param i32))
      (func $maybe (param $x i32) (result i32)
        (local $j i32)
        (loop $burn
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $burn (i32.lt_u (local.get $j) (i32.const 20))))
        (if (i32.eq (i32.rem_u (local.get $x) (i32.const 3)) (i32.const 0)) (then (throw $e (local.get $x))))
        (i32.add (local.get $x) (i32.const 1)))
      (func $rethrower (param $x i32) (result i32)
        try (result i32)
          local.get $x
          call $maybe
        catch $e
          local.get $x
          i32.const 2
          i32.rem_u
          i32.eqz
          if
            rethrow 1
          end
          i32.const 50
          i32.add
        end)
      (func $delegating (param $x i32) (result i32)
        try (result i32)
          try (result i32)
            local.get $x
            call $rethrower
          delegate 0
        catch $e
          i32.const 7
          i32.add
        end)
      (func (export "run") (param $n i32) (result i32)
        (local $i i32) (local $acc i32)
        block $out
          loop $l
            local.get $i
            local.get $n
            i32.ge_u
            br_if $out
            try (result i32)
              local.get $i
              call $delegating
            catch $e
              i32.const 100
              i32.add
            catch_all
              i32.const -1
            end
            local.get $acc
            i32.add
            local.set $acc
            local.get $i
            i32.const 1
            i32.add
            local.set $i
            br $l
          end
        end
        local.get $acc))`,
      [0, 1, 3, 6, 30],
    );
  });

  it('re-entrant host calls: an import that calls back into the module', async () => {
    await expectAgreement(
      `(module
      (import "host" "cb" (func $cb (param i32) (result i32)))
      (func (export "leaf") (param $x i32) (result i32)
        (local $i i32)
        (loop $l
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $x))))
        (local.get $i))
      (func (export "run") (param $n i32) (result i32)
        (i32.add (call $cb (local.get $n)) (call $cb (i32.const 3)))))`,
      [1, 5, 100],
      (get) => ({ host: { cb: (x: number) => (get().exports.leaf as Run)(x) * 2 } }),
    );
  });

  it('memory, bulk memory, SIMD, saturating truncation, sign extension', async () => {
    await expectAgreement(
      `(module
      (memory 1)
      (func (export "run") (param $n i32) (result i32)
        (memory.fill (i32.const 0) (i32.const 7) (i32.const 64))
        (memory.copy (i32.const 100) (i32.const 0) (i32.const 32))
        (v128.store (i32.const 200) (i32x4.add (v128.load (i32.const 100)) (i32x4.splat (local.get $n))))
        (i32.add (i32x4.extract_lane 0 (v128.load (i32.const 200)))
          (i32.add (i32.trunc_sat_f32_s (f32.const 1e20)) (i32.extend8_s (local.get $n))))))`,
      [0, 1, 200, 255],
    );
  });
});

describe('fuel pass: exhaustion', () => {
  async function bomb(text: string, fuel: bigint): Promise<{ error: unknown; m: Meter }> {
    const m = meter(fuel);
    const run = (await instantiate(instrumentModule(await wat(text), LOOSE), m)).exports.run as Run;
    try {
      run(0);
    } catch (error) {
      return { error, m };
    }
    throw new Error('expected a trap');
  }

  it('an infinite loop traps with the global negative', async () => {
    const { error, m } = await bomb('(module (func (export "run") (param i32) (result i32) (loop $l (br $l)) (i32.const 0)))', 10_000n);
    expect(error).toBeInstanceOf(WebAssembly.RuntimeError);
    expect(m.fuel.value as bigint).toBeLessThan(0n);
    expect(m.fuel.value as bigint).toBeGreaterThan(-10n);
  });

  it('infinite recursion traps on fuel before the stack runs out', async () => {
    const { error, m } = await bomb(
      `(module
      (func $f (param i32) (result i32) (i32.add (call $f (local.get 0)) (i32.const 1)))
      (func (export "run") (param i32) (result i32) (call $f (local.get 0))))`,
      1000n,
    );
    expect(error).toBeInstanceOf(WebAssembly.RuntimeError);
    expect(m.fuel.value as bigint).toBeLessThan(0n);
  });

  it('a loop-free body may finish its last segment past zero: it returns with the global negative', async () => {
    const m = meter(3n);
    const run = (
      await instantiate(
        instrumentModule(
          await wat('(module (func (export "run") (param i32) (result i32) (i32.add (i32.add (local.get 0) (i32.const 1)) (i32.const 2))))'),
          LOOSE,
        ),
        m,
      )
    ).exports.run as Run;
    expect(run(1)).toBe(4);
    expect(m.fuel.value).toBe(-2n); // 5 instructions on a budget of 3: the host reports this as exhausted
  });

  it('with ample fuel the count is what the loop costs, and the global keeps the rest', async () => {
    const m = meter(1_000_000n);
    const run = (await instantiate(instrumentModule(await wat(COUNTER), LOOSE), m)).exports.run as Run;
    expect(run(100)).toBe(100);
    expect(m.fuel.value).toBe(1_000_000n - 905n);
  });
});
