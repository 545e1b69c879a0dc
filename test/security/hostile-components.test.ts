import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../host/engine/engine.js';
import { isLnError } from '../../host/errors/ln-error.js';
import { fixture, runCli, tempDataDir } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lnano-hostile-'));
const dataDir = tempDataDir();
const valid = readFileSync(fixture('strings'));

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const unknownVersion = Uint8Array.from(valid);
unknownVersion[4] = 0x0e;

const cases: Array<[string, () => string, RegExp, number]> = [
  ['random bytes', () => file('random.wasm', randomBytes(4096)), /^error\[LN_ERR_LOAD_NOT_WASM\]: "random.wasm" is not WebAssembly/, 2],
  ['an empty file', () => file('empty.wasm', new Uint8Array(0)), /^error\[LN_ERR_LOAD_EMPTY\]: The component "empty.wasm" is empty/, 2],
  [
    'a truncated component',
    () => file('truncated.wasm', valid.subarray(0, Math.floor(valid.length / 2))),
    /^error\[LN_ERR_LOAD_INVALID\]: "truncated.wasm" is not a valid component: /,
    2,
  ],
  ['a header only', () => file('header.wasm', valid.subarray(0, 5)), /^error\[LN_ERR_LOAD_NOT_WASM\]: .*ends after 5 bytes/, 2],
  [
    'a core module',
    () => fixture('core-module', 'core-module.wasm'),
    /^error\[LN_ERR_LOAD_NOT_COMPONENT\]: .* is a core WebAssembly module, not a component/,
    2,
  ],
  ['an unknown binary version', () => file('future.wasm', unknownVersion), /^error\[LN_ERR_LOAD_UNSUPPORTED_VERSION\]: .*version 0xe/, 2],
  [
    'a directory',
    () => {
      const d = join(dir, 'adir');
      mkdirSync(d, { recursive: true });
      return d;
    },
    /^error\[LN_ERR_LOAD_NOT_FOUND\]: .*it is a directory/,
    2,
  ],
  ['a missing file', () => join(dir, 'missing.wasm'), /^error\[LN_ERR_LOAD_NOT_FOUND\]: .*no such file/, 2],
  [
    'a 100 MB file',
    () => file('huge.wasm', new Uint8Array(100 * 1024 * 1024)),
    /^error\[LN_ERR_LOAD_TOO_LARGE\]: The component .* is 104857600 bytes, over the limit/,
    2,
  ],
];

describe('hostile component files through `lnano run` and `lnano inspect`', () => {
  it.each(cases)('%s gets a clear coded error', async (_label, make, pattern, exit) => {
    const path = make();
    for (const args of [
      ['run', path, '--invoke', 'x()'],
      ['inspect', path],
    ]) {
      const r = await runCli(args, { dataDir });
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).toMatch(/\n {2}fix: .+\n$/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.code).toBe(exit);
    }
  });
});

describe('hostile bytes through the engine', () => {
  it('every prefix of a valid component loads or fails with a coded error', async () => {
    const engine = new Engine({ memoryCacheEntries: 0 });
    for (let n = 0; n < valid.length; n += Math.max(1, Math.floor(valid.length / 97))) {
      await engine.load(valid.subarray(0, n), `prefix-${n}`).then(
        () => undefined,
        (err: unknown) => expect(isLnError(err), `prefix ${n}: ${String(err)}`).toBe(true),
      );
    }
  });

  it('random mutations of a valid component load or fail with a coded error', async () => {
    const engine = new Engine({ memoryCacheEntries: 0 });
    for (let i = 0; i < 200; i++) {
      const bytes = Uint8Array.from(valid);
      const flips = 1 + (i % 4);
      for (let f = 0; f < flips; f++) bytes[8 + ((i * 7919 + f * 104729) % (bytes.length - 8))] ^= 1 << ((i + f) % 8);
      await engine.load(bytes, `mutant-${i}`).then(
        () => undefined,
        (err: unknown) => expect(isLnError(err), `mutant ${i}: ${String(err)}`).toBe(true),
      );
    }
  });
});
