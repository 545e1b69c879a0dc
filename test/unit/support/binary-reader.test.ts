import { describe, expect, it } from 'vitest';
import { CodeCursor } from '../../../host/engine/instrument/code-cursor.js';
import { BinaryReader } from '../../../host/support/binary-reader.js';

/** A reader over `bytes` for one test. */
function reader(...bytes: number[]): BinaryReader {
  return new BinaryReader(Uint8Array.from(bytes), 'test.wasm', 'section 1 (type)');
}

/** The error code and message a read throws. */
function failure(read: () => unknown): { code: string; message: string } {
  try {
    read();
  } catch (err) {
    const e = err as { code: string; message: string };
    return { code: e.code, message: e.message };
  }
  throw new Error('the read did not fail');
}

describe('BinaryReader: the one LEB128 and bounds-checked reader', () => {
  it.each([
    [[0x00], 0],
    [[0x7f], 127],
    [[0x80, 0x01], 128],
    [[0xe5, 0x8e, 0x26], 624485],
    [[0x80, 0x80, 0x80, 0x80, 0x00], 0], // a valid, padded encoding
    [[0xff, 0xff, 0xff, 0xff, 0x0f], 0xffff_ffff],
  ])('u32 %j is %d', (bytes, value) => {
    const r = reader(...bytes);
    expect(r.u32('a count')).toBe(value);
    expect(r.atEnd).toBe(true);
  });

  it('rejects a u32 with bits past 32, longer than 5 bytes, or cut short', () => {
    expect(failure(() => reader(0xff, 0xff, 0xff, 0xff, 0x1f).u32('a type index'))).toEqual({
      code: 'LN_ERR_LOAD_INVALID',
      message: expect.stringContaining('section 1 (type): a type index: LEB128 u32 out of range at offset 0'),
    });
    expect(failure(() => reader(0x80, 0x80, 0x80, 0x80, 0x80, 0x00).u32()).message).toContain('LEB128 u32 out of range');
    expect(failure(() => reader(0x80, 0x80).u32('a type index')).message).toContain('unexpected end of data reading a type index');
    expect(failure(() => reader().u32()).message).toContain('unexpected end of data reading a LEB128 u32');
  });

  it.each([
    [[0x40], -64],
    [[0x7f], -1],
    [[0x3f], 63],
    [[0x80, 0x7f], -128],
    [[0xff, 0xff, 0xff, 0xff, 0x0f], 0xffff_ffff], // the largest s33
    [[0x80, 0x80, 0x80, 0x80, 0x70], -(2 ** 32)], // the smallest s33
  ])('s33 %j is %d', (bytes, value) => {
    expect(reader(...bytes).s33()).toBe(value);
  });

  it('rejects an s33 whose unused high bits do not repeat the sign', () => {
    expect(failure(() => reader(0xff, 0xff, 0xff, 0xff, 0x1f).s33('a block type')).message).toContain('a block type: LEB128 s33 out of range');
    expect(failure(() => reader(0x80, 0x80, 0x80, 0x80, 0x50).s33()).message).toContain('LEB128 s33 out of range');
  });

  it('skips 64-bit integers of up to 10 bytes and no more', () => {
    const ten = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
    const r = reader(...ten, 0x2a);
    r.skipLeb('an i64.const');
    expect(r.byte()).toBe(0x2a);
    expect(failure(() => reader(...ten.slice(0, 9), 0x80, 0x01).skipLeb('an i64.const')).message).toContain(
      'an i64.const: LEB128 integer longer than 10 bytes',
    );
    expect(failure(() => reader(0x80, 0x80).skipLeb()).message).toContain('unexpected end of data reading a LEB128 integer');
  });

  it('reads u64 values exactly up to 2^53 - 1 and saturates above', () => {
    expect(reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f).u64()).toBe(2 ** 53 - 1);
    expect(reader(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10).u64()).toBe(Number.MAX_SAFE_INTEGER);
    expect(reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01).u64()).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('checks a count against the bytes left and against a shared item budget', () => {
    expect(failure(() => reader(0x05, 1, 2, 3).count('fields', 1)).message).toContain('5 fields cannot fit in the 3 byte(s) left at offset 0');
    const r = reader(0x02, 0x00, 0x00, 0x02, 0x00, 0x00);
    r.budget = { used: 0, max: 3 };
    expect(r.count('fields')).toBe(2);
    r.skip(2);
    expect(failure(() => r.count('cases')).code).toBe('LN_ERR_LOAD_TOO_COMPLEX');
  });

  it('reads names as UTF-8 and refuses invalid UTF-8; sub-readers keep absolute offsets', () => {
    expect(reader(0x03, 0x61, 0x62, 0x63).name('an export name')).toBe('abc');
    expect(failure(() => reader(0x02, 0xc3, 0x28).name('an export name')).message).toContain('an export name is not valid UTF-8 at offset 0');
    const outer = reader(0xaa, 0x01, 0x02, 0x03);
    outer.skip(1);
    const inner = outer.sub(2, 'section 2 (import)');
    expect(inner.byte()).toBe(0x01);
    expect(failure(() => inner.take(2, 'a limit')).message).toContain(
      'section 2 (import): unexpected end of data reading a limit (needs 2 byte(s), 1 left) at offset 2',
    );
    expect(outer.byte()).toBe(0x03);
  });

  it('is the instrumenter cursor too: the same reads, errors naming the core module', () => {
    const c = new CodeCursor(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x1f]), 'echo.wasm');
    expect(failure(() => c.u32()).message).toMatch(/core module: LEB128 u32 out of range at offset 0 \(0x0\)/);
    const blocks = new CodeCursor(Uint8Array.from([0x40, 0x7f, 0x05]), 'echo.wasm');
    blocks.blockType(); // empty
    blocks.blockType(); // i32
    blocks.blockType(); // type index 5
    expect(blocks.atEnd).toBe(true);
  });
});
