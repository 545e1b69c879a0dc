// Helpers for the instrumentation tests: WAT → bytes, instantiating instrumented modules with
// the meter globals, and a naive reference meter (the oracle the fuel pass must agree with).
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { ByteWriter } from '../../../../host/engine/instrument/byte-writer.js';
import { InstructionReader, Op } from '../../../../host/engine/instrument/instruction-reader.js';
import { type InstrumentOptions, instrumentModule } from '../../../../host/engine/instrument/instrument.js';
import { skipLimits } from '../../../../host/engine/instrument/module-layout.js';

/** Generous budgets: only fuel matters unless a test says otherwise. */
export const LOOSE: InstrumentOptions = Object.freeze({ fuel: true, maxMemoryBytes: 2 ** 31, maxTableElements: 10_000_000 });

/** Fuel a fresh call starts with in these tests. */
export const START = 1n << 40n;

/** Encodes a WAT module. */
export async function wat(text: string): Promise<Uint8Array> {
  return parse(text);
}

/** The meter globals an instrumented module imports. */
export interface Meter {
  readonly fuel: WebAssembly.Global;
  readonly growFailed: WebAssembly.Global;
}

export function meter(fuel = START): Meter {
  return {
    fuel: new WebAssembly.Global({ value: 'i64', mutable: true }, fuel),
    growFailed: new WebAssembly.Global({ value: 'i32', mutable: true }, 0),
  };
}

/** Instantiates instrumented bytes with `m`'s globals (and any other imports). */
export async function instantiate(bytes: Uint8Array, m: Meter, imports: WebAssembly.Imports = {}): Promise<WebAssembly.Instance> {
  const { instance } = await WebAssembly.instantiate(bytes, { ...imports, lnano: { fuel: m.fuel, grow_failed: m.growFailed } });
  return instance;
}

/** Runs `fn` with the fuel reset to `START`; returns how much it used (and what it returned). */
export function used<T>(m: Meter, fn: () => T): { fuel: bigint; value: T } {
  m.fuel.value = START;
  const value = fn();
  return { fuel: START - (m.fuel.value as bigint), value };
}

const FREE: ReadonlySet<number> = new Set([Op.Nop, Op.Block, Op.Loop, Op.Else, Op.End, Op.Try, Op.TryTable, Op.Catch, Op.Delegate]);

/**
 * The reference meter: the same cost model as the fuel pass (every instruction 1, structural
 * ones 0), implemented the obvious way: `fuel -= 1` on the global before every costing
 * instruction. Slow, but with nothing to get wrong. Built on the pass's own output with fuel off
 * (so imports, the global shift and grow helpers match), it must count exactly what the pass counts.
 */
export function naiveMeter(bytes: Uint8Array, options: InstrumentOptions = LOOSE): Uint8Array {
  const base = instrumentModule(bytes, { ...options, fuel: false });
  const out = new ByteWriter(base.length * 4);
  out.range(base, 0, 8);
  let importedGlobals = 0;
  const r = new InstructionReader(base, 'oracle', 8);
  while (r.pos < base.length) {
    const id = r.byte();
    const size = r.u32();
    const start = r.pos;
    const end = start + size;
    if (id === 2) importedGlobals = countImportedGlobals(new InstructionReader(base, 'oracle', start, end));
    if (id !== 10) {
      out.u8(id);
      out.u32(size);
      out.range(base, start, end);
      r.pos = end;
      continue;
    }
    const fuel = importedGlobals - 2;
    const section = new ByteWriter(size * 4);
    const n = r.u32();
    section.u32(n);
    for (let i = 0; i < n; i++) {
      const bodySize = r.u32();
      const f = new InstructionReader(base, 'oracle', r.pos, r.pos + bodySize);
      const groups = f.u32();
      for (let j = 0; j < groups; j++) {
        f.u32();
        f.valType();
      }
      const body = new ByteWriter(bodySize * 4);
      body.range(base, r.pos, f.pos);
      for (let depth = 1; depth > 0; ) {
        const at = f.pos;
        const op = f.next();
        if (!FREE.has(op)) {
          body.u8(0x23);
          body.u32(fuel);
          body.u8(0x42);
          body.s64(1);
          body.u8(0x7d);
          body.u8(0x24);
          body.u32(fuel);
        }
        if (op === Op.Block || op === Op.Loop || op === Op.If || op === Op.Try || op === Op.TryTable) depth++;
        if (op === Op.End || op === Op.Delegate) depth--;
        body.range(base, at, f.pos);
      }
      section.sized(body);
      r.pos += bodySize;
    }
    out.u8(10);
    out.u32(section.length);
    out.append(section);
  }
  return out.toBytes();
}

