// Issue 15 item 6: a restart with a warm transpile cache loads a component without decoding,
// transpiling or instrumenting it again, and writes nothing to the cache.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine, meterOptions } from '../../../host/engine/engine.js';
import { Transpiler } from '../../../host/engine/transpiler.js';
import { fixture } from '../../helpers/cli.js';

/** The real decode thread, counting what it is asked to do. */
class CountingTranspiler extends Transpiler {
  readonly calls = { decode: 0, transpile: 0, instrument: 0, prepare: 0 };
  override decode(...args: Parameters<Transpiler['decode']>): ReturnType<Transpiler['decode']> {
    this.calls.decode++;
    return super.decode(...args);
  }
  override instrument(...args: Parameters<Transpiler['instrument']>): ReturnType<Transpiler['instrument']> {
    this.calls.instrument++;
    return super.instrument(...args);
  }
  override prepare(...args: Parameters<Transpiler['prepare']>): ReturnType<Transpiler['prepare']> {
    this.calls.prepare++;
    return super.prepare(...args);
  }
  override transpile(...args: Parameters<Transpiler['transpile']>): ReturnType<Transpiler['transpile']> {
    this.calls.transpile++;
    return super.transpile(...args);
  }
}

/** Every file of the cache with its modification time. */
function snapshot(dir: string): Map<string, number> {
  const files = new Map<string, number>();
  for (const entry of readdirSync(dir)) {
    for (const name of readdirSync(join(dir, entry))) files.set(`${entry}/${name}`, statSync(join(dir, entry, name)).mtimeMs);
  }
  return files;
}

describe('engine: restart from a warm transpile cache', () => {
  const transpilers: Transpiler[] = [];
  afterAll(async () => {
    await Promise.all(transpilers.map((t) => t.close()));
  });

  it('decodes, transpiles and instruments nothing, and leaves the cache untouched', async () => {
    const cacheDir = join(mkdtempSync(join(tmpdir(), 'lnano-restart-')), 'transpile');
    const bytes = readFileSync(fixture('fuel-loop'));
    const meter = meterOptions({ fuel: true });
    const seeding = new CountingTranspiler();
    transpilers.push(seeding);
    const first = await new Engine({ cacheDir, transpiler: seeding }).load(bytes, 'fuel-loop', { meter });
    expect(first.source).toBe('transpiled');
    // One call to the transpiler process transpiles, instruments and writes both cache entries.
    expect(seeding.calls).toEqual({ decode: 1, transpile: 0, instrument: 0, prepare: 1 });
    const before = snapshot(cacheDir);

    // The restart: a new engine (empty memory cache), as `lnano serve` launches a version.
    const restarted = new CountingTranspiler();
    transpilers.push(restarted);
    const engine = new Engine({ cacheDir, transpiler: restarted });
    const shape = await engine.shape(bytes, 'fuel-loop', { digest: first.digest });
    const second = await engine.load(bytes, 'fuel-loop', { meter, digest: first.digest });

    expect(second.source).toBe('disk-cache');
    expect(shape).toEqual(first.shape);
    expect(second.shape).toEqual(first.shape);
    expect(second.bindings).toBe(first.bindings);
    expect([...second.modules.keys()]).toEqual([...first.modules.keys()]);
    expect(restarted.calls).toEqual({ decode: 0, transpile: 0, instrument: 0, prepare: 0 });
    expect(snapshot(cacheDir)).toEqual(before);

    // Without the bytes at all, as a restore launches a retained version: same component.
    const bytesless = new Engine({ cacheDir, transpiler: restarted });
    const fromCache = await bytesless.loadCached(first.digest, 'fuel-loop', { meter, sizeBytes: bytes.length });
    expect(fromCache).toMatchObject({ source: 'disk-cache', digest: first.digest, sizeBytes: bytes.length, bindings: first.bindings, shape: first.shape });
    expect([...fromCache!.modules.keys()]).toEqual([...first.modules.keys()]);
    expect((await bytesless.loadCached(first.digest, 'fuel-loop', { meter, sizeBytes: bytes.length }))?.source).toBe('memory-cache');
    expect(restarted.calls).toEqual({ decode: 0, transpile: 0, instrument: 0, prepare: 0 });
    // Known at another size (the stored artifact was replaced), or under other meter options: a miss.
    expect(await bytesless.loadCached(first.digest, 'fuel-loop', { meter, sizeBytes: bytes.length + 1 })).toBeUndefined();
    expect(
      await new Engine({ cacheDir, transpiler: restarted }).loadCached(first.digest, 'fuel-loop', { meter: meterOptions(), sizeBytes: bytes.length }),
    ).toBeUndefined();
  });

  it('a damaged decode entry is a miss: decoded again, not a failure', async () => {
    const cacheDir = join(mkdtempSync(join(tmpdir(), 'lnano-restart-')), 'transpile');
    const bytes = readFileSync(fixture('numbers'));
    const { digest } = await new Engine({ cacheDir }).load(bytes, 'numbers');
    const counting = new CountingTranspiler();
    transpilers.push(counting);
    const again = new Engine({ cacheDir, transpiler: counting });
    const entry = join(cacheDir, again.decodeCacheKey(digest));
    const [file] = readdirSync(entry);
    writeFileSync(join(entry, file!), '{"shape":');
    expect((await again.load(bytes, 'numbers')).source).toBe('disk-cache');
    expect(counting.calls).toEqual({ decode: 1, transpile: 0, instrument: 0, prepare: 0 });
  });
});
