// The SDK through the CLI's main(): `lnano new` + `lnano build` from an empty folder for C, C++
// and Rust with the real toolchains, then the component handles events in a real worker; every
// host import works from each language (test/fixtures/sdk/services); and hostile input: bad names,
// non-empty folders, unknown languages, broken projects and sources, missing toolchains.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closedGrants, GRANT_DEFAULTS } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { findExport } from '../../host/engine/component.js';
import { Engine } from '../../host/engine/engine.js';
import type { PluginEvent } from '../../host/engine/plugin-event.js';
import { Instance } from '../../host/sandbox/instance.js';
import type { NotifyMessage } from '../../host/sandbox/protocol.js';
import { ROOT, runLnano } from '../helpers/cli.js';

const LANGS = ['c', 'cpp', 'rust'] as const;
type Lang = (typeof LANGS)[number];
const SOURCE: Record<Lang, string> = { c: 'src/plugin.c', cpp: 'src/plugin.cpp', rust: 'src/lib.rs' };

const tmp = mkdtempSync(join(tmpdir(), 'lnano-sdk-'));
const engine = new Engine();
const instances: Instance[] = [];
afterAll(async () => {
  await Promise.all(instances.map((i) => i.dispose()));
  rmSync(tmp, { recursive: true, force: true });
});

const lnano = runLnano;

/** A new empty folder under the test's temp dir. */
function folder(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const utf8 = new TextEncoder();
const reading: PluginEvent = {
  id: 'r-1',
  type: 'sensor.reading',
  source: '/sensors/7',
  time: '2026-11-21T10:00:00Z',
  datacontenttype: 'application/json',
  data: utf8.encode('{"celsius":21.5}'),
  extensions: [['tenant', 'acme']],
};

/** Starts the built component of `dir` in a worker with closed grants. */
async function startRaw(dir: string, name: string) {
  const component = await engine.load(readFileSync(join(dir, 'component.wasm')), name);
  const instance = await Instance.start(component, { linker: linkerSpec(closedGrants(name)) });
  instances.push(instance);
  return { component, instance };
}

/** Starts the built component of `dir` in a worker, with the given grants and a notification log. */
async function start(dir: string, name: string, plugin: Partial<ReturnType<typeof closedGrants>['plugin']> = {}) {
  const component = await engine.load(readFileSync(join(dir, 'component.wasm')), name);
  const notes: NotifyMessage[] = [];
  const base = closedGrants(name);
  const instance = await Instance.start(component, {
    linker: linkerSpec({ ...base, plugin: { ...base.plugin, ...plugin } }),
    onNotify: (m) => notes.push(m),
  });
  instances.push(instance);
  const handle = findExport(component.shape, 'handler#handle');
  if (!handle) throw new Error(`${name} exports no handler`);
  return { component, notes, call: (event: PluginEvent) => instance.call(handle, [event]) };
}

describe.each(LANGS)('%s: lnano new + lnano build', (lang) => {
  const name = `hello-${lang}`;
  const cwd = folder(`new-${lang}`);
  const dir = join(cwd, name);

  it('makes a project in an empty folder that builds and handles events in a worker', async () => {
    const made = await lnano(['new', name, '--lang', lang], cwd);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'lnano.json', 'manifest.json', 'src']);
    expect(JSON.parse(readFileSync(join(dir, 'lnano.json'), 'utf8'))).toEqual({ language: lang });
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))).toMatchObject({ name, version: '0.1.0', component: './component.wasm' });
    expect(made.stdout).toContain(SOURCE[lang]);

    const built = await lnano(['build', name], cwd);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(/check toolchain\n/);
    expect(built.stdout).toMatch(/compile/);
    expect(built.stdout).toMatch(/componentize: embed wit\/plugin.wit \(world plugin\)/);
    expect(built.stdout).toMatch(new RegExp(`wrote ${name}/component.wasm \\(\\d+\\.\\d KiB\\) in \\d+\\.\\d s`));

    const { component, notes, call } = await start(dir, name);
    expect(component.kind).toBe('plugin');
    const ok = await call(reading);
    expect(ok.errResult).toBeFalsy();
    expect(ok.value).toEqual([
      {
        id: 'r-1-echo',
        type: 'sensor.reading.echoed',
        source: '/sensors/7',
        time: undefined,
        datacontenttype: 'application/json',
        data: reading.data,
        extensions: [],
      },
    ]);
    const failed = await call({ ...reading, type: 'fail' });
    expect(failed.errResult).toBe(true);
    expect(failed.value).toEqual({ tag: 'failed', val: 'asked to fail' });
    expect(notes.filter((n) => n.topic === 'log').map((n) => n.payload)).toEqual([
      { level: 'info', message: 'echo', fields: [] },
      { level: 'info', message: 'echo', fields: [] },
    ]);
  });

  it('a compile error is shown with its file and line and fails with LN_ERR_CONFIG_BUILD_FAILED', async () => {
    const broken = join(tmp, `broken-${lang}`);
    cpSync(dir, broken, { recursive: true });
    writeFileSync(join(broken, SOURCE[lang]), `${readFileSync(join(dir, SOURCE[lang]), 'utf8')}\nthis is not code;\n`);
    rmSync(join(broken, 'component.wasm'));
    const failed = await lnano(['build'], broken);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('error[LN_ERR_CONFIG_BUILD_FAILED]');
    expect(failed.stderr).toMatch(/failed at step "compile"/);
    // The compiler's own report, naming the file and line, comes first.
    const file = SOURCE[lang].split('/')[1]!;
    expect(failed.stderr).toMatch(new RegExp(`${file.replace('.', '\\.')}:\\d+`));
    expect(existsSync(join(broken, 'component.wasm'))).toBe(false);
  });

  it('a missing toolchain is LN_ERR_CONFIG_TOOLCHAIN_MISSING naming the Debian packages; `new` still works and says so', async () => {
    const empty = folder(`empty-path-${lang}`);
    const env = { ...process.env, PATH: empty };
    const failed = await lnano(['build', dir], tmp, env);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('error[LN_ERR_CONFIG_TOOLCHAIN_MISSING]');
    const packages = lang === 'rust' ? ['rustc', 'libstd-rust-dev-wasm32'] : ['clang-14'];
    for (const p of packages) expect(failed.stderr).toContain(p);
    expect(failed.stderr).toMatch(/fix: Install the Debian packages: apt-get install \S+/);

    const made = await lnano(['new', 'later', '--lang', lang], folder(`new-without-toolchain-${lang}`), env);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/note: this machine cannot build it yet: .*not found: install the Debian package/);
  });
});

