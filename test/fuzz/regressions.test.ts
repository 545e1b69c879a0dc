/** Inputs the fuzzers found (see test/fuzz/regressions/README.md), each with what must hold now. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../host/engine/engine.js';
import { isLnError } from '../../host/errors/ln-error.js';

const bytes = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, import.meta.url)));

describe('fuzzer regressions', () => {
  it('a component that makes jco panic fails alone: later loads still work (wit-parser-panic.wasm)', async () => {
    const engine = new Engine({ memoryCacheEntries: 0 });
    const panics = bytes('./regressions/wit-parser-panic.wasm');
    const good = bytes('../fixtures/components/numbers/component.wasm');
    for (let round = 0; round < 2; round++) {
      const err = await engine.load(panics, 'panics.wasm').then(() => undefined, (e: unknown) => e);
      expect(isLnError(err) && err.code).toBe('LN_ERR_LOAD_INVALID');
      expect((err as Error).message).toMatch(/the transpiler panicked: internal error: entered unreachable code/);
      // Before the fix this failed with "cannot enter component instance" until a restart.
      const component = await engine.load(good, 'numbers.wasm');
      expect(component.kind).toBe('library');
      expect(component.modules.size).toBeGreaterThan(0);
    }
  });
});
