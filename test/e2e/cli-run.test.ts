import { describe, expect, it } from 'vitest';
import { fixture, runCli, tempDataDir } from '../helpers/cli.js';

const dataDir = tempDataDir();
const invoke = (name: string, expr: string, ...extra: string[]) => runCli(['run', fixture(name), '--invoke', expr, ...extra], { dataDir });

describe('lnano run --invoke', () => {
  it.each([
    ['numbers', 'add-u32(1, 2)', '3'],
    ['numbers', 'add-u32(4294967295, 1)', '0'],
    ['numbers', 'add-u64(18446744073709551615, 0)', '18446744073709551615'],
    ['numbers', 'neg-s64(-9223372036854775807)', '9223372036854775807'],
    ['numbers', 'half(3)', '1.5'],
    ['numbers', 'not(true)', 'false'],
    ['numbers', "next-char('a')", "'b'"],
    ['strings', 'greet("world")', '"Hello, world!"'],
    ['strings', 'greet("wörld \\u{1f600}")', '"Hello, wörld 😀!"'],
    ['strings', 'sum([1, 2, 3, 4000000000])', '4000000006'],
    ['strings', 'reverse([1, -2, 3])', '[3, -2, 1]'],
    ['strings', 'count-bytes([1, 2, 3])', '3'],
    ['types', 'flip({x: 1, y: -2})', '{x: -2, y: 1}'],
    ['types', 'describe(square(2.5))', '1'],
    ['types', 'describe(%none)', '2'],
    ['types', 'or-zero(some(5))', '5'],
    ['types', 'or-zero(none)', '0'],
    ['types', 'safe-div(7, 2)', 'ok(3)'],
    ['types', 'safe-div(1, 0)', 'err("division by zero")'],
    ['types', 'next-color(blue)', 'red'],
    ['types', 'count-perms({read, exec})', '2'],
  ])('%s %s = %s', async (name, expr, expected) => {
    const r = await invoke(name, expr);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(expected);
    expect(r.code).toBe(0);
  });

  it('prints JSON with --json', async () => {
    const r = await invoke('types', 'flip({x: 1, y: 2})', '--json');
    expect(JSON.parse(r.stdout)).toEqual({ x: 2, y: 1 });
    const div = await invoke('types', 'safe-div(1, 0)', '--json');
    expect(JSON.parse(div.stdout)).toEqual({ err: 'division by zero' });
  });

  it('refuses bad arguments with a coded usage error (exit 2)', async () => {
    for (const expr of ['add-u32(1)', 'add-u32(1, -1)', 'add-u32(1, "x")', 'add-u32(1, 2', 'nope()']) {
      const r = await invoke('numbers', expr);
      expect(r.code, expr).toBe(2);
      expect(r.stderr, expr).toMatch(/^error\[LN_ERR_(CONFIG_INVOKE|LINK_EXPORT_MISSING)\]: .+\n {2}fix: .+\n$/);
      expect(r.stdout).toBe('');
    }
  });

  it('reports a trap with its code, no stack trace, exit 1', async () => {
    const r = await invoke('trap', 'boom()');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[LN_ERR_GUEST_TRAP\]: The guest trapped in "boom": .*unreachable/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('stops a spinning guest at its deadline', async () => {
    const r = await invoke('spin', 'spin()', '--timeout', '300ms');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[LN_ERR_BUDGET_TIME\]: The call to "spin" ran past its deadline of 300 ms/);
  });
});

describe('lnano run (commands)', () => {
  it('runs a wasi:cli/command, passing its stdout and exit code through', async () => {
    const r = await runCli(['run', fixture('exit-command')], { dataDir });
    expect(r.stdout).toBe('hello from wasm\n');
    expect(r.code).toBe(1);
    const ok = await runCli(['run', fixture('exit-command-ok')], { dataDir });
    expect(ok.stdout).toBe('hello from wasm\n');
    expect(ok.code).toBe(0);
  });

  it('never loses what a guest printed just before exit(1), even with the worker killed right after', async () => {
    const runs = await Promise.all(Array.from({ length: 6 }, () => runCli(['run', fixture('exit-command')], { dataDir })));
    expect(runs.map((r) => [r.stdout, r.code])).toEqual(Array.from({ length: 6 }, () => ['hello from wasm\n', 1]));
  });

  it('asks for --invoke when the component is not a command', async () => {
    const r = await runCli(['run', fixture('numbers')], { dataDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a wasi:cli\/command/);
  });
});