it('a rustc without the wasm32 standard library (rustup without the target) is not enough: names libstd-rust-dev-wasm32', async () => {
  const bin = folder('fake-rustc');
  writeFileSync(join(bin, 'rustc'), '#!/bin/sh\necho /nonexistent-sysroot\n');
  chmodSync(join(bin, 'rustc'), 0o755);
  const failed = await lnano(['build', join(tmp, 'new-rust', 'hello-rust')], tmp, { ...process.env, PATH: bin });
  expect(failed.code).toBe(2);
  expect(failed.stderr).toContain('error[LN_ERR_CONFIG_TOOLCHAIN_MISSING]');
  expect(failed.stderr).toContain(`${join(bin, 'rustc')} has none`);
  expect(failed.stderr).toContain('apt-get install libstd-rust-dev-wasm32');
});

describe('every host import, from each language (test/fixtures/sdk/services)', () => {
  const transcripts = new Map<Lang, { data: string; notes: unknown[] }>();

  it.each(LANGS)('%s', async (lang) => {
    const cwd = folder(`services-${lang}`);
    expect((await lnano(['new', 'services', '--lang', lang], cwd)).code).toBe(0);
    const dir = join(cwd, 'services');
    const fixture = { c: 'plugin.c', cpp: 'plugin.cpp', rust: 'lib.rs' }[lang];
    cpSync(join(ROOT, 'test', 'fixtures', 'sdk', 'services', fixture), join(dir, SOURCE[lang]));
    // --out and --verbose here, so that each language is built only once for these tests.
    const built = await lnano(['build', '--verbose', '--out', 'services.wasm'], dir);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(lang === 'rust' ? /rustc .*--target wasm32-unknown-unknown/ : /clang\+?\+?-14 --target=wasm32-wasi/);
    expect(existsSync(join(dir, 'component.wasm'))).toBe(false);
    renameSync(join(dir, 'services.wasm'), join(dir, 'component.wasm'));

    const kv = { namespace: 'svc', path: join(cwd, 'kv.sqlite3'), ...GRANT_DEFAULTS.kv, maxValueBytes: 1024 };
    const { notes, call } = await start(dir, 'services', {
      config: [
        ['greeting', 'hello'],
        ['mode', 'test'],
      ],
      kv,
    });
    const result = await call(reading);
    expect(result.errResult).toBeFalsy();
    const [reply] = result.value as PluginEvent[];
    expect(reply).toMatchObject({ id: 'svc', type: 'services.done', source: '/sensors/7' });
    const data = new TextDecoder().decode(reply!.data);
    expect(data).toBe('cfg=hello;missing=none;all=greeting:hello,mode:test;set=ok;get=v1;absent=none;keys=k1,k2;del=1;del2=0;big=too-large;emit=ok');
    expect(notes.find((n) => n.topic === 'log')?.payload).toEqual({ level: 'warn', message: 'services', fields: [['unit', 'calls']] });
    const metrics = notes.filter((n) => n.topic === 'metric').map((n) => n.payload);
    expect(metrics).toEqual([
      { kind: 'counter', component: 'services', name: 'calls', value: 1.5, labels: [['unit', 'calls']] },
      { kind: 'gauge', component: 'services', name: 'level', value: -2, labels: [] },
      { kind: 'histogram', component: 'services', name: 'size', value: 42, labels: [] },
    ]);
    expect(notes.find((n) => n.topic === 'emit')?.payload).toEqual({
      id: 'f-1',
      type: 'followup',
      source: '/svc',
      time: '2026-01-01T00:00:00Z',
      datacontenttype: undefined,
      data: utf8.encode('x'),
      extensions: [['a', 'b']],
    });
    transcripts.set(lang, { data, notes: notes.map((n) => n.payload) });
  });

  it('all three languages saw and sent exactly the same', () => {
    expect(transcripts.size).toBe(3);
    const [first, ...rest] = [...transcripts.values()];
    for (const t of rest) expect(t).toEqual(first);
  });
});

