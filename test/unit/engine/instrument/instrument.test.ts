// instrumentModule on whole modules: the global index shift everywhere globals are referenced,
// the added imports, and every real core module jco produces for our fixtures and examples
// (clang, componentize-js/StarlingMonkey, hand-written WAT) validating after instrumentation.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { print } from '@bytecodealliance/jco-transpile/wasm-tools';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../../host/engine/engine.js';
import { FUEL_GLOBAL, GROW_FAILED_GLOBAL, INSTRUMENT_VERSION, instrumentModule, METER_MODULE } from '../../../../host/engine/instrument/instrument.js';
import { CORE_MODULE_FILE } from '../../../../host/engine/transpile-cache.js';
import { example, fixture, ROOT } from '../../../helpers/cli.js';
import { instantiate, LOOSE, meter, naiveMeter, used, wat } from './wasm-helpers.js';

const GLOBALS = `(module
  (import "env" "g0" (global $g0 i32))
  (import "env" "f" (func $imported (result i32)))
  (import "env" "g1" (global $g1 (mut i32)))
  (global $d0 (mut i32) (global.get $g0))
  (global $d1 i32 (i32.const 42))
  (global $d2 (export "d2") (mut i64) (i64.const 7))
  (memory 1)
  (data (global.get $g0) "hi")
  (table 4 funcref)
  (elem (global.get $g0) $f)
  (func $f (result i32) (global.get $d1))
  (func (export "run") (result i32)
    (global.set $d0 (i32.add (global.get $d0) (global.get $d1)))
    (global.set $g1 (i32.const 5))
    (i32.add (global.get $d0) (call_indirect (result i32) (global.get $g0))))
  (func (export "data") (result i32) (i32.load8_u (global.get $g0)))
  (func (export "d2-plus") (result i64) (i64.add (global.get $d2) (i64.extend_i32_u (call $imported)))))`;

describe('instrumentModule: module structure', () => {
  it('exports the contract constants', () => {
    expect([METER_MODULE, FUEL_GLOBAL, GROW_FAILED_GLOBAL]).toEqual(['lnano', 'fuel', 'grow_failed']);
    expect(INSTRUMENT_VERSION).toBeGreaterThanOrEqual(1);
  });

  it.each([false, true])('shifts every global reference (code, initialisers, segments, exports; fuel %s)', async (fuel) => {
    const bytes = instrumentModule(await wat(GLOBALS), { ...LOOSE, fuel });
    expect(WebAssembly.Module.imports(new WebAssembly.Module(bytes))).toEqual([
      { module: 'env', name: 'g0', kind: 'global' },
      { module: 'env', name: 'f', kind: 'function' },
      { module: 'env', name: 'g1', kind: 'global' },
      { module: 'lnano', name: 'fuel', kind: 'global' },
      { module: 'lnano', name: 'grow_failed', kind: 'global' },
    ]);
    const g1 = new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
    const m = meter();
    const { exports } = await instantiate(bytes, m, { env: { g0: 1, g1, f: () => 3 } });
    const { value, fuel: spent } = used(m, () => (exports.run as () => number)());
    expect(value).toBe(43 + 42);
    expect(spent > 0n).toBe(fuel);
    expect(g1.value).toBe(5);
    expect((exports.data as () => number)()).toBe('h'.charCodeAt(0));
    expect((exports.d2 as WebAssembly.Global).value).toBe(7n);
    expect((exports['d2-plus'] as () => bigint)()).toBe(10n);
    expect(m.fuel.value === 1n << 40n).toBe(!fuel); // without fuel, nothing touches the counter
  });

  it('keeps global names right in the name section', async () => {
    const text = await print(instrumentModule(await wat(GLOBALS), LOOSE));
    expect(text).toContain('(global $d0 (;4;) (mut i32)');
    expect(text).toContain('(global $d2 (;6;) (mut i64)');
    expect(text).toContain('(import "env" "g1" (global $g1 (;1;) (mut i32)))');
  });

  it('a module with no code, no imports and no sections still gets its two imports', async () => {
    for (const text of ['(module)', '(module (memory 1) (data (i32.const 0) "x"))']) {
      const bytes = instrumentModule(await wat(text), LOOSE);
      expect(WebAssembly.validate(bytes)).toBe(true);
      expect(WebAssembly.Module.imports(new WebAssembly.Module(bytes)).map((i) => i.name)).toEqual(['fuel', 'grow_failed']);
      await instantiate(bytes, meter());
    }
  });
});

