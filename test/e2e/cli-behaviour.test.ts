// How `lnano` behaves as a Unix command (issue 21, item 4), with real processes (bin/lnano.js):
// colour only on a terminal, a closed pipe ends it quietly, shell completion, `-`/`@-` for stdin,
// JSON errors with --json, "did you mean", and our coded usage errors instead of node's.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, collectOutput, fixture, ROOT, tempDataDir } from '../helpers/cli.js';
import { type ServeHost, startServe } from '../helpers/serve-host.js';

const BIN = join(ROOT, 'bin', 'lnano.js');
const ESC = '\u001b[';

type Run = CliResult;

/** Runs `lnano <args>` with `input` on its stdin and `env` over a colour-neutral environment. */
function lnano(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string | Uint8Array } = {}): Promise<Run> {
  const base = { ...process.env, LNANO_DATA_DIR: dataDir };
  delete base.FORCE_COLOR;
  delete base.NO_COLOR;
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...base, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(options.input ?? '');
  return collectOutput(child);
}

/** Runs a bash script; `lnano` is a function calling this checkout's CLI. */
function bash(script: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const child = spawn('bash', ['-c', `lnano() { ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"; }\n${script}`], {
    env: { ...process.env, LNANO_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collectOutput(child);
}

const dataDir = tempDataDir();
let host: ServeHost;
let hostEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  host = await startServe();
  await host.deploy('echo-c', '0.1.0');
  hostEnv = { LNANO_SERVER: host.adminUrl, LNANO_ADMIN_TOKEN: host.token };
}, 120_000);

afterAll(async () => {
  await host?.stop();
});

describe('colour', () => {
  it('is off in a pipe and with NO_COLOR, on with FORCE_COLOR', async () => {
    const piped = await lnano(['tiemline']);
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('error[LN_ERR_CONFIG_USAGE]');
    expect(piped.stderr).not.toContain(ESC);
    const help = await lnano(['--help']);
    expect(help.stdout).toContain('Commands:');
    expect(help.stdout).not.toContain(ESC);

    const forced = await lnano(['tiemline'], { env: { FORCE_COLOR: '1' } });
    expect(forced.stderr).toContain(`${ESC}31m`);
    expect((await lnano(['--help'], { env: { FORCE_COLOR: '1' } })).stdout).toContain(`${ESC}1mCommands:`);
    expect((await lnano(['tiemline'], { env: { FORCE_COLOR: '0' } })).stderr).not.toContain(ESC);
  });

  it('is on on a terminal (a real pty through script(1)) unless NO_COLOR is set', async () => {
    const inPty = `script -qec ${JSON.stringify(`${process.execPath} ${BIN} --help`)} /dev/null`;
    const tty = await bash(inPty, { FORCE_COLOR: '', NO_COLOR: '' });
    expect(tty.stdout).toContain(`${ESC}1mUsage:`);
    const noColor = await bash(inPty, { NO_COLOR: '1' });
    expect(noColor.stdout).toContain('Usage:');
    expect(noColor.stdout).not.toContain(ESC);
  });
});

describe('a closed pipe', () => {
  it('ends `lnano timeline -f | head -1` with status 0 and no stack trace', async () => {
    const post = setInterval(() => {
      void fetch(`${host.ingressUrl}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ specversion: '1.0', id: `p-${Date.now()}`, type: 'pipe.tick', source: '/test' }),
      }).catch(() => {});
    }, 100);
    try {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${PIPESTATUS[0]} is bash's, not a template's
      const r = await bash('lnano timeline -f --limit 1 | head -1; echo "status=${PIPESTATUS[0]}"', hostEnv);
      expect(r.stdout).toMatch(/^SEQ +TIME +STATUS +PLUGIN/);
      expect(r.stdout).toContain('status=0');
      expect(r.stderr).toBe('');
    } finally {
      clearInterval(post);
    }
  }, 60_000);

  it('ends a guest flood piped into head with status 0 and no stack trace', async () => {
    const r = await bash(`lnano run ${fixture('print-burst')} -- 50000 out return | head -1; echo "status=\${PIPESTATUS[0]}"`);
    expect(r.stdout).toMatch(/^out line 000000 of 050000/);
    expect(r.stdout).toContain('status=0');
    expect(r.stderr).toBe('');
  }, 60_000);
});

describe('timeline columns', () => {
  it('aligns its columns under a header and shortens ids; --wide shows them whole', async () => {
    await fetch(`${host.ingressUrl}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ specversion: '1.0', id: '0123456789abcdef-long-id', type: 'columns.check', source: '/test' }),
    });
    const r = await lnano(['timeline', '--type', 'columns.*'], { env: hostEnv });
    const [header, line] = r.stdout.split('\n');
    expect(header).toMatch(/^SEQ +TIME +STATUS +PLUGIN +EVENT +ID +DURATION +DETAIL$/);
    expect(line).toMatch(/^#\d+ +\d\d:\d\d:\d\d\.\d{3}Z +ok +echo-c@0\.1\.0 +columns\.check +01234567… +[\d.]+ ms$/);
    // Each column starts where its header does.
    for (const name of ['STATUS', 'PLUGIN', 'EVENT', 'ID']) expect(line![header!.indexOf(name) - 1]).toBe(' ');
    expect(line!.indexOf('echo-c')).toBe(header!.indexOf('PLUGIN'));
    const wide = await lnano(['timeline', '--type', 'columns.*', '--wide'], { env: hostEnv });
    expect(wide.stdout).toContain('0123456789abcdef-long-id');
  });
});

describe('shell completion', () => {
  it('writes a bash script that bash accepts and that completes command names and flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnano-completion-'));
    const r = await lnano(['completion', 'bash']);
    expect(r.code).toBe(0);
    writeFileSync(join(dir, 'lnano.bash'), r.stdout);
    expect((await bash(`bash -n ${join(dir, 'lnano.bash')} && echo syntax-ok`)).stdout).toContain('syntax-ok');
    const complete = (words: string[]): Promise<Run> =>
      bash(
        `source ${join(dir, 'lnano.bash')}; COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}; _lnano; echo "\${COMPREPLY[*]}"`,
      );
    expect((await complete(['lnano', 'tim'])).stdout.trim()).toBe('timeline');
    expect((await complete(['lnano', 'pro'])).stdout.trim()).toBe('promote');
    expect((await complete(['lnano', 'timeline', '--fo'])).stdout.trim()).toBe('--follow');
    expect((await complete(['lnano', 'pipeline', 'va'])).stdout.trim()).toBe('validate');
    expect((await complete(['lnano', 'completion', ''])).stdout.trim()).toBe('bash zsh fish');
    // serve's flags come from its own parser (the config keys), not from a copy.
    expect((await complete(['lnano', 'serve', '--admin-l'])).stdout.trim()).toBe('--admin-listen');
  }, 60_000);

  it('writes zsh and fish scripts with every command and its flags', async () => {
    const zsh = await lnano(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout.startsWith('#compdef lnano\n')).toBe(true);
    expect(zsh.stdout).toContain('compdef _lnano lnano');
    expect(zsh.stdout).toContain("'timeline:recent plugin calls");
    expect(zsh.stdout).toMatch(/timeline\)\n\s+_arguments -s .*'\*--status:value: '/);
    const fish = await lnano(['completion', 'fish']);
    expect(fish.code).toBe(0);
    expect(fish.stdout).toContain('complete -c lnano -n "__fish_seen_subcommand_from timeline" -l status -x');
    expect(fish.stdout).toContain('complete -c lnano -n "__fish_seen_subcommand_from run" -l manifest -r -F');
    for (const command of ['run', 'deploy', 'timeline', 'completion']) {
      expect(zsh.stdout).toContain(`    ${command})`);
      expect(fish.stdout).toMatch(new RegExp(`-a ${command} -d `));
    }
    expect((await lnano(['completion', 'tcsh'])).code).toBe(2);
  }, 60_000);
});

