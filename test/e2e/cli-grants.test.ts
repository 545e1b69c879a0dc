import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, runCli, tempDataDir } from '../helpers/cli.js';

const dataDir = tempDataDir();
const work = mkdtempSync(join(tmpdir(), 'lnano-grants-e2e-'));
const envReader = fixture('env-reader');
/** Secrets in the host's own environment: no guest may see them unless granted one by one. */
const hostSecrets = { AWS_SECRET_ACCESS_KEY: 'hunter2', DATABASE_URL: 'postgres://root:pw@db/prod', LNANO_ADMIN_TOKEN: 't0ken' };

function writeJson(name: string, value: unknown): string {
  const file = join(work, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('lnano run: grants', () => {
  it('a guest counting environment variables sees 0 without a grant, whatever the host holds', async () => {
    const r = await runCli(['run', envReader, '--invoke', 'count-env()'], { dataDir, env: hostSecrets });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('0');
  });

  it('sees exactly the granted variables: K=V, and a bare K passing only that host value', async () => {
    const r = await runCli(['run', envReader, '--env', 'A=1', '--env', 'DATABASE_URL', '--invoke', 'count-env()'], { dataDir, env: hostSecrets });
    expect(r.stdout.trim()).toBe('2');
  });

  it('takes grants from a manifest, with flags adding to them', async () => {
    const manifest = writeJson('env-reader.json', { name: 'env-reader', version: '1.0.0', component: envReader, capabilities: { env: { X: '1', Y: '2' } } });
    expect((await runCli(['run', '--manifest', manifest, '--invoke', 'count-env()'], { dataDir })).stdout.trim()).toBe('2');
    expect((await runCli(['run', '--manifest', manifest, '--env', 'Z=3', '--invoke', 'count-env()'], { dataDir })).stdout.trim()).toBe('3');
  });

  it('refuses what the operator policy denies, naming the policy line', async () => {
    const config = writeJson('deny-env.json', { policy: { deny: ['environment'] } });
    const r = await runCli(['run', '--config', config, envReader, '--invoke', 'count-env()'], { dataDir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[LN_ERR_CAP_DENIED]');
    expect(r.stderr).toContain(`policy.deny in ${config}`);
  });

  it('refuses a grant beyond the policy with exit 2, naming capability, request and policy line', async () => {
    const config = writeJson('narrow.json', { policy: { env: { allow: ['LEVEL'] }, http: { allow: ['*.example.com'] } } });
    const env = await runCli(['run', '--config', config, '--env', 'SECRET=x', envReader, '--invoke', 'count-env()'], { dataDir });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('error[LN_ERR_CAP_POLICY]: The grant of environment "SECRET" is beyond the operator policy policy.env.allow');
    const http = await runCli(['run', '--config', config, '--allow-http', 'api.evil.com', envReader, '--invoke', 'count-env()'], { dataDir });
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('outgoing HTTP "api.evil.com"');
    expect(http.stderr).toContain('policy.http.allow');
    const ok = await runCli(['run', '--config', config, '--env', 'LEVEL=x', '--allow-http', 'api.example.com', envReader, '--invoke', 'count-env()'], {
      dataDir,
    });
    expect(ok.stdout.trim()).toBe('1');
  });

  it('--dir mounts read-only by default and read-write with :rw; nothing outside is reachable', async () => {
    const probe = fixture('fs-probe');
    const mount = mkdtempSync(join(work, 'mount-'));
    writeFileSync(join(mount, 'in.txt'), 'inside');
    const read = await runCli(['run', probe, '--dir', `${mount}::/data`, '--', 'read', '/data/in.txt'], { dataDir });
    expect(read.stdout).toContain('inside');
    const roWrite = await runCli(['run', probe, '--dir', `${mount}::/data`, '--', 'write', '/data/new.txt', 'x'], { dataDir });
    expect(roWrite.code).toBe(1);
    const rwWrite = await runCli(['run', probe, '--dir', `${mount}::/data:rw`, '--', 'write', '/data/new.txt', 'x'], { dataDir });
    expect(rwWrite.code).toBe(0);
    const breakout = await runCli(['run', probe, '--dir', `${mount}::/data`, '--', 'read', '/data/../../../etc/passwd'], { dataDir });
    expect(breakout.code).toBe(1);
    expect(breakout.stdout).not.toContain('root:');
  });

  it('--stdin hands the guest a file; without it stdin is closed', async () => {
    const probe = fixture('fs-probe');
    const input = join(work, 'stdin.txt');
    writeFileSync(input, 'piped-in');
    expect((await runCli(['run', probe, '--stdin', input, '--', 'cat-stdin'], { dataDir })).stdout).toContain('piped-in');
    const closed = await runCli(['run', probe, '--', 'cat-stdin'], { dataDir });
    expect(closed.code).toBe(0);
    expect(closed.stdout).not.toContain('piped-in');
  });

  it.each([
    [['--dir', 'no-separator'], '--dir'],
    [['--dir', `${work}::relative`], 'guest'],
    [['--dir', '/definitely/not/here::/data'], 'does not exist'],
    [['--allow-http', 'http://a.com'], '--allow-http'],
    [['--kv', 'Bad/Name'], '--kv'],
    [['--env', '1X=2'], '--env'],
    [['--memory', 'lots'], 'memory'],
    [['--memory', '8GiB'], 'ceiling'],
    [['--fuel', '-5'], '--fuel'],
    [['--timeout', '0'], 'timeout'],
    [['--plugin-config', 'novalue'], '--plugin-config'],
    [['--stdin', '/definitely/not/here'], '--stdin'],
    [['--config', '/definitely/not/here.json'], 'does not exist'],
  ])('a malformed flag %j is a usage error (exit 2) naming it', async (flags, mention) => {
    const r = await runCli(['run', envReader, ...flags, '--invoke', 'count-env()'], { dataDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[LN_ERR_CONFIG_(INVALID|USAGE)\]/);
    expect(r.stderr).toContain(mention);
    expect(r.stdout).toBe('');
  });

  it('inspect tells what the component needs and the exact flag and manifest line for it', async () => {
    const text = await runCli(['inspect', envReader], { dataDir });
    expect(text.stdout).toContain('environment: wasi:cli/environment@0.2.0');
    expect(text.stdout).toContain('grant with: --env K[=V]');
    expect(text.stdout).toContain('in a manifest: "env": { "K": "V" }');
    const json = JSON.parse((await runCli(['inspect', '--json', envReader], { dataDir })).stdout) as { capabilities: Array<Record<string, unknown>> };
    expect(json.capabilities).toEqual([expect.objectContaining({ capability: 'environment', grant: '--env K[=V]', problem: null })]);
  });
});