/** Every core module jco emits for the fixture components and the examples. */
async function realCoreModules(): Promise<Array<{ name: string; bytes: Uint8Array }>> {
  const components = readdirSync(join(ROOT, 'test', 'fixtures', 'components'))
    .map((d) => join(ROOT, 'test', 'fixtures', 'components', d, 'component.wasm'))
    .filter((p) => existsSync(p))
    .concat([example('echo-c'), example('echo-ts')]);
  const out = [];
  for (const path of components) {
    const { files } = await transpileBytes(readFileSync(path), { name: 'component', instantiation: 'async', emitTypescriptDeclarations: false });
    for (const [file, bytes] of Object.entries(files)) {
      if (CORE_MODULE_FILE.test(file)) out.push({ name: `${path.split('/').at(-2)}/${file}`, bytes });
    }
  }
  return out;
}

describe('instrumentModule: real core modules', () => {
  it('every core module of every fixture and example validates after instrumentation', { timeout: 300_000 }, async () => {
    const modules = await realCoreModules();
    expect(modules.some((m) => m.name.startsWith('echo-ts/'))).toBe(true);
    expect(modules.some((m) => m.name.startsWith('echo-c/'))).toBe(true);
    for (const { name, bytes } of modules) {
      for (const fuel of [false, true]) {
        const started = performance.now();
        const out = instrumentModule(bytes, { ...LOOSE, fuel }, name);
        const ms = performance.now() - started;
        expect(WebAssembly.validate(out), `${name} (fuel ${fuel})`).toBe(true);
        if (bytes.length > 1_000_000) {
          // Reported, not asserted: the machine is shared and noisy.
          console.log(
            `instrumented ${name} (${(bytes.length / 2 ** 20).toFixed(1)} MiB, fuel ${fuel}) in ${ms.toFixed(0)} ms → ${(out.length / 2 ** 20).toFixed(1)} MiB`,
          );
        }
      }
    }
  });
});

type Exports = Record<string, any>;

/** A component's jco bindings, instantiated in-process on its core modules transformed by `transform`. */
async function bindWith(path: string, transform: (core: Uint8Array, name: string) => Uint8Array) {
  const bytes = readFileSync(path);
  const component = await new Engine().load(bytes, path);
  const { files } = await transpileBytes(bytes, { name: 'component', instantiation: 'async', emitTypescriptDeclarations: false });
  const modules = new Map<string, WebAssembly.Module>();
  for (const [name, core] of Object.entries(files)) {
    if (CORE_MODULE_FILE.test(name)) modules.set(name, await WebAssembly.compile(transform(core, name) as Uint8Array<ArrayBuffer>));
  }
  const m = meter();
  const instantiateBindings = new Script(component.bindings).runInThisContext() as (...args: unknown[]) => Promise<Exports>;
  const exports = await instantiateBindings(
    (name: string) => modules.get(name),
    { 'liquid-nano:plugin/log': { log: () => undefined } },
    (module: WebAssembly.Module, imports: WebAssembly.Imports = {}) =>
      WebAssembly.instantiate(module, { ...imports, lnano: { fuel: m.fuel, grow_failed: m.growFailed } }),
  );
  return { exports, m };
}

describe('instrumentModule: counts on real modules', () => {
  const event = { id: 'e1', type: 'sensor', source: '/s', data: new TextEncoder().encode('hello'), extensions: [] };
  it.each([
    ['cpu-c (clang -O2)', fixture('cpu-c'), [(e: Exports) => e.fib(15), (e: Exports) => e.sieve(1000), (e: Exports) => e.loopSum(100)]],
    ['echo-c (clang -Oz, WASI adapter)', example('echo-c'), [(e: Exports) => e.handler.handle(event), (e: Exports) => e.handler.handle(event)]],
    ['echo-ts (componentize-js)', example('echo-ts'), [(e: Exports) => e.handler.handle(event), (e: Exports) => e.handler.handle(event)]],
  ] as const)('%s: the pass counts exactly what the reference meter counts', { timeout: 120_000 }, async (_, path, calls) => {
    const pass = await bindWith(path, (core, name) => instrumentModule(core, LOOSE, name));
    const naive = await bindWith(path, (core) => naiveMeter(core));
    for (const call of calls) {
      const a = used(pass.m, () => call(pass.exports));
      const b = used(naive.m, () => call(naive.exports));
      expect(a.value).toEqual(b.value);
      expect(a.fuel).toBe(b.fuel);
      expect(a.fuel).toBeGreaterThan(0n);
    }
  });
});
