/**
 * components/build.mjs, the driver that builds the examples and fixtures: an unchanged example is
 * skipped, `--force` rebuilds and writes, `--verify` rebuilds but keeps the committed bytes of
 * unchanged inputs (componentize-js output differs from build to build), changed inputs are
 * always written. The example here is a folder whose build.mjs returns different bytes on every
 * build, like componentize-js.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs build script without type declarations
import { buildComponents, inputsDigest, listComponents } from '../../../components/build.mjs';

interface BuildResult {
  name: string;
  status: string;
}

const BUILD = `
let n = 0;
export async function build() {
  n += 1;
  return new TextEncoder().encode('build ' + Date.now() + ' ' + Math.random() + ' ' + n);
}
`;

function example(): { dir: string; wasm: string; source: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lnano-build-'));
  mkdirSync(join(dir, 'noisy'));
  writeFileSync(join(dir, 'noisy', 'build.mjs'), BUILD);
  writeFileSync(join(dir, 'noisy', 'plugin.src'), 'v1');
  return { dir, wasm: join(dir, 'noisy', 'component.wasm'), source: join(dir, 'noisy', 'plugin.src') };
}

async function build(dir: string, opts: { force?: boolean; verify?: boolean } = {}): Promise<string> {
  const results = (await buildComponents({ dir, ...opts })) as BuildResult[];
  expect(results.map((r) => r.name)).toEqual(['noisy']);
  return results[0]!.status;
}

describe('components/build.mjs', () => {
  it('writes a first build, then skips, verifies without writing, and writes on --force or new inputs', async () => {
    const { dir, wasm, source } = example();
    expect(await build(dir)).toBe('written');
    const first = readFileSync(wasm);

    expect(await build(dir)).toBe('up-to-date');
    expect(await build(dir, { verify: true })).toBe('verified');
    expect(readFileSync(wasm).equals(first)).toBe(true);

    expect(await build(dir, { force: true })).toBe('written');
    const forced = readFileSync(wasm);
    expect(forced.equals(first)).toBe(false);

    writeFileSync(source, 'v2');
    expect(await build(dir, { verify: true })).toBe('written');
    expect(readFileSync(wasm).equals(forced)).toBe(false);
    expect(await build(dir)).toBe('up-to-date');
  });
});

describe('the committed example and fixture binaries', () => {
  it('were built from the inputs in the tree (each component.inputs.sha256 matches its sources)', async () => {
    const root = join(import.meta.dirname, '..', '..', '..');
    const dirs = [join(root, 'components'), join(root, 'test', 'fixtures', 'components')];
    const stale: string[] = [];
    let checked = 0;
    for (const dir of dirs) {
      for (const name of (await listComponents(dir)) as string[]) {
        const recorded = join(dir, name, 'component.inputs.sha256');
        if (!existsSync(recorded)) continue;
        checked += 1;
        if (readFileSync(recorded, 'utf8').trim() !== (await inputsDigest(join(dir, name)))) stale.push(join(dir, name));
      }
    }
    expect(checked).toBeGreaterThan(10);
    // A change to a component's sources or to the SDK files it is built with (formatting too)
    // needs `node components/build.mjs` / `node test/fixtures/components/build.mjs` and a commit.
    expect(stale).toEqual([]);
  });
});
