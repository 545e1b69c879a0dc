// The engine's metered loads: instrumented modules are cached on disk under their own key (the
// transpile key + meter options + instrument version) and in memory per (digest, options).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MEMORY_BYTES, DEFAULT_TABLE_ELEMENTS, Engine, meterOptions } from '../../../host/engine/engine.js';
import { fixture } from '../../helpers/cli.js';

describe('engine: metered loads', () => {
  it('caches instrumented modules on disk next to the transpile output; a new engine finds both', async () => {
    const cacheDir = join(mkdtempSync(join(tmpdir(), 'lnano-cache-')), 'transpile');
    const bytes = readFileSync(fixture('fuel-loop'));
    const meter = meterOptions({ fuel: true });
    const first = await new Engine({ cacheDir }).load(bytes, 'fuel-loop', { meter });
    expect(first.source).toBe('transpiled');
    expect(first.meter).toEqual(meter);
    const engine = new Engine({ cacheDir });
    expect(readdirSync(cacheDir).sort()).toEqual(
      [engine.cacheKey(first.digest), engine.cacheKey(first.digest, meter), engine.decodeCacheKey(first.digest)].sort(),
    );
    const second = await engine.load(bytes, 'fuel-loop', { meter });
    expect(second.source).toBe('disk-cache');
    const imports = (m: WebAssembly.Module) => WebAssembly.Module.imports(m).map((i) => `${i.module}.${i.name}`);
    expect(imports([...second.modules.values()][0]!)).toEqual(['lnano.fuel', 'lnano.grow_failed']);
    // Other options: another instrumentation from the cached transpile output, not a new transpile.
    const capsOnly = await engine.load(bytes, 'fuel-loop', { meter: meterOptions({ memoryBytes: 1 << 20 }) });
    expect(capsOnly.source).toBe('disk-cache');
    expect(readdirSync(cacheDir)).toHaveLength(4);
  });

  it('keeps metered and plain loads of the same bytes apart in memory; unload forgets both', async () => {
    const engine = new Engine();
    const bytes = readFileSync(fixture('fuel-loop'));
    const plain = await engine.load(bytes, 'fuel-loop');
    const metered = await engine.load(bytes, 'fuel-loop', { meter: meterOptions({ fuel: true }) });
    expect(plain.meter).toBeNull();
    expect(metered.meter?.fuel).toBe(true);
    expect((await engine.load(bytes, 'fuel-loop')).source).toBe('memory-cache');
    expect((await engine.load(bytes, 'fuel-loop', { meter: meterOptions({ fuel: true }) })).source).toBe('memory-cache');
    engine.unload(plain.digest);
    expect((await engine.load(bytes, 'fuel-loop')).source).toBe('transpiled');
    expect((await engine.load(bytes, 'fuel-loop', { meter: meterOptions({ fuel: true }) })).source).toBe('transpiled');
  });

  it('cache keys differ by meter options and from the plain key', () => {
    const engine = new Engine();
    const digest = 'a'.repeat(64);
    const keys = new Set([
      engine.cacheKey(digest),
      engine.cacheKey(digest, meterOptions()),
      engine.cacheKey(digest, meterOptions({ fuel: true })),
      engine.cacheKey(digest, meterOptions({ fuel: true, memoryBytes: 1 << 20 })),
      engine.cacheKey(digest, meterOptions({ fuel: true, tableElements: 10 })),
    ]);
    expect(keys.size).toBe(5);
  });

  it('every meter option is part of the cache key, the deadline checks too (issue 15 item 6)', () => {
    const engine = new Engine();
    const digest = 'a'.repeat(64);
    const meter = meterOptions({ fuel: true });
    expect(engine.cacheKey(digest, { ...meter, deadline: true })).not.toBe(engine.cacheKey(digest, meter));
    expect(engine.cacheKey(digest, { ...meter, deadline: false })).toBe(engine.cacheKey(digest, meter));
  });

  it('meterOptions fills in the default caps', () => {
    expect(meterOptions()).toEqual({ fuel: false, maxMemoryBytes: DEFAULT_MEMORY_BYTES, maxTableElements: DEFAULT_TABLE_ELEMENTS });
    expect(DEFAULT_MEMORY_BYTES).toBe(256 * 1024 * 1024);
  });
});
