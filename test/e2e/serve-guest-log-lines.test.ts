/**
 * Issue 21 item 7: in `lnano serve`'s pretty log mode one guest log line is one terminal line
 * (pino-pretty printed each field of the record on a line of its own, ~9 lines), with the
 * guest's fields as key=value; JSON mode keeps the record as it was. A real `lnano serve` process
 * per mode, real components (emitter-c logs a warning with two fields when the host refuses its
 * emit; echo-c logs "echo"), events through the ingress, the process's stderr read as a user sees it.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { example, fixture, tempDataDir } from '../helpers/cli.js';
import { spawnServe } from '../helpers/serve-host.js';

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

const REFUSED = { reason: 'depth limit: events at depth 0 may not emit follow-ups', emitted: '0' };

/**
 * Runs `lnano serve --log-format <format>` with emitter-c and echo-c deployed, sends each an
 * event, and answers its stderr once both guests' lines are in it.
 */
async function guestLines(format: 'pretty' | 'json'): Promise<string> {
  const token = randomBytes(24).toString('hex');
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LNANO_') && k !== 'NO_COLOR')), LNANO_ADMIN_TOKEN: token };
  // maxDepth 0: the host refuses the emitter's follow-up, which it logs with fields.
  const args = ['--no-seed', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--data-dir', tempDataDir()];
  const serve = await spawnServe([...args, '--log-format', format, '--log-level', 'info', '--set', 'runtime.maxDepth=0'], { env, timeoutMs: 60_000 });
  children.push(serve.child);
  let stderr = '';
  serve.child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const auth = { authorization: `Bearer ${token}` };
  for (const [name, wasm, events] of [
    ['emitter', fixture('emitter-c'), ['emit.*']],
    ['echo', example('echo-c'), ['echo.*']],
  ] as const) {
    const stored = (await (await fetch(`${serve.adminUrl}/v1/artifacts`, { method: 'PUT', headers: auth, body: readFileSync(wasm) })).json()) as {
      digest: string;
    };
    const res = await fetch(`${serve.adminUrl}/v1/deployments`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ manifest: { name, version: '1.0.0', events: [...events] }, digest: stored.digest }),
    });
    expect(res.status, await res.text()).toBe(200);
  }
  for (const [type, data] of [
    ['emit.once', 'emit=1'],
    ['echo.hello', 'hi'],
  ]) {
    const res = await fetch(`${serve.ingressUrl}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ specversion: '1.0', id: type, type, source: '/test', datacontenttype: 'text/plain', data }),
    });
    expect(res.status).toBe(200);
  }
  const deadline = Date.now() + 15_000;
  while (!(stderr.includes('emit refused') && /echo@1\.0\.0|"component":"echo"/.test(stderr)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  return stderr;
}

describe('guest log lines in lnano serve', () => {
  it('pretty: one terminal line per guest log line, fields as key=value, no colour on a pipe', async () => {
    const stderr = await guestLines('pretty');
    const lines = stderr.split('\n');
    const refused = lines.filter((l) => l.includes('emit refused'));
    expect(refused, stderr).toEqual([
      expect.stringMatching(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(emitter@1\.0\.0\): emit refused {2}reason="depth limit: events at depth 0 may not emit follow-ups" emitted=0$/,
      ),
    ]);
    expect(
      lines.filter((l) => l.includes('(echo@1.0.0)')),
      stderr,
    ).toEqual([expect.stringMatching(/^\[[\d:.]+\] INFO \(echo@1\.0\.0\): echo$/)]);
    // Nothing of the guest records spills onto lines of their own (pino-pretty's `    guest: {` and
    // the like). The host's own lines (here: its follow-up warnings) keep pino-pretty's layout.
    expect(stderr).not.toMatch(/^\s+"?(guest|message|fields|level)"?:/m);
    // stderr is a pipe here: no escape codes.
    expect(stderr).not.toContain('\u001b[');
  });

  it('json: the guest log record keeps every field', async () => {
    const stderr = await guestLines('json');
    const records = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const refused = records.filter((r) => (r.guest as { message?: string } | undefined)?.message === 'emit refused');
    expect(refused).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'guest log',
        component: 'emitter',
        version: '1.0.0',
        guest: { level: 'warn', message: 'emit refused', fields: REFUSED },
      }),
    ]);
  });
});