describe('stdin for files', () => {
  it('reads a component from - and a manifest from --manifest -', async () => {
    const bytes = readFileSync(fixture('types'));
    const r = await lnano(['run', '-', '--invoke', 'safe-div(7, 2)'], { input: bytes });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok(3)');
    const viaManifest = await lnano(['run', fixture('types'), '--manifest', '-', '--invoke', 'safe-div(8, 2)'], {
      input: JSON.stringify({ name: 'types', version: '1.0.0' }),
    });
    expect(viaManifest.stdout.trim()).toBe('ok(4)');
    const both = await lnano(['run', '-', '--manifest', '-', '--invoke', 'f()'], { input: bytes });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('both read stdin');
  });

  it('reads a pipeline to validate from - and event data from --data @-', async () => {
    const pipeline = readFileSync(join(ROOT, 'deploy', 'pipelines', 'sensor.json'), 'utf8');
    const valid = await lnano(['pipeline', 'validate', '-'], { input: pipeline });
    expect(valid.stderr).toBe('');
    expect(valid.stdout).toMatch(/^✓ -: pipeline "sensor"/);
    const invoked = await lnano(['invoke', 'echo-c', '--event-type', 'stdin.data', '--data', '@-', '--json'], { input: 'bytes from stdin', env: hostEnv });
    expect(invoked.stderr).toBe('');
    const outcome = JSON.parse(invoked.stdout) as { ok: boolean; events: Array<{ data_base64?: string; data?: unknown }> };
    expect(outcome.ok).toBe(true);
    // The bytes went as data_base64 and came back in echo-c's echo.
    expect(outcome.events[0]).toMatchObject({ datacontenttype: 'application/octet-stream', data: 'bytes from stdin' });
  });
});

