// kill -9 of a real `lnano serve` in the middle of deploys, at several points of the pipeline:
// after each restart the host serves the old or the new version — never a mix or nothing — no
// deploy is left in progress, and the audit trail verifies.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../host/cli/admin-client.js';
import { example, ROOT, runCli, tempDataDir } from '../helpers/cli.js';
import { spawnServe } from '../helpers/serve-host.js';

const dataDir = tempDataDir();
let child: ChildProcessWithoutNullStreams | undefined;

async function startServe(): Promise<{ events: string; admin: string }> {
  const serve = await spawnServe(['--no-seed', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--log-level', 'error'], {
    env: { ...process.env, LNANO_DATA_DIR: dataDir },
  });
  child = serve.child;
  return { events: serve.ingressUrl, admin: serve.adminUrl };
}

async function kill9(): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child!.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

afterAll(kill9);

describe('kill -9 during deploys', () => {
  it('every restart serves the old or the new version, with a consistent registry and audit trail', async () => {
    let { events, admin } = await startServe();
    const v1 = await runCli(['deploy', join(ROOT, 'components', 'echo-c'), '--version', '1.0.0', '--server', admin], { dataDir });
    expect(v1.code).toBe(0);
    // Deploy the TypeScript build under the same name: a slow pipeline (transpile, instrument,
    // a 12 MB guest to warm), killed at different moments of it.
    const delays = [0, 40, 150, 400, 900, 1500, 3000, 6000];
    const outcomes: string[] = [];
    for (const [i, delay] of delays.entries()) {
      const version = `2.0.${i}`;
      const deploying = runCli(['deploy', example('echo-ts'), '--name', 'echo-c', '--version', version, '--server', admin], { dataDir });
      await new Promise((r) => setTimeout(r, delay));
      await kill9();
      await deploying;
      ({ events, admin } = await startServe());
      const client = new AdminClient(admin, (await import('node:fs')).readFileSync(join(dataDir, 'admin-token'), 'utf8').trim());
      const status = await client.request<{ deployment: { active: string; inProgress: boolean } }>('GET', '/v1/components/echo-c');
      expect(status.deployment.inProgress).toBe(false);
      const res = await fetch(`${events}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"id":"k${i}","type":"after.kill","source":"/t"}`,
      });
      const body = (await res.json()) as { results: Array<{ plugin: string; version: string; ok: boolean }> };
      expect(body.results).toHaveLength(1);
      expect(body.results[0]).toMatchObject({ plugin: 'echo-c', ok: true, version: status.deployment.active });
      expect(['1.0.0', ...delays.slice(0, i + 1).map((_, j) => `2.0.${j}`)]).toContain(status.deployment.active);
      const audit = await client.request<{ verification: { ok: boolean } }>('GET', '/v1/audit?verify=1&limit=1');
      expect(audit.verification.ok).toBe(true);
      outcomes.push(`${delay} ms → ${status.deployment.active}`);
    }
    console.info(`[deploy-crash] killed at: ${outcomes.join('; ')}`);
  }, 300_000);
});
