// The limits pass: memories and tables, defined and imported, are bounded by the budget;
// `memory.grow` / `table.grow` past it return -1 and raise `grow_failed` (only when the budget,
// not the module's own maximum, refused); a minimum over the budget is LN_ERR_BUDGET_MEMORY.
import { describe, expect, it } from 'vitest';
import { type InstrumentOptions, instrumentModule } from '../../../../host/engine/instrument/instrument.js';
import { codeOf } from '../../../helpers/errors.js';
import { instantiate, meter, wat } from './wasm-helpers.js';

const PAGE = 65_536;
const caps = (pages: number, tableElements = 1000, fuel = false): InstrumentOptions => ({
  fuel,
  maxMemoryBytes: pages * PAGE,
  maxTableElements: tableElements,
});

const GROWER = `(module
  (memory (export "memory") 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`;

describe('limits pass: memory', () => {
  it.each([false, true])('grows up to the cap, then grow returns -1 and sets grow_failed (fuel %s)', async (fuel) => {
    const m = meter();
    const { exports } = await instantiate(instrumentModule(await wat(GROWER), caps(4, 1000, fuel)), m);
    const grow = exports.grow as (n: number) => number;
    expect(grow(2)).toBe(1);
    expect(m.growFailed.value).toBe(0);
    expect(grow(1)).toBe(3);
    expect((exports.memory as WebAssembly.Memory).buffer.byteLength).toBe(4 * PAGE);
    expect(grow(1)).toBe(-1);
    expect(m.growFailed.value).toBe(1);
    expect((exports.memory as WebAssembly.Memory).buffer.byteLength).toBe(4 * PAGE);
  });

  it('rounds the byte budget down to whole pages', async () => {
    const m = meter();
    const { exports } = await instantiate(instrumentModule(await wat(GROWER), { fuel: false, maxMemoryBytes: 2 * PAGE + 100, maxTableElements: 10 }), m);
    expect((exports.grow as (n: number) => number)(1)).toBe(1);
    expect((exports.grow as (n: number) => number)(1)).toBe(-1);
  });

  it("a module's own smaller maximum still applies, and its failures are not the budget's", async () => {
    const m = meter();
    const bytes = await wat('(module (memory 1 2) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))');
    const { exports } = await instantiate(instrumentModule(bytes, caps(100)), m);
    expect((exports.grow as (n: number) => number)(1)).toBe(1);
    expect((exports.grow as (n: number) => number)(1)).toBe(-1);
    expect(m.growFailed.value).toBe(0);
  });

  it('an imported memory gets the cap too, so a capped exporter and its importer link', async () => {
    const m = meter();
    const exporter = await instantiate(instrumentModule(await wat(GROWER), caps(3)), m);
    const importer = await instantiate(
      instrumentModule(
        await wat(`(module
      (import "env" "memory" (memory 1))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`),
        caps(3),
      ),
      m,
      { env: { memory: exporter.exports.memory } },
    );
    expect((importer.exports.grow as (n: number) => number)(2)).toBe(1);
    expect((importer.exports.grow as (n: number) => number)(1)).toBe(-1);
    expect(m.growFailed.value).toBe(1);
  });

  it('a memory whose minimum is over the budget is refused up front with LN_ERR_BUDGET_MEMORY', async () => {
    const bytes = await wat('(module (memory 10))');
    expect(codeOf(() => instrumentModule(bytes, caps(9)))).toBe('LN_ERR_BUDGET_MEMORY');
    expect(codeOf(() => instrumentModule(bytes, caps(10)))).toBe('ok');
    try {
      instrumentModule(bytes, caps(9));
    } catch (err) {
      expect((err as { details: Record<string, unknown> }).details.limitBytes).toBe(9 * PAGE);
    }
  });

  it('shared memories keep their flag and get the cap', async () => {
    const bytes = await wat('(module (memory (export "memory") 1 100 shared))');
    const { exports } = await instantiate(instrumentModule(bytes, caps(5)), meter());
    const memory = exports.memory as WebAssembly.Memory;
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(() => memory.grow(5)).toThrow(RangeError);
    expect(memory.grow(4)).toBe(1);
  });
});

describe('limits pass: tables', () => {
  const TABLES = `(module
    (table $t (export "table") 2 funcref)
    (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0))))`;

  it('bounds defined tables; table.grow past the cap returns -1 and sets grow_failed', async () => {
    const m = meter();
    const { exports } = await instantiate(instrumentModule(await wat(TABLES), caps(1, 10)), m);
    expect((exports.grow as (n: number) => number)(8)).toBe(2);
    expect((exports.grow as (n: number) => number)(1)).toBe(-1);
    expect(m.growFailed.value).toBe(1);
    expect((exports.table as WebAssembly.Table).length).toBe(10);
  });

  it('a table whose minimum is over the budget is refused with LN_ERR_BUDGET_MEMORY', async () => {
    const bytes = await wat('(module (table 20 funcref))');
    expect(codeOf(() => instrumentModule(bytes, caps(1, 19)))).toBe('LN_ERR_BUDGET_MEMORY');
  });

  it('bounds imported tables (the jco shim pattern: an exported table another module fills)', async () => {
    const m = meter();
    const shim = await instantiate(instrumentModule(await wat('(module (table (export "t") 1 funcref))'), caps(1, 5)), m);
    const user = await instantiate(
      instrumentModule(
        await wat(`(module
      (import "shim" "t" (table 1 funcref))
      (func (export "grow") (param i32) (result i32) (table.grow 0 (ref.null func) (local.get 0))))`),
        caps(1, 5),
      ),
      m,
      { shim: { t: shim.exports.t } },
    );
    expect((user.exports.grow as (n: number) => number)(4)).toBe(1);
    expect((user.exports.grow as (n: number) => number)(1)).toBe(-1);
    expect(m.growFailed.value).toBe(1);
  });
});

describe('limits pass: options', () => {
  it('refuses budgets that are not non-negative integers', async () => {
    const bytes = await wat('(module)');
    expect(codeOf(() => instrumentModule(bytes, { fuel: false, maxMemoryBytes: -1, maxTableElements: 1 }))).toBe('LN_ERR_CONFIG_INVALID');
    expect(codeOf(() => instrumentModule(bytes, { fuel: false, maxMemoryBytes: 1, maxTableElements: 0.5 }))).toBe('LN_ERR_CONFIG_INVALID');
  });
});
