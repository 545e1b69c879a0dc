import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { describe, expect, it } from 'vitest';
import { restoreModules, STUB_MIN_BYTES, stubComponent } from '../../../host/engine/stub-component.js';
import { fixture } from '../../helpers/cli.js';

const OPTIONS = { name: 'component', instantiation: 'async' as const, emitTypescriptDeclarations: false, noComponentErrorWrapping: false };
const ECHO_JS = join(import.meta.dirname, '..', '..', '..', 'components', 'echo-js', 'component.wasm');

describe('stubbed transpile', () => {
  it("gives jco's own output for a componentize-js component: the same bindings and every module byte for byte", async () => {
    const bytes = readFileSync(ECHO_JS);
    const stubbed = stubComponent(bytes)!;
    expect(stubbed.modules).toHaveLength(1);
    expect(stubbed.bytes.length).toBeLessThan(bytes.length / 50);
    const full = (await transpileBytes(bytes, { ...OPTIONS })).files;
    const restored = restoreModules((await transpileBytes(stubbed.bytes, { ...OPTIONS })).files, stubbed)!;
    expect(Object.keys(restored).sort()).toEqual(Object.keys(full).sort());
    for (const name of Object.keys(full)) expect(Buffer.from(restored[name]!).equals(Buffer.from(full[name]!)), name).toBe(true);
  }, 60_000);

  it('leaves a component without large core modules, or one it cannot read, to jco as it is', () => {
    const small = readFileSync(fixture('numbers'));
    expect(small.length).toBeLessThan(STUB_MIN_BYTES);
    expect(stubComponent(small)).toBeUndefined();
    const cut = readFileSync(ECHO_JS).subarray(0, 4_000_000);
    expect(stubComponent(cut)).toBeUndefined();
  });

  it("does not put a stub back when jco's output does not hold it", () => {
    const stubbed = stubComponent(readFileSync(ECHO_JS))!;
    expect(restoreModules({ 'component.js': new Uint8Array(3), 'component.core.wasm': new Uint8Array(10) }, stubbed)).toBeUndefined();
  });
});
