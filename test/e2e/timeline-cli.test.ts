// `lnano timeline` against a real `lnano serve` (child processes, loopback, temp data dir): the
// calls an ingress event caused, follow-ups included, printed and filtered; `-f` follows new ones.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDataDir } from '../helpers/cli.js';
import { spawnServe } from '../helpers/serve-host.js';

let child: ChildProcessWithoutNullStreams;
let ingress = '';
let admin = '';
const dataDir = tempDataDir();
const env = { LNANO_DATA_DIR: dataDir, LNANO_SERVER: '' };

beforeAll(async () => {
  // echo-c (events: *) and emitter-c (events: loop.*) as plugin folders.
  const components = mkdtempSync(join(tmpdir(), 'lnano-timeline-components-'));
  cpSync(join(ROOT, 'components', 'echo-c'), join(components, 'echo-c'), { recursive: true });
  cpSync(join(ROOT, 'test', 'fixtures', 'components', 'emitter-c'), join(components, 'emitter-c'), { recursive: true });
  writeFileSync(join(components, 'emitter-c', 'manifest.json'), JSON.stringify({ name: 'emitter', version: '1.0.0', events: ['loop.*'], priority: 5 }));
  const serve = await spawnServe(['--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--components', components, '--log-level', 'error'], {
    env: { ...process.env, LNANO_DATA_DIR: dataDir },
    timeoutMs: 60_000,
  });
  child = serve.child;
  ingress = serve.ingressUrl;
  admin = serve.adminUrl;
  env.LNANO_SERVER = admin;
}, 120_000);

afterAll(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
});

const post = (body: unknown) => fetch(`${ingress}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('lnano timeline', () => {
  it('shows the calls of an ingress event and its follow-ups; the ingress answer has the same tree', async () => {
    const res = await post({ specversion: '1.0', id: 'k1', type: 'loop.tick', source: '/cli', data: 'reply=1' });
    const body = (await res.json()) as {
      results: Array<{ plugin: string }>;
      followUps: Array<{ plugin: string; depth: number; parentEventId: string }>;
      dropped: Array<{ code: string }>;
    };
    expect(res.status).toBe(200);
    expect(body.results.map((r) => r.plugin)).toEqual(['emitter', 'echo-c']);
    // Depth 1: the emitter's reply (k1-r0) and echo-c's echo (loop.tick.echoed), each to both.
    expect(body.followUps.filter((f) => f.depth === 1).map((f) => [f.plugin, f.parentEventId])).toEqual([
      ['emitter', 'k1'],
      ['echo-c', 'k1'],
      ['emitter', 'k1'],
      ['echo-c', 'k1'],
    ]);
    expect(body.dropped.length).toBeGreaterThan(0);

    const json = await runCli(['timeline', '--json', '--component', 'emitter', '--limit', '3'], { env });
    expect(json.code).toBe(0);
    const entries = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { plugin: string; depth: number; eventId: string; status: string });
    expect(entries).toHaveLength(3);
    expect(entries.every((e) => e.plugin === 'emitter' && e.status === 'ok')).toBe(true);
    expect(entries.map((e) => e.depth)).toEqual([...entries.map((e) => e.depth)].sort((a, b) => a - b));

    const text = await runCli(['timeline', '--component', 'echo-c', '--limit', '1'], { env });
    expect(text.stdout).toMatch(
      /^SEQ +TIME +STATUS +PLUGIN +EVENT +ID +DURATION +DETAIL\n#\d+ +\S+Z +ok +echo-c@0\.1\.0 +\S+ +\S+ +[\d.]+ ms +depth=\d+ parent=\S+\n$/,
    );
  });

  it('lnano invoke goes through the runtime: its call is in the timeline too', async () => {
    const invoked = await runCli(['invoke', 'echo-c', '--event-type', 'invoked.once', '--data', '{"a":1}', '--json'], { env });
    expect(invoked.code, invoked.stderr).toBe(0);
    const json = await runCli(['timeline', '--json', '--component', 'echo-c', '--type', 'invoked.*'], { env });
    const entries = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { plugin: string; eventType: string; status: string; depth: number });
    expect(entries).toEqual([expect.objectContaining({ plugin: 'echo-c', eventType: 'invoked.once', status: 'ok', depth: 0 })]);
  });

  it('filters by status and code, and refuses bad flags with exit 2', async () => {
    await post({ id: 'k2', type: 'fail', source: '/cli' });
    const failed = await runCli(['timeline', '--json', '--status', 'error'], { env });
    const codes = failed.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { code: string }).code);
    expect(codes).toEqual(['LN_ERR_GUEST_ERROR']);
    expect((await runCli(['timeline', '--status', 'maybe'], { env })).code).toBe(2);
    expect((await runCli(['timeline', '--limit', '0'], { env })).code).toBe(2);
  });

  it('-f follows new calls as they happen', async () => {
    const follower = spawn(process.execPath, [join(ROOT, 'bin', 'lnano.js'), 'timeline', '-f', '--json', '--limit', '1', '--type', 'follow.*'], {
      env: { ...process.env, ...env },
    });
    let out = '';
    follower.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    try {
      // The first page is empty (no follow.* yet); then the stream delivers the new call.
      for (let i = 0; i < 400 && !/"eventId":"f1"/.test(out); i++) {
        if (i % 20 === 0) await post({ id: 'f1', type: 'follow.me', source: '/cli' });
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(out).toContain('"eventId":"f1"');
      expect(out).toContain('"plugin":"echo-c"');
    } finally {
      follower.kill('SIGKILL');
    }
  });
});
