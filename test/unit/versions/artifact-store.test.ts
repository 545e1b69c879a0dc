import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactStore, DIGEST, digestOf } from '../../../host/versions/artifact-store.js';
import { fixture } from '../../helpers/cli.js';
import { codeOf, codeOfAsync } from '../../helpers/errors.js';

function freshStore(): { dataDir: string; store: ArtifactStore } {
  const dataDir = mkdtempSync(join(tmpdir(), 'lnano-artifacts-'));
  return { dataDir, store: new ArtifactStore(dataDir) };
}

const strings = new Uint8Array(readFileSync(fixture('strings')));
const numbers = new Uint8Array(readFileSync(fixture('numbers')));

describe('artifact store', () => {
  it('stores a component under its sha256 and reads the same bytes back', async () => {
    const { dataDir, store } = freshStore();
    const digest = await store.put(strings);
    expect(digest).toBe(`sha256:${createHash('sha256').update(strings).digest('hex')}`);
    expect(digest).toMatch(DIGEST);
    const file = join(dataDir, 'artifacts', 'sha256', `${digest.slice(7)}.wasm`);
    expect(store.pathOf(digest)).toBe(file);
    expect(readFileSync(file).equals(Buffer.from(strings))).toBe(true);
    expect(Buffer.from(await store.get(digest)).equals(Buffer.from(strings))).toBe(true);
    expect(await store.has(digest)).toBe(true);
  });

  it('is idempotent and leaves no temporary files', async () => {
    const { store } = freshStore();
    const a = await store.put(strings);
    const b = await store.put(new Uint8Array(strings));
    expect(b).toBe(a);
    expect(readdirSync(store.dir)).toEqual([`${a.slice(7)}.wasm`]);
  });

  it('lists digests sorted, totals their sizes and removes them', async () => {
    const { store } = freshStore();
    expect(await store.list()).toEqual([]);
    expect(await store.totalBytes()).toBe(0);
    const digests = [await store.put(strings), await store.put(numbers)];
    expect(await store.list()).toEqual([...digests].sort());
    expect(await store.totalBytes()).toBe(strings.length + numbers.length);
    expect(await store.remove(digests[0]!)).toBe(true);
    expect(await store.remove(digests[0]!)).toBe(false);
    expect(await store.has(digests[0]!)).toBe(false);
    expect(await store.list()).toEqual([digests[1]]);
  });

  it('refuses a corrupted file on read with LN_ERR_LOAD_INVALID, and a later put repairs it', async () => {
    const { store } = freshStore();
    const digest = await store.put(strings);
    const damaged = Buffer.from(strings);
    damaged[damaged.length - 1] ^= 0xff;
    writeFileSync(store.pathOf(digest), damaged);
    expect(await codeOfAsync(store.get(digest))).toBe('LN_ERR_LOAD_INVALID');
    await store.get(digest).catch((e: Error) => expect(e.message).toContain('corrupted'));
    expect(await store.put(strings)).toBe(digest);
    expect(Buffer.from(await store.get(digest)).equals(Buffer.from(strings))).toBe(true);
  });

  it('reports a digest that is not stored with LN_ERR_LOAD_NOT_FOUND', async () => {
    const { store } = freshStore();
    expect(await codeOfAsync(store.get(digestOf(strings)))).toBe('LN_ERR_LOAD_NOT_FOUND');
    expect(await store.has(digestOf(strings))).toBe(false);
  });

  it.each([
    '../x',
    'sha256:../../../../etc/passwd',
    `sha256:${'A'.repeat(64)}`,
    `sha256:${'a'.repeat(63)}`,
    `sha256:${'a'.repeat(65)}`,
    `sha512:${'a'.repeat(64)}`,
    'a'.repeat(64),
    `sha256:${'a'.repeat(62)}/.`,
    '',
  ])('refuses the hostile digest %j before touching the file system', async (digest) => {
    const { dataDir, store } = freshStore();
    await store.put(strings);
    // A file the digest might reach if it were used as a path.
    mkdirSync(join(dataDir, 'artifacts', 'sha256', 'x'), { recursive: true });
    writeFileSync(join(dataDir, 'x'), 'outside');
    expect(codeOf(() => store.pathOf(digest))).toBe('LN_ERR_LOAD_NOT_FOUND');
    expect(await codeOfAsync(store.get(digest))).toBe('LN_ERR_LOAD_NOT_FOUND');
    expect(await codeOfAsync(store.has(digest))).toBe('LN_ERR_LOAD_NOT_FOUND');
    expect(await codeOfAsync(store.remove(digest))).toBe('LN_ERR_LOAD_NOT_FOUND');
    expect(existsSync(join(dataDir, 'x'))).toBe(true);
    expect(await store.list()).toEqual([digestOf(strings)]);
  });

  it('sweeps the temporary files of interrupted writes, which list() never shows', async () => {
    const { store } = freshStore();
    const digest = await store.put(strings);
    writeFileSync(join(store.dir, `.tmp-${digest.slice(7)}-abcdef`), strings.subarray(0, 10));
    writeFileSync(join(store.dir, '.tmp-whatever'), '');
    expect(await store.list()).toEqual([digest]);
    expect(await store.sweepTemporaries()).toBe(2);
    expect(readdirSync(store.dir)).toEqual([`${digest.slice(7)}.wasm`]);
    expect(await store.sweepTemporaries()).toBe(0);
  });
});
