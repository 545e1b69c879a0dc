// The SDK's TypeScript, JavaScript, AssemblyScript and WAT language modules end to end: `lnano new`
// writes a new plugin into an empty temp folder, `lnano build` builds it with its real toolchain, and the
// component is loaded by the engine and handles events in a real worker, implementing the echo
// contract of components/README.md. A broken source fails the build with the compiler's message.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedGrants } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { findExport } from '../../host/engine/component.js';
import { Engine } from '../../host/engine/engine.js';
import type { PluginEvent } from '../../host/engine/plugin-event.js';
import { Instance } from '../../host/sandbox/instance.js';
// @ts-expect-error plain ESM without types
import { loadLanguage } from '../../sdk/languages.mjs';
import { runLnano } from '../helpers/cli.js';

interface LanguageModule {
  scaffold(opts: { dir: string; name: string }): Promise<string[]>;
  check(): Promise<void>;
  build(opts: { dir: string; quiet?: boolean; onStep?: (label: string) => void }): Promise<Uint8Array>;
}

/** Each language, the source file its scaffold writes, and a line that breaks it. */
const LANGUAGES = [
  { id: 'ts', source: 'src/index.ts', broken: 'export const handler = { handle(e: Event) { return [e] ;' },
  { id: 'js', source: 'src/index.js', broken: 'export const handler = { handle(e) { return [e] ; } ; }' },
  { id: 'wat', source: 'plugin.wat', broken: '(module (func $f (result i32) (i32.add)))' },
  { id: 'assemblyscript', source: 'assembly/index.ts', broken: 'export function handle(event: Event): Event[] { return 42; }' },
] as const;

const engine = new Engine();
const instances: Instance[] = [];
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'lnano-sdk-web-'));
});
afterAll(async () => {
  await Promise.all(instances.map((i) => i.dispose()));
  await rm(tmp, { recursive: true, force: true });
});

const utf8 = new TextEncoder();
const reading: PluginEvent = {
  id: 'évt-1',
  type: 'sensor.reading',
  source: '/sensors/42',
  time: '2026-11-21T10:00:00Z',
  datacontenttype: 'application/json',
  data: utf8.encode('{"celsius":21.5,"note":"ünïcode ✓"}'),
  extensions: [['traceparent', '00-abc-def-01']],
};

describe.each(LANGUAGES)('$id', ({ id, source, broken }) => {
  it('scaffolds into an empty folder, builds, and the component echoes events in a worker', async () => {
    // Through the CLI, as an author would: lnano new, then lnano build in the new folder.
    await mkdir(join(tmp, id), { recursive: true });
    const created = await runLnano(['new', 'hello', '--lang', id], join(tmp, id));
    expect(created.code, created.stderr).toBe(0);
    const dir = join(tmp, id, 'hello');
    expect(existsSync(join(dir, source))).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'lnano.json'), 'utf8'))).toMatchObject({ language: id });
    expect(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))).toMatchObject({ name: 'hello' });

    const built = await runLnano(['build'], dir);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/wrote component\.wasm/);
    const bytes = await readFile(join(dir, 'component.wasm'));

    const component = await engine.load(bytes, `hello-${id}`);
    const instance = await Instance.start(component, { linker: linkerSpec(closedGrants(`hello-${id}`)) });
    instances.push(instance);
    const handle = findExport(component.shape, 'handle');
    expect(handle).toBeDefined();

    const ok = await instance.call(handle!, [reading]);
    expect(ok.errResult).toBe(false);
    expect(ok.value).toEqual([
      {
        id: 'évt-1-echo',
        type: 'sensor.reading.echoed',
        source: '/sensors/42',
        time: undefined,
        datacontenttype: 'application/json',
        data: reading.data,
        extensions: [],
      },
    ]);
    expect(ok.usage.hostCalls).toEqual({ log: 1 });

    const empty = await instance.call(handle!, [
      { id: '', type: '', source: '', time: undefined, datacontenttype: undefined, data: new Uint8Array([0, 255]), extensions: [] },
    ]);
    expect(empty.value).toEqual([
      { id: '-echo', type: '.echoed', source: '', time: undefined, datacontenttype: undefined, data: new Uint8Array([0, 255]), extensions: [] },
    ]);

    const echo = await instance.call(handle!, [{ ...reading, type: 'sensor.reading.echoed' }]);
    expect(echo.value).toEqual([]);

    const failed = await instance.call(handle!, [{ ...reading, type: 'fail' }]);
    expect(failed.errResult).toBe(true);
    expect(failed.value).toEqual({ tag: 'failed', val: 'asked to fail' });
    expect(instance.alive).toBe(true);
  });

  it('a broken source fails the build with a message naming the problem', async () => {
    const lang = (await loadLanguage(id)) as LanguageModule;
    const dir = join(tmp, id, 'broken');
    await lang.scaffold({ dir, name: 'broken' });
    await writeFile(join(dir, source), broken);
    const err = await lang.build({ dir }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain(source.split('/').at(-1));
  });
});

describe('hostile input', () => {
  it('scaffold refuses a folder that is not empty and a name that is not a plugin name', async () => {
    const lang = (await loadLanguage('wat')) as LanguageModule;
    const dir = join(tmp, 'hostile', 'taken');
    await lang.scaffold({ dir, name: 'taken' });
    await expect(lang.scaffold({ dir, name: 'taken' })).rejects.toThrow(/is not empty/);
    await expect(lang.scaffold({ dir: join(tmp, 'hostile', 'x'), name: '../Evil' })).rejects.toThrow(/plugin name/);
  });

  it('a JS plugin importing an interface outside the plugin world, or exporting no handler, fails before componentize', async () => {
    const lang = (await loadLanguage('js')) as LanguageModule;
    const dir = join(tmp, 'hostile', 'js');
    await lang.scaffold({ dir, name: 'js' });
    await writeFile(join(dir, 'src/index.js'), "import { x } from 'liquid-nano:plugin/types@0.1.0';\nexport const handler = { handle: () => [x] };\n");
    await expect(lang.build({ dir })).rejects.toThrow(/imports "liquid-nano:plugin\/types@0.1.0": a plugin can import only/);
    await writeFile(join(dir, 'src/index.js'), "import { x } from 'wasi:filesystem/types@0.2.0';\nexport const handler = { handle: () => [x] };\n");
    await expect(lang.build({ dir })).rejects.toThrow(/src\/index.js:1:19: Could not resolve "wasi:filesystem/);
    await writeFile(join(dir, 'src/index.js'), 'export const handle = () => [];\n');
    await expect(lang.build({ dir })).rejects.toThrow(/must export `handler`/);
  });

  it('a WAT module with the wrong signature for handle is refused by component new', async () => {
    const lang = (await loadLanguage('wat')) as LanguageModule;
    const dir = join(tmp, 'hostile', 'wat-sig');
    await lang.scaffold({ dir, name: 'wat-sig' });
    await writeFile(
      join(dir, 'plugin.wat'),
      `(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 8)
  (func (export "liquid-nano:plugin/handler@0.1.0#handle") (param i32) (result i32) i32.const 0))`,
    );
    await expect(lang.build({ dir })).rejects.toThrow(/handle/);
  });
});
