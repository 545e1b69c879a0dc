// The deadline pass (host/engine/instrument/deadline-pass.ts) and its import (deadline-check.ts):
// a guest spinning in a real worker thread stops once the main thread sets the shared flag; a
// recursion without loops stops too; with the flag never set, instrumented modules compute what
// the plain ones compute; the pass composes with the fuel pass without changing fuel counts.
// The worker loads the built import from dist/ (run `npx tsc -p tsconfig.json` first).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { print } from '@bytecodealliance/jco-transpile/wasm-tools';
import { describe, expect, it } from 'vitest';
import { DeadlineExceeded, deadlineImports } from '../../../../host/engine/instrument/deadline-check.js';
import { addDeadlineChecks, DEADLINE_CHECK_INTERVAL } from '../../../../host/engine/instrument/deadline-pass.js';
import { instrumentModule } from '../../../../host/engine/instrument/instrument.js';
import { CORE_MODULE_FILE } from '../../../../host/engine/transpile-cache.js';
import { isLnError } from '../../../../host/errors/ln-error.js';
import { example, fixture, ROOT } from '../../../helpers/cli.js';
import { instantiate, LOOSE, meter, used, wat } from './wasm-helpers.js';

const SPIN = `(module
  (func (export "spin") (loop $l (br $l))))`;

/** 2^n calls, n deep, no loop: only the entry checks can stop it for large n. */
const RECURSE = `(module
  (func $r (export "recurse") (param $n i32)
    (if (local.get $n) (then
      (call $r (i32.sub (local.get $n) (i32.const 1)))
      (call $r (i32.sub (local.get $n) (i32.const 1)))))))`;

/** Everything the function index shift touches: imports, a table and elements, call_indirect, ref.func, a start function, names. */
const SHAPES = `(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (type $un (func (param i32) (result i32)))
  (table $t 4 funcref)
  (global $started (mut i32) (i32.const 0))
  (global $ref funcref (ref.func $double))
  (elem (table $t) (i32.const 0) func $double $square)
  (elem declare func $fib)
  (func $double (type $un) (i32.mul (local.get 0) (i32.const 2)))
  (func $square (type $un) (i32.mul (local.get 0) (local.get 0)))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2)) (then (local.get $n))
      (else (call $add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "sum") (param $n i32) (result i32) (local $s i32) (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (i32.add (local.get $s) (call_indirect (type $un) (local.get $i) (i32.rem_u (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $s))
  (func (export "started") (result i32) (global.get $started))
  (func (export "isFib") (result i32) (ref.is_null (ref.func $fib)))
  (func $start (global.set $started (i32.const 42)))
  (start $start))`;

const ENV = { env: { add: (a: number, b: number) => a + b } };

/** 2^n calls, n deep, each through the table: only `call_indirect`s, no direct call, no loop. */
const INDIRECT = `(module
  (type $t (func (param i32)))
  (table 2 funcref)
  (elem (i32.const 0) func $a $b)
  (func $a (export "indirect") (type $t)
    (if (local.get 0) (then
      (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 1))
      (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 1)))))
  (func $b (type $t)
    (if (local.get 0) (then
      (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))
      (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))))))`;

/** Loops that try to slip past their headers: a br_table to itself, branches across nested loops, a long body. */
const EVASIVE = `(module
  (func (export "table") (local $i i32)
    (loop $l (br_table $l $l (local.get $i))))
  (func (export "nested") (local $i i32)
    (loop $a (block $x (loop $b (loop $c
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $b (i32.and (local.get $i) (i32.const 1)))
      (br_if $x (i32.and (local.get $i) (i32.const 2)))
      (br $a))))
      (br $a))
    (unreachable))
  (func (export "long") (param $n i32) (local $s i32)
    (loop $l
      ${'(local.set $s (i32.xor (i32.add (local.get $s) (local.get $n)) (i32.const 7)))'.repeat(8)}
      (br $l)))
  (func $rec (param i32) (result i32)
    (if (result i32) (local.get 0) (then (call $rec (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 0))))
  (func $callsRecursive (export "callsRecursive") (local $i i32)
    (loop $l (drop (call $rec (i32.const 0))) (br $l)))
  (func $recLoop (export "recLoop") (param i32)
    (if (i32.eqz (local.get 0)) (then (call $recLoop (i32.const 1))))
    (loop $l (drop (call $rec (i32.const 0))) (br $l)))
  (func $skipsTheCall (export "skipsTheCall") (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.and (local.get $i) (i32.const 1023)))
      (drop (call $rec (i32.const 0))) (br $l)))
  (func (export "rethrows") (local $i i32)
    try loop $l br $l end catch_all rethrow 0 end))`;