describe('invoke output', () => {
  it('is indented JSON by default and one compact line with --json', async () => {
    const pretty = await lnano(['invoke', 'echo-c', '--event-type', 'out.check', '--data', '{"a":1}'], { env: hostEnv });
    expect(pretty.code).toBe(0);
    expect(pretty.stdout.split('\n').length).toBeGreaterThan(5);
    expect(pretty.stdout).toContain('\n  "plugin": "echo-c",');
    const compact = await lnano(['invoke', 'echo-c', '--event-type', 'out.check', '--data', '{"a":1}', '--json'], { env: hostEnv });
    expect(compact.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(compact.stdout)).toMatchObject({ plugin: 'echo-c', ok: true });
  });
});

describe('errors', () => {
  it('are JSON on stderr with --json, with the same exit code', async () => {
    const usage = await lnano(['timeline', '--json', '--stauts', 'ok']);
    const text = await lnano(['timeline', '--stauts', 'ok']);
    expect(usage.code).toBe(2);
    expect(text.code).toBe(2);
    const body = JSON.parse(usage.stderr) as { error: { code: string; message: string; fix: string; details: { usage: string } } };
    expect(body.error.code).toBe('LN_ERR_CONFIG_USAGE');
    expect(body.error.message).toContain('unknown flag --stauts (did you mean --status?)');
    expect(body.error.details.usage).toMatch(/^Usage: lnano timeline/);
    const unreachable = await lnano(['ls', '--json', '--server', 'http://127.0.0.1:9', '--token', 'x'.repeat(32)]);
    expect(unreachable.code).toBe(1);
    expect((JSON.parse(unreachable.stderr) as { error: { code: string } }).error.code).toBe('LN_ERR_ADMIN_UNREACHABLE');
    expect(unreachable.stdout).toBe('');
  });

  it('suggest the command meant for a misspelt one', async () => {
    const r = await lnano(['tiemline']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "tiemline"; did you mean `lnano timeline`?');
    expect(r.stderr).toContain('fix: Run `lnano help timeline`');
    expect((await lnano(['depoly'])).stderr).toContain('did you mean `lnano deploy`?');
  });

  it("are our coded usage errors with the command's synopsis, never node's parser messages", async () => {
    for (const [args, reason] of [
      [['run', '--nope'], 'lnano run: unknown flag --nope'],
      [['deploy', '--strateg', 'canary', 'x'], 'lnano deploy: unknown flag --strateg (did you mean --strategy?)'],
      [['run', 'x.wasm', '--invoke'], 'lnano run: --invoke needs a value'],
      [['logs', 'echo-c', '-n'], 'lnano logs: --lines needs a value'],
      [['ls', '--json=yes'], 'lnano ls: --json takes no value'],
      [['timeline', '-x'], 'lnano timeline: unknown flag -x'],
    ] as const) {
      const r = await lnano(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`error[LN_ERR_CONFIG_USAGE]: ${reason}`);
      expect(r.stderr).toContain(`usage: lnano ${args[0]}`);
      expect(r.stderr).not.toMatch(/ERR_PARSE_ARGS|To specify a positional|Unknown option|argument missing/);
    }
  });

  it('`lnano help help` explains help', async () => {
    const r = await lnano(['help', 'help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: lnano help \[command\]/);
    expect((await lnano(['help', 'timline'])).stderr).toContain('did you mean `lnano timeline`?');
  });
});