function countImportedGlobals(r: InstructionReader): number {
  let globals = 0;
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    r.nameBytes();
    r.nameBytes();
    const kind = r.byte();
    if (kind === 0) r.u32();
    else if (kind === 1) {
      r.valType();
      skipLimits(r);
    } else if (kind === 2) skipLimits(r);
    else if (kind === 3) {
      r.valType();
      r.byte();
      globals++;
    } else {
      r.byte();
      r.u32();
    }
  }
  return globals;
}

/** A function body without locals whose code is `unreachable` (size, local groups, unreachable, end). */
const UNREACHABLE_BODY = Uint8Array.of(3, 0, 0x00, 0x0b);

/**
 * The same module with every imported function, global, memory and table turned into a
 * definition at the front of its index space (so every index stays the same; an imported
 * function gets an `unreachable` body) and tags kept: the shape jco's `componentNew` (a
 * full-featured wasmparser validator) accepts for a core module with an empty world.
 */

export function defineImports(bytes: Uint8Array): Uint8Array {
  const sections = new Map<number, Uint8Array>();
  const order: number[] = [];
  const r = new InstructionReader(bytes, 'validate', 8);
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    sections.set(id === 0 ? 1000 + order.length : id, bytes.subarray(r.pos, r.pos + size));
    order.push(id === 0 ? 1000 + order.length : id);
    r.pos += size;
  }
  const funcs = new ByteWriter(256);
  const globals = new ByteWriter(256);
  const memories = new ByteWriter(64);
  const tables = new ByteWriter(64);
  const funcTypes = new ByteWriter(64);
  const bodies = new ByteWriter(64);
  const counts = { funcs: 0, definedFuncs: 0, globals: 0, memories: 0, tables: 0 };
  const imports = sections.get(2);
  if (imports) {
    const c = new InstructionReader(imports, 'validate');
    const n = c.u32();
    for (let i = 0; i < n; i++) {
      const at = c.pos;
      c.nameBytes();
      c.nameBytes();
      const kind = c.byte();
      const from = c.pos;
      if (kind === 0) {
        // A function import becomes a function of the same type whose body is `unreachable`.
        funcTypes.u32(c.u32());
        bodies.bytes(UNREACHABLE_BODY);
        counts.definedFuncs++;
        continue;
      }
      if (kind === 1) {
        c.valType();
        skipLimits(c);
        tables.range(imports, from, c.pos);
        counts.tables++;
      } else if (kind === 2) {
        skipLimits(c);
        memories.range(imports, from, c.pos);
        counts.memories++;
      } else if (kind === 3) {
        const type = c.byte();
        c.byte();
        globals.range(imports, from, c.pos);
        const zero: Record<number, number[]> = { 0x7f: [0x41, 0], 0x7e: [0x42, 0], 0x7d: [0x43, 0, 0, 0, 0], 0x7c: [0x44, 0, 0, 0, 0, 0, 0, 0, 0] };
        for (const b of zero[type] ?? [0xd0, type]) globals.u8(b);
        globals.u8(0x0b);
        counts.globals++;
      } else {
        c.byte();
        c.u32();
        funcs.range(imports, at, c.pos);
        counts.funcs++;
      }
    }
  }
  const merged = (id: number, prefix: ByteWriter, added: number): Uint8Array | undefined => {
    const old = sections.get(id);
    if (!old && added === 0) return undefined;
    const w = new ByteWriter(256);
    let n = 0;
    let rest = new Uint8Array(0);
    if (old) {
      const c = new InstructionReader(old, 'validate');
      n = c.u32();
      rest = old.subarray(c.pos);
    }
    w.u32(n + added);
    w.append(prefix);
    w.bytes(rest);
    return w.toBytes();
  };
  const out = new ByteWriter(bytes.length + 1024);
  out.range(bytes, 0, 8);
  const replaced = new Map<number, Uint8Array | undefined>([
    [2, counts.funcs ? merged(-1, funcs, counts.funcs) : undefined],
    [3, merged(3, funcTypes, counts.definedFuncs)],
    [4, merged(4, tables, counts.tables)],
    [5, merged(5, memories, counts.memories)],
    [6, merged(6, globals, counts.globals)],
    [10, merged(10, bodies, counts.definedFuncs)],
  ]);
  const rank = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
  const ids = [...new Set([...order, ...[...replaced].filter(([, v]) => v).map(([k]) => k)])]
    .filter((id) => id < 1000)
    .sort((a, b) => rank.indexOf(a) - rank.indexOf(b));
  for (const id of ids) {
    const content = replaced.has(id) ? replaced.get(id) : sections.get(id);
    if (!content) continue;
    out.u8(id);
    out.u32(content.length);
    out.bytes(content);
  }
  return out.toBytes();
}
