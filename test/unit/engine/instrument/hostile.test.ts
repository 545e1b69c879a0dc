// Hostile and unknown input: truncated or corrupted modules end in a coded error (never a
// RangeError, a crash or a hang), unknown opcodes and encodings are named, and nothing ever
// produces a silently wrong module.
import { describe, expect, it } from 'vitest';
import { instrumentModule } from '../../../../host/engine/instrument/instrument.js';
import { isLnError } from '../../../../host/errors/ln-error.js';
import { codeOf } from '../../../helpers/errors.js';
import { LOOSE, wat } from './wasm-helpers.js';

const SAMPLE = `(module
  (import "env" "g" (global $g i32))
  (type $t (func (param i32) (result i32)))
  (global $d (mut i32) (global.get $g))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $f)
  (data (i32.const 8) "abc")
  (func $f (type $t)
    (block $b (loop $l
      (br_if $b (i32.eqz (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (global.set $d (i32.add (global.get $d) (i32.const 1)))
      (br $l)))
    (drop (memory.grow (i32.const 1)))
    (call_indirect (type $t) (i32.const 0) (i32.const 1)))
  (export "f" (func $f)))`;

/** Instruments `bytes`; returns 'ok' (and checks the output validates) or the error code. */
function outcome(bytes: Uint8Array): string {
  try {
    const out = instrumentModule(bytes, LOOSE, 'hostile');
    // A module that instrumented must not be a silently broken one: either it validates, or the
    // input did not validate either.
    if (WebAssembly.validate(bytes)) expect(WebAssembly.validate(out)).toBe(true);
    return 'ok';
  } catch (err) {
    if (!isLnError(err)) throw err;
    return err.code;
  }
}

