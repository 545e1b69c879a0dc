// The operator's loop against a real `lnano serve` process on loopback: deploy, swap under load,
// roll back, audit, restart after kill -9 — through the `lnano` CLI and the admin API.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { example, ROOT, runCli, tempDataDir } from '../helpers/cli.js';
import { spawnServe } from '../helpers/serve-host.js';

const dataDir = tempDataDir();
let child: ChildProcessWithoutNullStreams | undefined;
let events = '';
let admin = '';

async function startServe(): Promise<void> {
  const serve = await spawnServe(['--no-seed', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--log-level', 'info'], {
    env: { ...process.env, LNANO_DATA_DIR: dataDir },
  });
  child = serve.child;
  events = serve.ingressUrl;
  admin = serve.adminUrl;
}

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

const lnano = (...args: string[]) => runCli([...args, '--server', admin], { dataDir });
const echoC = join(ROOT, 'components', 'echo-c');

/** Posts events back to back until stopped; counts answers that are not a clean 200 from echo-c. */
function load(): { stop(): Promise<{ sent: number; failed: number; versions: Set<string>; failedVersions: Set<string> }> } {
  let running = true;
  let sent = 0;
  let failed = 0;
  const versions = new Set<string>();
  const failedVersions = new Set<string>();
  const loop = (async () => {
    while (running) {
      sent++;
      try {
        const res = await fetch(`${events}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id: `l${sent}`, type: 'load', source: '/test' }),
        });
        const body = (await res.json()) as { results?: Array<{ ok: boolean; version: string }> };
        const result = body.results?.[0];
        if (res.status !== 200 || !result?.ok) {
          failed++;
          failedVersions.add(result?.version ?? `HTTP ${res.status}`);
        } else {
          versions.add(result.version);
        }
      } catch {
        failed++;
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { sent, failed, versions, failedVersions };
    },
  };
}

describe('lnano deploy / rollback / history against a running host', () => {
  it('starts empty and refuses a wrong token', async () => {
    await startServe();
    expect((await lnano('ls')).stdout).toContain('nothing deployed yet');
    const wrong = await runCli(['ls', '--server', admin, '--token', 'wrong-token-0123456789'], { dataDir });
    // Issue 14 item 10: a refused token is a run-time failure (exit 1), not a usage error.
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('LN_ERR_ADMIN_TOKEN_REJECTED');
  });

  it('deploys v1, then v2 and a rollback under continuous load with zero failed requests', async () => {
    const v1 = await lnano('deploy', echoC, '--version', '1.0.0');
    expect(v1.code).toBe(0);
    expect(v1.stdout).toContain('echo-c@1.0.0 is serving');
    expect(v1.stderr).toMatch(/✓ validate[\s\S]*✓ warm[\s\S]*✓ swap/);
    const traffic = load();
    const v2 = await lnano('deploy', echoC, '--version', '2.0.0', '--strategy', 'blue-green');
    expect(v2.stdout).toContain('echo-c@2.0.0 is serving (was 1.0.0)');
    const back = await lnano('rollback', 'echo-c');
    expect(back.stdout).toContain('rolled back echo-c: 2.0.0 → 1.0.0 (the warm standby, instant)');
    const v3 = await lnano('deploy', echoC, '--version', '3.0.0');
    expect(v3.code).toBe(0);
    const { sent, failed, versions } = await traffic.stop();
    expect(failed).toBe(0);
    expect(sent).toBeGreaterThan(20);
    expect([...versions].sort()).toEqual(expect.arrayContaining(['1.0.0']));
    console.info(`[deploy-cli] ${sent} requests across 3 deploys and a rollback, ${failed} failed; versions seen: ${[...versions].sort().join(', ')}`);
  });

  it('the same version with other bytes is refused; the same bytes again are a no-op', async () => {
    const same = await lnano('deploy', echoC, '--version', '3.0.0');
    expect(same.stdout).toContain('already active');
    const other = await lnano('deploy', example('echo-ts'), '--name', 'echo-c', '--version', '3.0.0');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('LN_ERR_VERSION_CONFLICT');
  });

  it('a canary that fails on purpose is aborted by the health monitor; only its own calls failed', async () => {
    const traffic = load();
    const canary = await lnano(
      'deploy',
      join(ROOT, 'test', 'fixtures', 'components', 'echo-broken', 'component.wasm'),
      '--name',
      'echo-c',
      '--version',
      '4.0.0',
      '--strategy',
      'canary',
      '--weight',
      '50',
    );
    expect(canary.stdout).toContain('serving as a canary (50% of calls)');
    let status: { candidate: unknown; active: { version: string } } | undefined;
    for (let i = 0; i < 300; i++) {
      status = JSON.parse((await lnano('status', 'echo-c', '--json')).stdout) as typeof status;
      if (!status!.candidate) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const { failed, failedVersions } = await traffic.stop();
    expect(status!.candidate).toBeNull();
    expect(status!.active.version).toBe('3.0.0');
    expect(failed).toBeGreaterThan(0);
    expect([...failedVersions]).toEqual(['4.0.0']);
    const history = await lnano('history', 'echo-c');
    expect(history.stdout).toMatch(/health-monitor +aborted +3\.0\.0 → 4\.0\.0 +error rate/);
  });

  it('history shows every step with its actor and verifies the hash chain', async () => {
    const h = await lnano('history', 'echo-c', '--verify');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/rolled-back +2\.0\.0 → 1\.0\.0/);
    expect(h.stdout).toContain('audit trail verified');
    const json = JSON.parse((await lnano('ls', '--json')).stdout) as Array<{ name: string; active: { version: string } }>;
    expect(json.map((c) => [c.name, c.active.version])).toEqual([['echo-c', '3.0.0']]);
  });

  it('exposes per-version metrics in the Prometheus text format, behind the token', async () => {
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    expect((await fetch(`${admin}/metrics`)).status).toBe(401);
    const res = await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const samples = text.split('\n').filter((l) => l && !l.startsWith('#'));
    for (const line of samples) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? -?[0-9.e+-]+$/);
    const calls = /^lnano_calls_total\{component="echo-c",version="3\.0\.0",outcome="ok"\} (\d+)$/m.exec(text);
    expect(Number(calls?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/^# TYPE lnano_instances gauge$/m);
  });

  it('lnano logs prints recent lines of a plugin, and -f follows new ones', async () => {
    const recent = await lnano('logs', 'echo-c', '-n', '5');
    expect(recent.code).toBe(0);
    const lines = recent.stdout.trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(recent.stdout).toMatch(/info +\[3\.0\.0\] guest echo/);
    const follower = spawn(process.execPath, [join(ROOT, 'bin', 'lnano.js'), 'logs', 'echo-c', '-f', '-n', '1', '--server', admin], {
      env: { ...process.env, LNANO_DATA_DIR: dataDir },
    });
    let out = '';
    follower.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    try {
      const waitFor = async (n: number): Promise<void> => {
        for (let i = 0; i < 200 && out.trim().split('\n').filter(Boolean).length < n; i++) await new Promise((r) => setTimeout(r, 25));
      };
      await waitFor(1);
      await fetch(`${events}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":"f1","type":"followed","source":"/t"}' });
      await waitFor(2);
      expect(out.trim().split('\n').length).toBeGreaterThanOrEqual(2);
      expect(out.trim().split('\n').at(-1)).toMatch(/guest echo/);
    } finally {
      follower.kill();
    }
  });

  it('after kill -9 the host restarts serving exactly the active version', async () => {
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    await startServe();
    const res = await fetch(`${events}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"id":"r","type":"after.restart","source":"/t"}',
    });
    const body = (await res.json()) as { results: Array<{ plugin: string; version: string; ok: boolean }> };
    expect(body.results).toEqual([expect.objectContaining({ plugin: 'echo-c', version: '3.0.0', ok: true })]);
    expect(readFileSync(join(dataDir, 'admin-token'), 'utf8').trim().length).toBeGreaterThan(20);
  });
});
