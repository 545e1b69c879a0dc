/**
 * The lean synchronous call path through jco's bindings (host/engine/lean-bindings.ts): every real
 * component gets it, and each behaviour it keeps is checked against jco's own bindings of the same
 * component, run side by side through the sandbox's `GuestHost` with the real linker.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { closedGrants, type InstanceGrants } from '../../../host/capabilities/grants.js';
import { linkerSpec } from '../../../host/capabilities/linker-spec.js';
import { bindingsScript, isCurrentBindings, isLeanBindings, toClassicScript } from '../../../host/engine/bindings-source.js';
import { type Component, findExport, unversionedName } from '../../../host/engine/component.js';
import { Engine } from '../../../host/engine/engine.js';
import { lastLeanRefusal, leanBindings } from '../../../host/engine/lean-bindings.js';
import { sharedTranspiler } from '../../../host/engine/transpiler.js';
import { GuestHost } from '../../../host/sandbox/guest-host.js';
import type { NotifyMessage, ResultMessage, WorkerToHost } from '../../../host/sandbox/protocol.js';
import { example, fixture } from '../../helpers/cli.js';

const cacheDir = await mkdtemp(join(tmpdir(), 'lnano-lean-'));
const engine = new Engine({ cacheDir });
afterAll(() => rm(cacheDir, { recursive: true, force: true }));

const bytesOf = (path: string): Uint8Array => new Uint8Array(readFileSync(path));
const load = (name: string, path = fixture(name)): Promise<Component> => engine.load(bytesOf(path), name);

/** The options the engine transpiles with (engine.ts). */
const TRANSPILE = { name: 'component', instantiation: 'async', emitTypescriptDeclarations: false, noComponentErrorWrapping: false };

/** jco's bindings of a component as jco made them: its module as a classic script, no lean path. */
async function jcoScript(path: string): Promise<string> {
  const files = await sharedTranspiler().transpile(bytesOf(path), TRANSPILE, { subject: path, timeoutMs: 60_000 });
  return toClassicScript(Buffer.from(files['component.js']!).toString('utf8'));
}

/** A guest of `component` run with `bindings` in a `GuestHost` of its own, with the real linker. */
async function guest(component: Component, bindings: string, grants: InstanceGrants = closedGrants('lean-test')) {
  const posted: WorkerToHost[] = [];
  const host = new GuestHost({ deadlineFlag: new Int32Array(new SharedArrayBuffer(4)), post: (m) => posted.push(m) });
  const requiredImports = [
    ...new Set(component.shape.imports.filter((i) => i.kind === 'interface' || i.kind === 'function').map((i) => unversionedName(i.name))),
  ];
  await host.init({
    type: 'init',
    instance: 1,
    subject: 'lean-test',
    bindings,
    modules: [...component.modules],
    requiredImports,
    linker: linkerSpec(grants),
    meter: component.meter,
    outputRate: null,
  });
  let id = 0;
  return {
    host,
    /** What the guest host posted outside call results (output, notifications). */
    posted,
    call(name: string, args: unknown[] = []): ResultMessage & { notes?: readonly NotifyMessage[] } {
      const target = findExport(component.shape, name)!;
      return host.call({
        type: 'call',
        instance: 1,
        id: ++id,
        name,
        path: target.path,
        args,
        fuel: null,
        maxOutputBytes: null,
        hostCallLimits: null,
      });
    },
  };
}

/** What a call's outcome looks like, without its usage (timing, memory) and call id. */
function outcome(result: ResultMessage & { notes?: readonly NotifyMessage[] }) {
  if (!result.ok) {
    return { ok: false, code: result.error.code, reason: result.error.details?.reason, poisoned: result.poisoned, notes: result.notes?.length ?? 0 };
  }
  return { ok: true, value: result.value, errResult: result.errResult, notes: result.notes?.map((n) => n.topic) ?? [] };
}