describe('lifecycle and state hooks, from each language (test/fixtures/sdk/counter)', () => {
  const transcripts = new Map<Lang, unknown[]>();
  const SOURCES: Record<Lang, string> = {
    c: join(ROOT, 'test', 'fixtures', 'components', 'counter-c', 'src', 'counter.c'),
    cpp: join(ROOT, 'test', 'fixtures', 'sdk', 'counter', 'plugin.cpp'),
    rust: join(ROOT, 'test', 'fixtures', 'sdk', 'counter', 'lib.rs'),
  };

  it.each(LANGS)('%s', async (lang) => {
    const cwd = folder(`counter-${lang}`);
    expect((await lnano(['new', 'counter', '--lang', lang], cwd)).code).toBe(0);
    const dir = join(cwd, 'counter');
    cpSync(SOURCES[lang], join(dir, SOURCE[lang]));
    const built = await lnano(['build'], dir);
    expect(built.stderr).toBe('');
    expect(built.stdout).toContain('(world stateful-plugin)');

    const transcript: unknown[] = [];
    const record = async (instance: Awaited<ReturnType<typeof start>>, name: string, args: unknown[]) => {
      const fn = findExport(instance.component.shape, name);
      if (!fn) throw new Error(`no export ${name}`);
      const { value, errResult } = await instance.instance.call(fn, args);
      const shown = value instanceof Uint8Array ? new TextDecoder().decode(value) : value;
      transcript.push([name, errResult ? 'err' : 'ok', shown]);
      return { value, errResult };
    };
    const count = (r: { value: unknown }) => new TextDecoder().decode((r.value as PluginEvent[])[0]!.data);

    const old = await startRaw(dir, 'counter');
    expect((await record(old, 'init', [[]])).errResult).toBeFalsy();
    await record(old, 'handle', [reading]);
    expect(count(await record(old, 'handle', [reading]))).toBe('2');
    expect((await record(old, 'handle', [{ ...reading, type: 'fail' }])).value).toEqual({ tag: 'failed', val: 'asked to fail' });
    const snapshot = (await record(old, 'snapshot', [])).value;
    expect(new TextDecoder().decode(snapshot as Uint8Array)).toBe('counter-v1:2');
    await record(old, 'teardown', []);

    const next = await startRaw(dir, 'counter');
    await record(next, 'init', [[['mode', 'x']]]);
    expect((await record(next, 'restore', [snapshot])).errResult).toBeFalsy();
    expect(count(await record(next, 'handle', [reading]))).toBe('3');
    expect(await record(next, 'restore', [utf8.encode('garbage')])).toEqual({ value: 'unknown state format', errResult: true });

    const refused = await startRaw(dir, 'counter');
    expect(await record(refused, 'init', [[['fail-init', 'not today']]])).toEqual({ value: 'not today', errResult: true });
    const picky = await startRaw(dir, 'counter');
    await record(picky, 'init', [[['reject-restore', 'no handoff']]]);
    expect(await record(picky, 'restore', [snapshot])).toEqual({ value: 'no handoff', errResult: true });
    transcripts.set(lang, transcript);
  });

  it('all three languages behave alike', () => {
    expect(transcripts.size).toBe(3);
    const [first, ...rest] = [...transcripts.values()];
    for (const t of rest) expect(t).toEqual(first);
  });
});