/**
 * Branch depths across wrapped loops, a loop with a result, a loop with parameters (not wrapped),
 * a br_table out of nested loops: must compute what the plain module computes.
 */
const LABELS = `(module
  (type $p (func (param i32) (result i32)))
  (func (export "labels") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (block $skip
          (loop $inner
            (local.set $s (i32.add (local.get $s) (local.get $i)))
            (br_table $inner $skip $outer $done (i32.rem_u (local.get $s) (i32.const 5)))))
        (local.set $s (i32.mul (local.get $s) (i32.const 3)))
        (br $outer)))
    (i32.add (local.get $s)
      (loop $r (result i32) (br_if $r (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 100))) (local.get $i)))
    (i32.const 7)
    (loop $q (type $p) (i32.add (i32.const 1)) (local.tee $s) (br_if $q (i32.lt_u (local.get $s) (i32.const 1000))) (drop) (local.get $s))
    (i32.add)))`;

function flag(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/**
 * Runs `exportName(arg)` of `bytes` in a real worker thread; once the worker says it is about
 * to call, the main thread sets the flag. Resolves with what the call threw (or returned).
 */
function spinInWorker(bytes: Uint8Array, exportName: string, arg?: number): Promise<{ threw?: string; code?: string; returned?: unknown }> {
  const shared = flag();
  const checkUrl = pathToFileURL(join(ROOT, 'dist', 'host', 'engine', 'instrument', 'deadline-check.js')).href;
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { deadlineImports } = await import(workerData.checkUrl);
      const module = new WebAssembly.Module(workerData.bytes);
      const instance = new WebAssembly.Instance(module, deadlineImports(workerData.flag));
      parentPort.postMessage({ calling: true });
      try {
        parentPort.postMessage({ returned: instance.exports[workerData.exportName](workerData.arg) });
      } catch (err) {
        parentPort.postMessage({ threw: err.name, code: err.code });
      }
    })();`,
    { eval: true, workerData: { bytes, flag: shared, exportName, arg, checkUrl } },
  );
  return new Promise((resolve, reject) => {
    // A guest the flag does not stop would spin forever: give up well before the test's timeout
    // and end the worker, so the failure is a clear one and no thread is left spinning.
    const backstop = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`${exportName} did not stop after the flag was set`));
    }, 45_000);
    worker.on('message', (m) => {
      if (m.calling) {
        Atomics.store(shared, 0, 1); // from this (main) thread, while the worker is busy in the guest
        return;
      }
      clearTimeout(backstop);
      resolve(m);
      void worker.terminate();
    });
    worker.on('error', reject);
  });
}

describe('deadline pass: interruption', () => {
  it('a loop without calls, spinning in a worker, stops once the main thread sets the flag', { timeout: 60_000 }, async () => {
    const out = await spinInWorker(addDeadlineChecks(await wat(SPIN)), 'spin');
    expect(out).toEqual({ threw: 'DeadlineExceeded', code: 'LN_ERR_BUDGET_TIME' });
  });

  it('a recursion without loops (2^60 calls) stops once the flag is set', { timeout: 60_000 }, async () => {
    const out = await spinInWorker(addDeadlineChecks(await wat(RECURSE)), 'recurse', 60);
    expect(out).toEqual({ threw: 'DeadlineExceeded', code: 'LN_ERR_BUDGET_TIME' });
  });

  it('a recursion only through call_indirect (2^60 calls, mutual) stops once the flag is set', { timeout: 60_000 }, async () => {
    const out = await spinInWorker(addDeadlineChecks(await wat(INDIRECT)), 'indirect', 60);
    expect(out).toEqual({ threw: 'DeadlineExceeded', code: 'LN_ERR_BUDGET_TIME' });
  });

  for (const name of ['table', 'nested', 'long', 'rethrows', 'callsRecursive', 'recLoop', 'skipsTheCall']) {
    it(`an evasive loop (${name}) stops once the flag is set`, { timeout: 60_000 }, async () => {
      const out = await spinInWorker(addDeadlineChecks(await wat(EVASIVE)), name, 3);
      expect(out).toEqual({ threw: 'DeadlineExceeded', code: 'LN_ERR_BUDGET_TIME' });
    });
  }

  it('a recursion through an import (the host calls back in) reaches a check within the interval', async () => {
    const text = `(module (import "env" "back" (func $back (param i32)))
      (func (export "f") (param i32) (if (local.get 0) (then
        (call $back (i32.sub (local.get 0) (i32.const 1))) (call $back (i32.sub (local.get 0) (i32.const 1)))))))`;
    const f = flag();
    Atomics.store(f, 0, 1);
    let calls = 0;
    let exports: Record<string, (n: number) => void> = {};
    const back = (n: number): void => {
      calls++;
      exports.f!(n);
    };
    const { instance } = await WebAssembly.instantiate(addDeadlineChecks(await wat(text)), { env: { back }, ...deadlineImports(f) });
    exports = instance.exports as typeof exports;
    expect(() => exports.f!(30)).toThrow(DeadlineExceeded);
    expect(calls).toBeLessThanOrEqual(DEADLINE_CHECK_INTERVAL);
  });

  it('counts at entry only the functions on a cycle of calls', async () => {
    const text = `(module
      (func $leaf (result i32) (i32.const 1))
      (func $caller (export "caller") (result i32) (call $leaf))
      (func $self (export "self") (param i32) (result i32)
        (if (result i32) (local.get 0) (then (call $self (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 0)))))`;
    const printed = await print(addDeadlineChecks(await wat(text)));
    const body = (name: string): string => {
      const at = printed.indexOf(`(func $${name} (;`);
      return printed.slice(at, printed.indexOf('(func', at + 1));
    };
    expect(body('caller')).not.toContain('global.get');
    expect(body('leaf')).not.toContain('global.get');
    // $self is entered only by its own calls and its export: it takes the count as a parameter
    // and returns it; the export enters through a wrapper that counts the global.
    expect(body('self')).toMatch(/\(param i32 i32\) \(result i32 i32\)/);
    expect(body('self')).not.toContain('global.get');
    const wrapper = printed.match(/\(export "self" \(func (\d+)\)\)/)![1];
    const at = printed.indexOf(`(func (;${wrapper};)`);
    expect(printed.slice(at, printed.indexOf('(func', at + 1) > 0 ? printed.indexOf('(func', at + 1) : undefined)).toContain('global.get');
  });

  it('a loop whose every iteration first calls a function on a call cycle counts through that call alone', async () => {
    const text = await print(addDeadlineChecks(await wat(EVASIVE)));
    const body = (name: string): string => {
      const at = text.indexOf(`(func $${name} (;`);
      return text.slice(at, text.indexOf('(func', at + 1));
    };
    // recLoop passes its count on to $rec, whose entry counts it: no count of its own (one
    // i32.eqz is the source's, one the entry count's); callsRecursive has no count to pass (it is
    // on no cycle), so $rec starts a fresh one and the loop counts; skipsTheCall: a br_if can go
    // round without the call, so it counts.
    expect(body('recLoop')).toContain('call $rec');
    expect(body('recLoop').match(/\bloop\b/g)).toHaveLength(1);
    expect(body('recLoop').match(/i32\.eqz/g)).toHaveLength(2);
    expect(body('recLoop')).not.toContain('i32.ge_u');
    expect(body('callsRecursive')).toMatch(/i32\.eqz|i32\.ge_u/);
    expect(body('skipsTheCall')).toMatch(/i32\.eqz|i32\.ge_u/);
    expect(body('rec')).toMatch(/\(param i32 i32\) \(result i32 i32\)/);
  });

  it('only a long call-free innermost loop keeps its check inline; a long loop around another loop is wrapped', async () => {
    const plainOps = '(local.set $s (i32.xor (i32.add (local.get $s) (local.get $n)) (i32.const 7)))'.repeat(4);
    const text = await print(
      addDeadlineChecks(
        await wat(`(module
      (func $long (export "long") (param $n i32) (local $s i32) (loop $l ${plainOps} (br_if $l (local.get $s))))
      (func $around (export "around") (param $n i32) (local $s i32)
        (loop $o (loop $i (br_if $i (local.tee $n (i32.sub (local.get $n) (i32.const 1))))) ${plainOps} (br_if $o (local.get $s)))))`),
      ),
    );
    const body = (name: string): string => {
      const at = text.indexOf(`(func $${name} (;`);
      return text.slice(at, text.indexOf('(func', at + 1));
    };
    expect(body('long')).toContain('i32.ge_u'); // inline, counted up
    expect(body('long')).not.toContain('i32.eqz');
    expect(body('around')).not.toContain('i32.ge_u'); // both wrapped, counted down
    expect(body('around').match(/i32\.eqz/g)).toHaveLength(2);
  });

  it.each([
    ['one-byte', 7, 4, 1],
    ['multi-byte', 1_000_000, 1000, 200],
  ] as const)('the pinning threshold counts instructions, not bytes (%s immediates)', async (_, constant, offset, local) => {
    // A loop body of 23 instructions (plus `end`) is pinned, one of 22 is wrapped; the first
    // walk skips short plain instructions without decoding them, so both encodings must count alike.
    const unit = `i32.const ${constant} i32.load offset=${offset} local.set ${local} `;
    const loop = (fill: string): string => `(loop $l ${fill} local.get ${local} br_if $l)`;
    const text = await print(
      addDeadlineChecks(
        await wat(`(module (memory 1)
        (func $pinned (export "pinned") (local i32) ${local > 1 ? `(local ${'i32 '.repeat(local)})` : ''} ${loop(unit.repeat(7))})
        (func $wrapped (export "wrapped") (local i32) ${local > 1 ? `(local ${'i32 '.repeat(local)})` : ''} ${loop(`${unit.repeat(6)}nop nop`)}))`),
      ),
    );
    const body = (name: string): string => {
      const at = text.indexOf(`(func $${name} (;`);
      return text.slice(at, text.indexOf('(func', at + 1));
    };
    expect(body('pinned')).toContain('i32.ge_u');
    expect(body('pinned')).not.toContain('i32.eqz');
    expect(body('wrapped')).toContain('i32.eqz');
    expect(body('wrapped')).not.toContain('i32.ge_u');
  });

  it('a label depth of 2^31 or more inside a wrapped loop stays invalid (not renumbered into range)', () => {
    // (module (func (loop (br_if 2^31+5 (i32.const 0))))): invalid; the pass must not make it valid.
    const leb = (v: number): number[] => {
      const out: number[] = [];
      do {
        const low = v % 128;
        v = Math.floor(v / 128);
        out.push(v > 0 ? low | 0x80 : low);
      } while (v > 0);
      return out;
    };
    const body = [0x00, 0x03, 0x40, 0x41, 0x00, 0x0d, ...leb(2 ** 31 + 5), 0x0b, 0x0b];
    const code = [0x01, body.length, ...body];
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, code.length, ...code]);
    expect(WebAssembly.validate(bytes)).toBe(false);
    expect(WebAssembly.validate(addDeadlineChecks(bytes) as Uint8Array<ArrayBuffer>)).toBe(false);
  });

  it('with fuel too: the spinning loop stops on the flag (not on fuel: the budget is huge)', { timeout: 60_000 }, async () => {
    const bytes = instrumentModule(await wat(SPIN), { ...LOOSE, deadline: true });
    const m = meter();
    const instance = await instantiate(bytes, m, deadlineImports(flag()));
    const f = flag();
    Atomics.store(f, 0, 1);
    const set = await instantiate(bytes, m, deadlineImports(f));
    expect(() => (set.exports.spin as () => void)()).toThrow(DeadlineExceeded);
    expect(instance.exports.spin).toBeTypeOf('function');
  });

  it('a check before the interval passes does not stop anything: the flag is read every interval', async () => {
    const f = flag();
    Atomics.store(f, 0, 1);
    const counted = `(module (func (export "count") (param $n i32) (result i32) (local $i i32)
      (block $done (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
      (local.get $i)))`;
    const { instance } = await WebAssembly.instantiate(addDeadlineChecks(await wat(counted)), deadlineImports(f));
    const count = instance.exports.count as (n: number) => number;
    expect(count(DEADLINE_CHECK_INTERVAL - 2)).toBe(DEADLINE_CHECK_INTERVAL - 2);
    expect(() => count(DEADLINE_CHECK_INTERVAL * 2)).toThrow(DeadlineExceeded);
  });

  it('refuses a flag that another thread could not set', () => {
    expect(() => deadlineImports(new Int32Array(1))).toThrow(TypeError);
    expect(() => deadlineImports(flag(), 1)).toThrow(RangeError);
  });
});

describe('deadline pass: same results when the flag is never set', () => {
  it('every shape the function index shift touches (imports, tables, elements, ref.func, start)', async () => {
    const plain = await wat(SHAPES);
    const checked = addDeadlineChecks(plain);
    expect(WebAssembly.validate(checked)).toBe(true);
    const a = (await WebAssembly.instantiate(plain, ENV)).instance.exports as Record<string, (n?: number) => number>;
    const b = (await WebAssembly.instantiate(checked, { ...ENV, ...deadlineImports(flag()) })).instance.exports as Record<string, (n?: number) => number>;
    for (const [name, arg] of [
      ['fib', 20],
      ['sum', 10_000],
      ['started', undefined],
      ['isFib', undefined],
    ] as const) {
      expect(b[name]!(arg), name).toBe(a[name]!(arg));
    }
    expect(b.started!()).toBe(42);
    // Names follow their functions: the check is function 1, right after the one import.
    const text = await print(checked);
    expect(text).toContain('(func $fib (;4;)');
    expect(text).toContain('(import "lnano:deadline" "check" (func (;1;)');
  });

  it('branches across wrapped loops, loops with results and parameters, br_table out of nested loops', async () => {
    const plain = await wat(LABELS);
    const checked = addDeadlineChecks(plain);
    expect(WebAssembly.validate(checked)).toBe(true);
    const a = (await WebAssembly.instantiate(plain)).instance.exports.labels as (n: number) => number;
    const b = (await WebAssembly.instantiate(checked, deadlineImports(flag()))).instance.exports.labels as (n: number) => number;
    for (const n of [0, 1, 7, 100, 10_000]) expect(b(n), `labels(${n})`).toBe(a(n));
  });

  it('cpu-c (clang -O2): fib, sieve and loop-sum, plain and with fuel', { timeout: 60_000 }, async () => {
    const { files } = await transpileBytes(readFileSync(fixture('cpu-c')), { name: 'component', instantiation: 'async', emitTypescriptDeclarations: false });
    const core = Object.entries(files).find(([name]) => CORE_MODULE_FILE.test(name))![1];
    const plain = (await WebAssembly.instantiate(core)).instance.exports as Record<string, (n: number) => unknown>;
    const checked = (await WebAssembly.instantiate(addDeadlineChecks(core), deadlineImports(flag()))).instance.exports as Record<
      string,
      (n: number) => unknown
    >;
    const m1 = meter();
    const m2 = meter();
    const fuelOnly = (await instantiate(instrumentModule(core, LOOSE), m1)).exports as Record<string, (n: number) => unknown>;
    const both = (await instantiate(instrumentModule(core, { ...LOOSE, deadline: true }), m2, deadlineImports(flag()))).exports as Record<
      string,
      (n: number) => unknown
    >;
    for (const [name, arg] of [
      ['fib', 24],
      ['sieve', 100_000],
      ['loop-sum', 100_000],
    ] as const) {
      const expected = plain[name]!(arg);
      expect(checked[name]!(arg), name).toBe(expected);
      const a = used(m1, () => fuelOnly[name]!(arg));
      const b = used(m2, () => both[name]!(arg));
      expect(b.value, name).toBe(expected);
      expect(b.fuel, `${name}: the deadline checks cost no fuel`).toBe(a.fuel);
      expect(a.fuel).toBeGreaterThan(0n);
    }
  });

  it('every core module of the fixtures and echo-c validates with fuel and deadline checks', { timeout: 120_000 }, async () => {
    const paths = ['cpu-c', 'fuel-loop', 'counter-c', 'spin', 'hostile-cpu'].map((n) => fixture(n)).concat([example('echo-c')]);
    let n = 0;
    for (const path of paths) {
      let files: Record<string, Uint8Array>;
      try {
        files = (await transpileBytes(readFileSync(path), { name: 'component', instantiation: 'async', emitTypescriptDeclarations: false })).files;
      } catch {
        continue; // a fixture that is not there in this checkout
      }
      for (const [name, bytes] of Object.entries(files)) {
        if (!CORE_MODULE_FILE.test(name)) continue;
        for (const fuel of [false, true]) {
          expect(WebAssembly.validate(instrumentModule(bytes, { ...LOOSE, fuel, deadline: true }, name)), `${path} ${name} fuel ${fuel}`).toBe(true);
          n++;
        }
      }
    }
    expect(n).toBeGreaterThanOrEqual(6);
  });

  it('random corruption: a coded error or an output that validates exactly when the input did', async () => {
    const bytes = await wat(SHAPES);
    let x = 0x5eed;
    const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8;
    const outcomes = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const copy = bytes.slice();
      for (let k = 1 + (next() % 3); k > 0; k--) copy[8 + (next() % (copy.length - 8))] = next() & 0xff;
      try {
        const out = addDeadlineChecks(copy, 'hostile');
        expect(WebAssembly.validate(out), `mutation ${i}`).toBe(WebAssembly.validate(copy));
        outcomes.add('ok');
      } catch (err) {
        if (!isLnError(err)) throw err;
        outcomes.add(err.code);
      }
    }
    expect(
      [...outcomes].every((c) => /^(ok|LN_ERR_LOAD_INVALID|LN_ERR_LOAD_UNSUPPORTED_FEATURE)$/.test(c)),
      [...outcomes].join(),
    ).toBe(true);
    expect(outcomes.has('ok')).toBe(true);
  });

  it('without fuel, the one walk (limits left to the deadline pass) writes what the two passes write, and behaves', async () => {
    // Globals past imported ones (shifted), a capped memory's grow (redirected), a table grow, calls.
    const text = `(module
      (import "env" "g" (global $imported (mut i32)))
      (import "env" "add" (func $add (param i32 i32) (result i32)))
      (memory 1 100)
      (table $t 1 10 funcref)
      (global $count (mut i32) (i32.const 0))
      (global $last (mut i32) (i32.const 0))
      (func $bump (global.set $count (call $add (global.get $count) (global.get $imported))))
      (func (export "grow") (param $n i32) (result i32)
        (local $i i32)
        (loop $l
          (call $bump)
          (global.set $last (memory.grow (i32.const 1)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (drop (table.grow $t (ref.null func) (i32.const 20)))
        (i32.add (global.get $count) (global.get $last))))`;
    const bytes = await wat(text);
    const options = { ...LOOSE, fuel: false, maxMemoryBytes: 4 * 65_536, maxTableElements: 5 };
    const fused = instrumentModule(bytes, { ...options, deadline: true });
    expect(fused).toEqual(addDeadlineChecks(instrumentModule(bytes, options)));
    const m = meter();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const g = new WebAssembly.Global({ value: 'i32', mutable: true }, 2);
    const instance = await instantiate(fused, m, { env: { g, add: (a: number, b: number) => a + b }, ...deadlineImports(flag) });
    // 5 grows of a 1-page memory capped at 4 pages: 3 succeed, then -1 (flagged); count 5 * 2.
    expect((instance.exports.grow as (n: number) => number)(5)).toBe(10 - 1);
    expect(m.growFailed.value).toBe(1);

    // A global or function index just past the input's would name what the passes add: refused.
    const small = await wat(`(module (memory 1 100) (global $g (mut i32) (i32.const 7))
      (func $f (result i32) (drop (memory.grow (i32.const 0))) (global.get $g)) (func (call $f) (drop (call $f))))`);
    const at = (seq: number[]): number => small.findIndex((_, i) => seq.every((b, k) => small[i + k] === b));
    for (const [seq, patched] of [
      [[0x23, 0x00, 0x0b], 0x01], // global.get 1: the check's counter after the shift
      [[0x10, 0x00, 0x1a], 0x02], // call 2: the grow helper
    ] as const) {
      const copy = small.slice();
      copy[at([...seq]) + 1] = patched;
      expect(WebAssembly.validate(copy)).toBe(false);
      expect(() => instrumentModule(copy, { ...options, deadline: true })).toThrow(expect.objectContaining({ code: 'LN_ERR_LOAD_INVALID' }));
    }

    // Corruption: the one walk refuses (coded) or keeps validity exactly, like the two passes.
    let x = 0x0ddba11;
    const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8;
    for (let i = 0; i < 1500; i++) {
      const copy = bytes.slice();
      for (let k = 1 + (next() % 3); k > 0; k--) copy[8 + (next() % (copy.length - 8))] = next() & 0xff;
      try {
        expect(WebAssembly.validate(instrumentModule(copy, { ...options, deadline: true })), `mutation ${i}`).toBe(WebAssembly.validate(copy));
      } catch (err) {
        if (!isLnError(err)) throw err;
        expect(err.code, `mutation ${i}`).toMatch(/^LN_ERR_(LOAD_INVALID|LOAD_UNSUPPORTED_FEATURE|BUDGET_MEMORY)$/);
      }
    }
  });

  it('200 000 nested loops (every one wrapped, branches renumbered past all of them) instrument without a walk per frame', { timeout: 60_000 }, () => {
    const depth = 200_000;
    const leb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...leb(n >>> 7)]);
    // (loop (loop ... (br <depth - 1>) ...)): the innermost branch targets the outermost loop.
    const ops = [...Array.from({ length: depth }, () => [0x03, 0x40]).flat(), 0x0c, ...leb(depth - 1), ...Array.from({ length: depth + 1 }, () => 0x0b)];
    const code = [...leb(1), ...leb(ops.length + 1), 0, ...ops];
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, ...leb(code.length), ...code]);
    const out = addDeadlineChecks(bytes); // quadratic work here would run into the test's timeout
    expect(out.length).toBeGreaterThan(bytes.length + depth * 6);
  });

  it('refuses a module that already has the checks', async () => {
    const once = addDeadlineChecks(await wat(SPIN));
    expect(() => addDeadlineChecks(once)).toThrow(expect.objectContaining({ code: 'LN_ERR_LOAD_UNSUPPORTED_FEATURE' }));
  });
});