describe('lean bindings: which components get them', () => {
  it('every example component and every synchronous fixture (imports, resources, WASI) gets the lean path', async () => {
    const examples = ['echo-c', 'echo-ts', 'echo-js', 'echo-rust', 'echo-wat', 'echo-cpp', 'echo-as', 'persistence', 'telemetry', 'transformer'];
    const fixtures = [
      'lean-probe',
      'trap',
      'spin',
      'numbers',
      'strings',
      'types',
      'tally',
      'print-burst',
      'exit-command',
      'env-reader',
      'counter-c',
      'emitter-c',
    ];
    const refused: string[] = [];
    for (const [name, path] of [...examples.map((n) => [n, example(n)] as const), ...fixtures.map((n) => [n, fixture(n)] as const)]) {
      const c = await load(name, path);
      if (!isLeanBindings(c.bindings)) refused.push(`${name}: ${c.bindings.slice(0, c.bindings.indexOf('\n'))}`);
    }
    expect(refused).toEqual([]);
  }, 300_000);

  it('leaves jco bindings it does not recognise as they are, and says why', async () => {
    const jco = await jcoScript(fixture('lean-probe'));
    expect(leanBindings(jco)).toBeTypeOf('string');
    // An asynchronous import lowering: not this path's business.
    const asyncImport = jco.replaceAll(/(isAsync: )false(,\n\s*isManualAsync: _trampoline0\.manuallyAsync)/g, '$1true$2');
    expect(asyncImport).not.toBe(jco);
    expect(leanBindings(asyncImport)).toBeUndefined();
    expect(lastLeanRefusal).toMatch(/not a synchronous import/);
    // Task machinery the rewrite does not know, left in a wrapper.
    const unknownUse = jco.replace('task.setCalleeIsAsync(false);', 'task.setCalleeIsAsync(false); task.addBorrowedHandle();');
    expect(leanBindings(unknownUse)).toBeUndefined();
    // bindingsScript then keeps jco's code, names the reason, and still compiles.
    const module = `export function instantiate(${unknownUse.slice(unknownUse.indexOf('function instantiate(') + 'function instantiate('.length, unknownUse.lastIndexOf('return instantiate;'))}`;
    const kept = bindingsScript(module);
    expect(isCurrentBindings(kept)).toBe(true);
    expect(isLeanBindings(kept)).toBe(false);
    expect(kept.split('\n')[0]).toMatch(/^\/\* lnano bindings format \d+: jco \(.+\) \*\/$/);
    expect(() => new Script(kept)).not.toThrow();
  });

  it('skips string literals: a name that reads like the task machinery does not confuse the rewrite', async () => {
    const jco = await jcoScript(fixture('lean-probe'));
    // The guest's names appear only inside strings; one holding brackets, quotes and wrapper code.
    const hostile = jco.replace(
      "_trampoline0.fnName = 'liquid-nano:plugin/log@0.1.0#log';",
      `_trampoline0.fnName = 'log\\'}); task.resolve([1]); \`$${'{'}(' + "} ) ] {" + \`\\\`\`;`,
    );
    expect(hostile).not.toBe(jco);
    const lean = leanBindings(hostile);
    expect(lean).toBeTypeOf('string');
    expect(lean).toContain("fnName = 'log\\'}); task.resolve([1]); `");
    expect(() => new Script(lean!)).not.toThrow();
  });

  it('a cache entry made before the lean path is made again, not reused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lnano-lean-cache-'));
    try {
      const first = new Engine({ cacheDir: dir });
      const c = await first.load(bytesOf(fixture('numbers')), 'numbers');
      expect(isLeanBindings(c.bindings)).toBe(true);
      // Rewrite the entry as the previous format stored it: jco's classic script, no header.
      const key = first.cacheKey(c.digest);
      const file = join(dir, key, 'bindings.js');
      const stored = await readFile(file, 'utf8');
      await writeFile(file, stored.slice(stored.indexOf('\n') + 1));
      const again = await new Engine({ cacheDir: dir }).load(bytesOf(fixture('numbers')), 'numbers');
      expect(again.source).toBe('transpiled');
      expect(isLeanBindings(again.bindings)).toBe(true);
      expect(isCurrentBindings(await readFile(file, 'utf8'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('lean bindings behave as jco bindings do', () => {
  /** The same calls on a guest with jco's bindings and on one with the lean path. */
  async function both(name: string) {
    const component = await load(name);
    expect(isLeanBindings(component.bindings)).toBe(true);
    return { component, jco: await guest(component, await jcoScript(fixture(name))), lean: await guest(component, component.bindings) };
  }

  it('a call through an import: same value, same log note', async () => {
    const { jco, lean } = await both('lean-probe');
    for (let i = 0; i < 3; i++) {
      expect(outcome(lean.call('hello'))).toEqual(outcome(jco.call('hello')));
    }
    expect(outcome(lean.call('hello'))).toEqual({ ok: true, value: 7, errResult: false, notes: ['log'] });
  });

  it('strings in and out with post-return: same results, and the heap is reset after each call', async () => {
    const { jco, lean } = await both('lean-probe');
    for (const name of ['world', 'ünïcødé ✓', '', 'x'.repeat(10_000)]) {
      const got = outcome(lean.call('greet', [name]));
      expect(got).toEqual(outcome(jco.call('greet', [name])));
      expect(got).toMatchObject({ ok: true, value: `hi ${name}` });
    }
    // 200 × 10 KB would pass the guest's 64 KiB heap if post-return did not reset it.
    for (let i = 0; i < 200; i++) expect(lean.call('greet', ['y'.repeat(10_000)]).ok).toBe(true);
  });

  it('a hostile string result pointing past the end of memory is refused, and the host goes on', async () => {
    const { jco, lean } = await both('lean-probe');
    const got = outcome(lean.call('bad-string'));
    expect(got).toEqual(outcome(jco.call('bad-string')));
    expect(got).toMatchObject({ ok: false, code: 'LN_ERR_GUEST_TRAP', poisoned: true });
    expect(String(got.reason)).toMatch(/RangeError/);
  });

  it('an import called from post-return traps (the component may not leave), as in jco', async () => {
    const { jco, lean } = await both('lean-probe');
    const got = outcome(lean.call('log-in-post-return'));
    expect(got).toEqual(outcome(jco.call('log-in-post-return')));
    expect(got).toMatchObject({ ok: false, code: 'LN_ERR_GUEST_TRAP', poisoned: true });
    expect(String(got.reason)).toMatch(/cannot leave component instance/);
  });

  it('a trap inside a lean call fails that call, after the import it made, and poisons the instance', async () => {
    const { jco, lean } = await both('lean-probe');
    const got = outcome(lean.call('boom'));
    expect(got).toEqual(outcome(jco.call('boom')));
    expect(got).toMatchObject({ ok: false, code: 'LN_ERR_GUEST_TRAP', poisoned: true, notes: 1 });
    expect(String(got.reason)).toMatch(/unreachable/);
    // The host forgot the poisoned instance.
    expect(lean.host.size).toBe(0);
  });

  it('a trapped instance refuses its next call (cannot enter component instance), as in jco', async () => {
    const component = await load('trap');
    const make = async (bindings: string) => {
      const instantiate = new Script(bindings).runInThisContext() as (
        get: (n: string) => WebAssembly.Module,
        imports: object,
        core: (m: WebAssembly.Module, i?: WebAssembly.Imports) => Promise<WebAssembly.Instance>,
      ) => Promise<Record<string, () => number>>;
      return instantiate(
        (n) => component.modules.get(n)!,
        {},
        (m, i) => WebAssembly.instantiate(m, i ?? {}),
      );
    };
    for (const exports of [await make(await jcoScript(fixture('trap'))), await make(component.bindings)]) {
      expect(exports.ok!()).toBe(7);
      expect(() => exports.boom!()).toThrow(/unreachable/);
      expect(() => exports.ok!()).toThrow(/cannot enter component instance/);
    }
  });

  it('a guest exit (wasi:cli/exit) ends the call with LN_ERR_GUEST_EXIT, as in jco', async () => {
    const { component, jco, lean } = await both('exit-command');
    const run = component.shape.exports.find((e) => e.name.startsWith('wasi:cli/run@'))!;
    const call = (g: Awaited<ReturnType<typeof guest>>) =>
      outcome(
        g.host.call({
          type: 'call',
          instance: 1,
          id: 1,
          name: 'run',
          path: [run.name, 'run'],
          args: [],
          fuel: null,
          maxOutputBytes: null,
          hostCallLimits: null,
        }),
      );
    const got = call(lean);
    expect(got).toEqual(call(jco));
    expect(got).toMatchObject({ ok: false, code: 'LN_ERR_GUEST_EXIT', poisoned: true });
  });

  it('an exported resource: constructed, used, disposed (its handle dropped), refused after', async () => {
    const component = await load('tally');
    type Tally = { add(n: number): number; get(): number; [Symbol.dispose](): void };
    const make = async (bindings: string) => {
      const instantiate = new Script(bindings).runInThisContext() as (
        get: (n: string) => WebAssembly.Module,
        imports: object,
        core: (m: WebAssembly.Module, i?: WebAssembly.Imports) => Promise<WebAssembly.Instance>,
      ) => Promise<Record<string, Record<string, new (start: number) => Tally>>>;
      const exports = await instantiate(
        (n) => component.modules.get(n)!,
        {},
        (m, i) => WebAssembly.instantiate(m, i ?? {}),
      );
      return exports['lnano:test/tallies']!.Tally!;
    };
    const runs: unknown[] = [];
    for (const Tally of [await make(await jcoScript(fixture('tally'))), await make(component.bindings)]) {
      const trace: unknown[] = [];
      const a = new Tally(5);
      const b = new Tally(100);
      trace.push(a.add(2), b.add(1), a.get(), b.get());
      a[Symbol.dispose]();
      trace.push(
        String(
          (() => {
            try {
              return a.get();
            } catch (err) {
              return err;
            }
          })(),
        ),
      );
      trace.push(b.add(1));
      // The dropped handle is free again: a new tally reuses the table slot and starts afresh.
      const c = new Tally(1);
      trace.push(c.get(), b.get());
      runs.push(trace);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[1]).toEqual([7, 101, 7, 101, 'TypeError: Resource error: Not a valid "Tally" resource.', 102, 1, 102]);
  });

  it('WASI host resources (streams borrowed and dropped per write): same output and result', async () => {
    const component = await load('print-burst');
    const run = component.shape.exports.find((e) => e.name.startsWith('wasi:cli/run@'))!;
    const runs: Array<{ result: unknown; stdout: string; stderr: string }> = [];
    const closed = closedGrants('print-burst');
    const grants = { ...closed, wasi: { ...closed.wasi, args: ['print-burst', '300', 'both', 'return'] } };
    for (const bindings of [await jcoScript(fixture('print-burst')), component.bindings]) {
      const g = await guest(component, bindings, grants);
      const result = outcome(
        g.host.call({
          type: 'call',
          instance: 1,
          id: 1,
          name: 'run',
          path: [run.name, 'run'],
          args: [],
          fuel: null,
          maxOutputBytes: null,
          hostCallLimits: null,
        }),
      );
      const written = (stream: string) =>
        Buffer.concat(g.posted.flatMap((m) => (m.type === 'output' && m.stream === stream ? [Buffer.from(m.bytes)] : []))).toString('utf8');
      runs.push({ result, stdout: written('stdout'), stderr: written('stderr') });
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[1]!.result).toMatchObject({ ok: true });
    expect(runs[1]!.stdout.split('\n')).toHaveLength(301);
    expect(runs[1]!.stderr.split('\n')).toHaveLength(301);
  });

  it('reentering a synchronous export from one of its own imports traps (jco let it run without the lock)', async () => {
    const component = await load('lean-probe');
    const instantiate = new Script(component.bindings).runInThisContext() as (
      get: (n: string) => WebAssembly.Module,
      imports: object,
      core: (m: WebAssembly.Module, i?: WebAssembly.Imports) => Promise<WebAssembly.Instance>,
    ) => Promise<Record<string, (...args: unknown[]) => unknown>>;
    let exports: Record<string, (...args: unknown[]) => unknown> = {};
    let reentered: unknown;
    const imports = {
      'liquid-nano:plugin/log': {
        log: () => {
          try {
            exports.hello!();
          } catch (err) {
            reentered = err;
            throw err;
          }
        },
      },
    };
    exports = await instantiate(
      (n) => component.modules.get(n)!,
      imports,
      (m, i) => WebAssembly.instantiate(m, i ?? {}),
    );
    expect(() => exports.hello!()).toThrow(/cannot enter component instance/);
    expect(reentered).toBeInstanceOf(WebAssembly.RuntimeError);
    // The trap poisoned the instance.
    expect(() => exports.greet!('x')).toThrow(/cannot enter component instance/);
  });
});

describe('lean bindings: an import that throws', () => {
  it('fails the call with the import error; the next call runs as in jco (the failure is not carried over)', async () => {
    const component = await load('lean-probe');
    const runs: unknown[] = [];
    for (const bindings of [await jcoScript(fixture('lean-probe')), component.bindings]) {
      const instantiate = new Script(bindings).runInThisContext() as (
        get: (n: string) => WebAssembly.Module,
        imports: object,
        core: (m: WebAssembly.Module, i?: WebAssembly.Imports) => Promise<WebAssembly.Instance>,
      ) => Promise<Record<string, () => unknown>>;
      let fail = true;
      const imports = {
        'liquid-nano:plugin/log': {
          log: () => {
            if (fail) throw new Error('the host refused the line');
          },
        },
      };
      const exports = await instantiate(
        (n) => component.modules.get(n)!,
        imports,
        (m, i) => WebAssembly.instantiate(m, i ?? {}),
      );
      const trace: unknown[] = [];
      trace.push(
        String(
          (() => {
            try {
              return exports.hello!();
            } catch (err) {
              return err;
            }
          })(),
        ),
      );
      fail = false;
      trace.push(exports.hello!(), exports.hello!());
      runs.push(trace);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[1]).toEqual(['Error: the host refused the line', 7, 7]);
  });

  it('refuses an export wrapper followed by code (the lean body returns by itself)', async () => {
    const jco = await jcoScript(fixture('lean-probe'));
    const followed = jco.replace(/(\n {6}\},\n {4}\}\);\n)/, '$1    globalThis.leanProbeRan = true;\n');
    expect(followed).not.toBe(jco);
    expect(leanBindings(followed)).toBeUndefined();
    expect(lastLeanRefusal).toMatch(/code after an export wrapper/);
  });
});