describe('hostile input', () => {
  const cwd = folder('hostile');

  it.each(['Bad', '1abc', 'a--b', 'a-', '-a', 'a_b', '../x', 'a/b', 'a'.repeat(64), ''])('refuses the name %j and creates nothing', async (bad) => {
    const r = await lnano(['new', bad, '--lang', 'c'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[LN_ERR_CONFIG_USAGE]');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('refuses an unknown or missing language, naming the known ones', async () => {
    const unknown = await lnano(['new', 'x', '--lang', 'cobol'], cwd);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/error\[LN_ERR_CONFIG_USAGE\]: lnano new: unknown language "cobol" \(known: ts, js, rust, c, cpp, assemblyscript, wat\)/);
    const missing = await lnano(['new', 'x'], cwd);
    expect(missing.stderr).toContain('missing --lang');
    expect((await lnano(['new', 'x', 'y', '--lang', 'c'], cwd)).stderr).toContain('unexpected argument "y"');
    expect((await lnano(['new', 'x', '--lang', 'c', '--force'], cwd)).code).toBe(2);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('never writes into a non-empty folder or over a file', async () => {
    const taken = folder('hostile-taken');
    writeFileSync(join(taken, 'keep.txt'), 'mine');
    const r = await lnano(['new', 'x', '--lang', 'c', '--dir', taken], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[LN_ERR_CONFIG_DIR_NOT_EMPTY\]: Cannot create a project in ".*hostile-taken": it holds 1 entry \(keep.txt\)/);
    expect(readdirSync(taken)).toEqual(['keep.txt']);
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const onFile = await lnano(['new', 'x', '--lang', 'c', '--dir', file], cwd);
    expect(onFile.stderr).toContain('it exists and is not a folder');
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('builds only a folder with a valid lnano.json', async () => {
    const project = folder('hostile-project');
    const build = () => lnano(['build', project], cwd);
    const expectInvalid = async (reason: RegExp) => {
      const r = await build();
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('error[LN_ERR_CONFIG_PROJECT_INVALID]');
      expect(r.stderr).toMatch(reason);
    };
    await expectInvalid(/no lnano.json in it/);
    writeFileSync(join(project, 'lnano.json'), '{ "language": ');
    await expectInvalid(/lnano.json is not JSON/);
    writeFileSync(join(project, 'lnano.json'), '{ "language": "c", "lang": "c" }');
    await expectInvalid(/Unrecognized key.*"lang"/);
    writeFileSync(join(project, 'lnano.json'), '{ "language": "cobol" }');
    await expectInvalid(/unknown language "cobol"/);
    writeFileSync(join(project, 'lnano.json'), '{ "language": "c", "build": { "flags": "-O3" } }');
    await expectInvalid(/"build.flags" must be a list of strings/);
    writeFileSync(join(project, 'lnano.json'), '{ "language": "c", "build": { "optimize": true } }');
    await expectInvalid(/unknown key "build.optimize"/);
    writeFileSync(join(project, 'lnano.json'), '{ "language": "c" }');
    const noSources = await build();
    expect(noSources.stderr).toContain('error[LN_ERR_CONFIG_BUILD_FAILED]');
    expect(noSources.stderr).toMatch(/no C \(\.c\) sources under/);
    expect((await lnano(['build', project, 'extra'], cwd)).stderr).toContain('unexpected argument "extra"');
  });

  it('has help for both commands', async () => {
    const help = await lnano(['new', '--help'], cwd);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: lnano new <name> --lang <language>/);
    expect(help.stdout).toMatch(/rust +Rust/);
    expect((await lnano(['help', 'build'], cwd)).stdout).toMatch(/Usage: lnano build \[folder\] \[--out <file>\] \[--verbose\]/);
    expect((await lnano(['--help'], cwd)).stdout).toMatch(/new +start a plugin project[\s\S]*build +build the plugin project/);
  });
});