/** A deterministic xorshift generator, so a failure is reproducible. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

describe('instrumentModule: hostile input', () => {
  it('every truncation of a module is LN_ERR_LOAD_INVALID', async () => {
    const bytes = await wat(SAMPLE);
    expect(outcome(bytes)).toBe('ok');
    for (let n = 0; n < bytes.length; n++) {
      expect(outcome(bytes.subarray(0, n)), `truncated to ${n} bytes`).toMatch(/^(LN_ERR_LOAD_INVALID|ok)$/);
    }
    // Cutting inside a section can never give a module that instruments.
    expect(outcome(bytes.subarray(0, bytes.length - 1))).toBe('LN_ERR_LOAD_INVALID');
  });

  it('random corruption never escapes as anything but a coded error or a valid output', async () => {
    const bytes = await wat(SAMPLE);
    const next = random(0x5eed);
    const codes = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const copy = bytes.slice();
      for (let k = 1 + (next() % 3); k > 0; k--) copy[8 + (next() % (copy.length - 8))] = next() & 0xff;
      codes.add(outcome(copy));
    }
    expect([...codes].every((c) => /^(ok|LN_ERR_LOAD_INVALID|LN_ERR_LOAD_UNSUPPORTED_FEATURE|LN_ERR_BUDGET_MEMORY)$/.test(c))).toBe(true);
    expect(codes.has('LN_ERR_LOAD_INVALID')).toBe(true);
  });

  it.each([
    ['not wasm at all', [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0], 'LN_ERR_LOAD_INVALID'],
    ['a component, not a core module', [0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0], 'LN_ERR_LOAD_INVALID'],
    ['a section longer than the file', [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0x7f], 'LN_ERR_LOAD_INVALID'],
    ['a count the section cannot hold', [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 3, 0xff, 0xff, 0x7f], 'LN_ERR_LOAD_INVALID'],
    ['a LEB128 longer than 5 bytes', [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 'LN_ERR_LOAD_INVALID'],
    ['an unknown section id', [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x20, 0], 'LN_ERR_LOAD_UNSUPPORTED_FEATURE'],
    ['a duplicate section', [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 1, 0, 1, 1, 0], 'LN_ERR_LOAD_INVALID'],
  ])('%s → %s', (_, bytes, code) => {
    expect(outcome(Uint8Array.from(bytes))).toBe(code);
  });

  it('an opcode it does not know is LN_ERR_LOAD_UNSUPPORTED_FEATURE naming it, not a wrong module', async () => {
    const bytes = await wat('(module (func (result i32) (i32.const 7)))');
    for (const opcode of [[0x27], [0xfc, 0x20], [0xfd, 0x9a, 0x01], [0xfb, 0x7f], [0xfe, 0x05], [0xe0]]) {
      const at = bytes.lastIndexOf(0x41); // i32.const → the unknown opcode (+ padding nops)
      const copy = Uint8Array.from([...bytes.subarray(0, at), ...opcode, ...bytes.subarray(at + opcode.length)]);
      try {
        instrumentModule(copy, LOOSE, 'x.wasm');
        expect.unreachable(`opcode ${opcode} was accepted`);
      } catch (err) {
        expect(isLnError(err) && err.code).toBe('LN_ERR_LOAD_UNSUPPORTED_FEATURE');
        expect((err as Error).message).toContain(`0x${opcode[0]!.toString(16)}`);
      }
    }
  });

  it('branches out of the function and stray ends are invalid, not miscounted', async () => {
    const body = (ops: number[]) =>
      Uint8Array.from([
        0,
        0x61,
        0x73,
        0x6d,
        1,
        0,
        0,
        0,
        1,
        4,
        1,
        0x60,
        0,
        0, // type: (func)
        3,
        2,
        1,
        0, // one function
        10,
        ops.length + 3,
        1,
        ops.length + 1,
        0,
        ...ops, // code: no locals
      ]);
    expect(outcome(body([0x0b]))).toBe('ok');
    expect(outcome(body([0x0c, 0x05, 0x0b]))).toBe('LN_ERR_LOAD_INVALID'); // br 5 at depth 1
    expect(outcome(body([0x0b, 0x0b]))).toBe('LN_ERR_LOAD_INVALID'); // bytes after the final end
    expect(outcome(body([0x05, 0x0b]))).toBe('LN_ERR_LOAD_INVALID'); // else outside if
    expect(outcome(body([0x02, 0x40]))).toBe('LN_ERR_LOAD_INVALID'); // no end
  });

  it('deep nesting does not overflow the stack', async () => {
    const depth = 200_000;
    const ops = [...Array.from({ length: depth }, () => [0x02, 0x40]).flat(), ...Array.from({ length: depth + 1 }, () => 0x0b)];
    const size = ops.length + 1;
    const leb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...leb(n >>> 7)]);
    const code = [...leb(1), ...leb(size), 0, ...ops];
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, ...leb(code.length), ...code]);
    expect(outcome(bytes)).toBe('ok');
  });

  it('a module that already imports from "lnano" (instrumented twice) is refused', async () => {
    const once = instrumentModule(await wat(SAMPLE), LOOSE);
    expect(codeOf(() => instrumentModule(once, LOOSE))).toBe('LN_ERR_LOAD_UNSUPPORTED_FEATURE');
  });

  it('an export of a function that does not exist is LN_ERR_LOAD_INVALID (regression: it hung the wrapper builder)', async () => {
    const bytes = await wat(SAMPLE);
    const at = bytes.findIndex((b, i) => b === 0x07 && bytes[i + 2] === 0x01 && bytes[i + 4] === 0x66); // export "f"
    const copy = bytes.slice();
    copy[at + 6] = 69; // (export "f" (func 69))
    expect(outcome(copy)).toBe('LN_ERR_LOAD_INVALID');
  });

  it.each([
    ['a global past its own (the fuel counter after the shift)', '(module (func (export "r") (result i64) (global.get 0)))'],
    ['a global set past its own', '(module (func (export "r") (global.set 1 (i32.const 1))))'],
    [
      'a call past its own functions (an appended grow helper)',
      '(module (memory 1) (func (export "r") (result i32) (drop (memory.grow (i32.const 1))) (call 1 (i32.const 5))))',
    ],
    ['an export of a global past its own', '(module (export "g" (global 0)))'],
    ['an element past its own functions', '(module (table 1 funcref) (elem (i32.const 0) func 3) (func))'],
    ['a constant expression reading a global past its own', '(module (global i64 (global.get 1)))'],
  ])('an invalid input never becomes valid by reaching what the pass appends: %s', async (_, text) => {
    const bytes = await wat(text);
    expect(WebAssembly.validate(bytes)).toBe(false);
    for (const fuel of [false, true]) expect(codeOf(() => instrumentModule(bytes, { ...LOOSE, fuel }))).toBe('LN_ERR_LOAD_INVALID');
  });

  it('an empty input is LN_ERR_LOAD_INVALID', () => {
    expect(codeOf(() => instrumentModule(new Uint8Array(0), LOOSE))).toBe('LN_ERR_LOAD_INVALID');
  });
});
