import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toClassicScript } from '../../../host/engine/bindings-source.js';
import { Engine } from '../../../host/engine/engine.js';
import { checkPreamble } from '../../../host/engine/preamble.js';
import { fixture } from '../../helpers/cli.js';
import { codeOf } from '../../helpers/errors.js';

describe('engine cache', () => {
  it('a second load of the same bytes never transpiles again, even in a new process-wide engine', async () => {
    const cacheDir = join(mkdtempSync(join(tmpdir(), 'lnano-cache-')), 'transpile');
    const bytes = readFileSync(fixture('strings'));
    const first = await new Engine({ cacheDir }).load(bytes, 'strings');
    expect(first.source).toBe('transpiled');
    const engine = new Engine({ cacheDir });
    const second = await engine.load(bytes, 'strings');
    expect(second.source).toBe('disk-cache');
    expect(second.bindings).toBe(first.bindings);
    expect([...second.modules.keys()]).toEqual([...first.modules.keys()]);
    expect((await engine.load(bytes, 'strings')).source).toBe('memory-cache');
    expect(readdirSync(cacheDir).sort()).toEqual([engine.cacheKey(first.digest), engine.decodeCacheKey(first.digest)].sort());
  });

  it('a component named by its file is read by the transpiler process, and refused when the file does not hold the digest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnano-cache-'));
    const bytes = readFileSync(fixture('numbers'));
    const digest = createHash('sha256').update(bytes).digest('hex');
    const file = join(dir, 'stored.wasm');
    writeFileSync(file, bytes);
    const loaded = await new Engine({ cacheDir: join(dir, 'transpile') }).load(bytes, 'numbers', { digest, file });
    expect(loaded.source).toBe('transpiled');
    expect(loaded.shape.exports.length).toBeGreaterThan(0);
    // The file changed after the caller hashed the bytes: the process checks what it reads.
    writeFileSync(file, readFileSync(fixture('strings')));
    const other = new Engine({ cacheDir: join(dir, 'other') });
    await expect(other.load(bytes, 'numbers', { digest, file })).rejects.toMatchObject({ code: 'LN_ERR_LOAD_INVALID' });
  });

  it('a damaged cache entry is a miss, not a failure', async () => {
    const cacheDir = join(mkdtempSync(join(tmpdir(), 'lnano-cache-')), 'transpile');
    const bytes = readFileSync(fixture('numbers'));
    const engine = new Engine({ cacheDir, memoryCacheEntries: 0 });
    const { digest } = await engine.load(bytes, 'numbers');
    rmSync(join(cacheDir, engine.cacheKey(digest), 'bindings.js'));
    expect((await engine.load(bytes, 'numbers')).source).toBe('transpiled');
  });

  it('a cached core module that does not compile fails its load only; the loads queued after it compile', async () => {
    const cacheDir = join(mkdtempSync(join(tmpdir(), 'lnano-cache-')), 'transpile');
    const bytes = readFileSync(fixture('strings'));
    const { digest } = await new Engine({ cacheDir }).load(bytes, 'strings');
    const entry = join(cacheDir, new Engine().cacheKey(digest));
    const [moduleFile] = readdirSync(entry).filter((n) => n.endsWith('.wasm'));
    writeFileSync(join(entry, moduleFile!), Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff));
    const engine = new Engine({ cacheDir });
    const [broken, other] = await Promise.allSettled([engine.load(bytes, 'strings'), engine.load(readFileSync(fixture('numbers')), 'numbers')]);
    expect(
      broken.status === 'rejected' &&
        codeOf(() => {
          throw broken.reason;
        }),
    ).toBe('LN_ERR_LOAD_INVALID');
    expect(other.status === 'fulfilled' && other.value.source).toBe('transpiled');
  });

  it('keys differ by content', async () => {
    const engine = new Engine();
    expect(engine.cacheKey('a'.repeat(64))).not.toBe(engine.cacheKey('b'.repeat(64)));
    expect(engine.cacheKey('a'.repeat(64))).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('preamble', () => {
  it.each([
    [new Uint8Array(0), 'LN_ERR_LOAD_EMPTY'],
    [Uint8Array.of(0, 0x61, 0x73), 'LN_ERR_LOAD_NOT_WASM'],
    [Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0), 'LN_ERR_LOAD_NOT_WASM'],
    [Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0), 'LN_ERR_LOAD_NOT_COMPONENT'],
    [Uint8Array.of(0, 0x61, 0x73, 0x6d, 0x0c, 0, 1, 0), 'LN_ERR_LOAD_UNSUPPORTED_VERSION'],
    [Uint8Array.of(0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0), 'ok'],
  ])('%s → %s', (bytes, code) => {
    expect(codeOf(() => checkPreamble(bytes, 'x', 1024))).toBe(code);
  });

  it('refuses oversized bytes before looking at them', () => {
    expect(codeOf(() => checkPreamble(new Uint8Array(2048), 'x', 1024))).toBe('LN_ERR_LOAD_TOO_LARGE');
  });
});

describe('bindings as a classic script', () => {
  it('turns the generated module into an expression that yields instantiate', () => {
    const src = toClassicScript(
      '"use components";\nexport function instantiate(a, b, c) { return import.meta.url + (globalThis?.process?.env?.JCO_DEBUG ? 1 : 0); }\nexport const _util = {};\n',
    );
    // biome-ignore lint/security/noGlobalEval: the test evaluates the generated script as the engine does
    // biome-ignore lint/complexity/noCommaOperator: (0, eval) is an indirect eval, in global scope
    const instantiate = (0, eval)(src) as () => string;
    expect(instantiate()).toBe('file:///lnano-bindings/0');
  });

  it('refuses generated code with imports or unexpected exports', () => {
    expect(codeOf(() => toClassicScript('import x from "y";\nexport function instantiate() {}'))).toBe('LN_ERR_LOAD_INVALID');
    expect(codeOf(() => toClassicScript('export function instantiate() {}\nexport let other = 1;'))).toBe('LN_ERR_LOAD_INVALID');
  });
});
