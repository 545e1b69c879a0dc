// Issue 14, items 8 and 9 through the real `lnano` command: a component-model async component
// is described by inspect and refused with its code by inspect and run; a component with 50 000
// exports is refused by the decode limits with a coded error instead of a 26 s, 1.85 GB load.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, runCli, tempDataDir } from '../helpers/cli.js';
import { manyExportsComponent } from '../helpers/generated-components.js';

const dataDir = tempDataDir();

describe('lnano and component-model async', () => {
  const file = fixture('async-command');

  it('inspect describes what it can, lists the async features, and exits 2 with the code', async () => {
    const { code, stdout, stderr } = await runCli(['inspect', file], { dataDir });
    expect(code).toBe(2);
    expect(stdout).toContain('export wasi:cli/run@0.2.0 {');
    expect(stdout).toContain('run: async func() -> result;');
    expect(stdout).toMatch(/^unsupported {2}component-model async \(WASI 0\.3\): async function type, .*canon task\.return.*LN_ERR_LOAD_ASYNC_UNSUPPORTED/m);
    expect(stderr).toContain('error[LN_ERR_LOAD_ASYNC_UNSUPPORTED]');
  }, 60_000);

  it('inspect --json carries the async features', async () => {
    const { code, stdout } = await runCli(['inspect', file, '--json'], { dataDir });
    expect(code).toBe(2);
    expect(JSON.parse(stdout).asyncUses).toContain('canon lift async');
  }, 60_000);

  it('run refuses it with the code at load, before instantiating', async () => {
    const { code, stdout, stderr } = await runCli(['run', file], { dataDir });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('error[LN_ERR_LOAD_ASYNC_UNSUPPORTED]');
    expect(stderr).toContain('"component.wasm" uses component-model async (WASI 0.3)');
    expect(stderr).not.toMatch(/Suspending|Unexpected token|LN_ERR_INTERNAL/);
  }, 60_000);
});

describe('lnano and a component with 50 000 exports', () => {
  const file = join(dataDir, 'many-exports.wasm');
  writeFileSync(file, manyExportsComponent(50_000));

  // Before: inspect took 26.6 s and 1.85 GB (here 95 s+ in jco), past this test's timeout.
  for (const command of ['inspect', 'run']) {
    it(`${command} refuses it with LN_ERR_LOAD_TOO_COMPLEX naming the item limit`, async () => {
      const { code, stderr } = await runCli([command, file], { dataDir });
      expect(code).toBe(2);
      expect(stderr).toContain('error[LN_ERR_LOAD_TOO_COMPLEX]: "many-exports.wasm" is too complex to load (limit: items)');
    }, 30_000);
  }
});
