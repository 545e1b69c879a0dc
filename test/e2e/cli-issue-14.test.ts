/**
 * Issue 14, items 7, 10, 11, 12 and 13, through the real `lnano` command and real `lnano serve`
 * processes: several --invoke on one instance, exported resources in inspect, coded errors
 * instead of "This is a bug", seeding that never undoes an operator, private data at rest, and
 * the admin token found from a plugin folder.
 */
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, ROOT, runCli, runLnano, tempDataDir } from '../helpers/cli.js';
import { type ServeProcess, spawnServe } from '../helpers/serve-host.js';

const tally = fixture('tally');
const dataDir = tempDataDir();

/** This process's environment without any LNANO_* variable (so no token or data dir leaks in). */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LNANO_')));
  return { ...env, ...extra };
}

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

const hosts: ServeProcess[] = [];
async function stop(host: ServeProcess): Promise<void> {
  if (host.child.exitCode !== null) return;
  const exited = once(host.child, 'exit');
  host.child.kill('SIGTERM');
  await exited;
}
afterAll(async () => {
  for (const host of hosts) await stop(host);
});

describe('issue 14 item 7: several --invoke on one instance; exported resources', () => {
  it('runs add(5), add(7), get() in order on one instance and prints each result', async () => {
    const r = await runCli(['run', tally, '--invoke', 'add(5)', '--invoke', 'add(7)', '--invoke', 'get()'], { dataDir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('5\n12\n12\n');
  });

  it('parses every --invoke before the first call: a bad one runs nothing', async () => {
    const r = await runCli(['run', tally, '--invoke', 'add(5)', '--invoke', 'nope()'], { dataDir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error[LN_ERR_LINK_EXPORT_MISSING]');
    expect(r.stderr).toContain('resources (not callable with --invoke): lnano:test/tallies#tally');
  });

  it('inspect lists the exported resource with its constructor and methods', async () => {
    const r = await runCli(['inspect', tally], { dataDir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      ['    resource tally {', '      constructor(start: u32);', '      add: func(n: u32) -> u32;', '      get: func() -> u32;', '    }'].join('\n'),
    );
    const json = JSON.parse((await runCli(['inspect', tally, '--json'], { dataDir })).stdout) as {
      resources: Array<{ name: string; functions: Array<{ kind: string; name: string }> }>;
    };
    expect(json.resources).toEqual([
      expect.objectContaining({
        name: 'tally',
        functions: [
          expect.objectContaining({ kind: 'constructor', name: 'constructor' }),
          expect.objectContaining({ kind: 'method', name: 'add' }),
          expect.objectContaining({ kind: 'method', name: 'get' }),
        ],
      }),
    ]);
  });

  it('refuses to invoke a resource method with a coded error that says so', async () => {
    for (const expr of ['tally.add(1)', '[method]tally.add(1)', 'tally(1)']) {
      const r = await runCli(['run', tally, '--invoke', expr], { dataDir });
      expect(r.code, expr).toBe(2);
      expect(r.stderr, expr).toContain('error[LN_ERR_CONFIG_INVOKE_RESOURCE]');
      expect(r.stderr, expr).toContain('of the resource "lnano:test/tallies#tally"');
    }
  });
});

describe('issue 14 item 10: coded errors where a user saw "This is a bug"', () => {
  it('deploy ./missing names the path (the detail matches its template)', async () => {
    const r = await runLnano(['deploy', './missing', '--version', '1.0.0', '--token', 'x'], mkdtempSync(join(tmpdir(), 'lnano-cwd-')), cleanEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[LN_ERR_LOAD_NOT_FOUND]: Cannot read component "./missing": no such file or folder');
  });

  it('a busy port is LN_ERR_CONFIG_PORT_IN_USE naming the address and the flag, and serve exits', async () => {
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    try {
      const r = await runCli(['serve', '--no-seed', '--listen', '127.0.0.1:0', '--admin-listen', `127.0.0.1:${port}`, '--log-level', 'warn'], {
        dataDir: tempDataDir(),
        env: cleanEnv(),
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error[LN_ERR_CONFIG_PORT_IN_USE]: Cannot listen on 127.0.0.1:${port} (adminListen)`);
      expect(r.stderr).toContain('--admin-listen <host:port>');
      expect(r.stderr).not.toContain('LN_ERR_INTERNAL');
    } finally {
      holder.close();
    }
  });
});

describe('issue 14 items 11, 12, 13: a project with its host, a plugin folder and an operator', () => {
  const project = mkdtempSync(join(tmpdir(), 'lnano-project-'));
  const projectData = join(project, '.lnano');
  const components = join(project, 'components');
  const greeter = join(components, 'echo-c');
  mkdirSync(greeter, { recursive: true });
  for (const file of ['manifest.json', 'component.wasm']) copyFileSync(join(ROOT, 'components', 'echo-c', file), join(greeter, file));
  // An existing, world-readable data dir (as an older host left it): tightened on start.
  mkdirSync(projectData, { mode: 0o755 });
  const args = ['--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--log-level', 'warn', '--components', components];
  let host: ServeProcess;

  it('seeds a name the registry has never seen and says so', async () => {
    host = await spawnServe(args, { cwd: project, env: cleanEnv() });
    hosts.push(host);
    expect(host.output()).toMatch(/seeded echo-c@0\.1\.0 \(new\)/);
  });

  it('finds the token from a plugin folder (the nearest .lnano up the tree) and deploys over it', async () => {
    const r = await runLnano(['deploy', '.', '--version', '0.3.0', '--server', host.adminUrl], greeter, cleanEnv());
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('echo-c@0.3.0 is serving (was 0.1.0)');
  });

  it('finds the token through LNANO_DATA_DIR from anywhere', async () => {
    const r = await runLnano(['ls', '--server', host.adminUrl], tmpdir(), cleanEnv({ LNANO_DATA_DIR: projectData }));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('echo-c');
  });

  it('without a token names every place it looked and the flags', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'lnano-elsewhere-'));
    const r = await runLnano(['ls', '--server', host.adminUrl], elsewhere, cleanEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[LN_ERR_ADMIN_TOKEN_MISSING]');
    expect(r.stderr).toContain(join(elsewhere, '.lnano', 'admin-token'));
    expect(r.stderr).toContain('/.lnano/admin-token');
    expect(r.stderr).toContain('--token');
    expect(r.stderr).toContain('--data-dir');
  });

  it('a refused token is LN_ERR_ADMIN_TOKEN_REJECTED (exit 1, not a usage error) naming its source', async () => {
    const r = await runLnano(['ls', '--server', host.adminUrl, '--token', 'wrong-token-0123456789'], project, cleanEnv());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error[LN_ERR_ADMIN_TOKEN_REJECTED]: The host at ${host.adminUrl} refused the admin token from --token`);
  });

  it("a restart keeps the operator's version and says so", async () => {
    await stop(host);
    host = await spawnServe(args, { cwd: project, env: cleanEnv() });
    hosts.push(host);
    expect(host.output()).toContain('restored echo-c@0.3.0');
    expect(host.output()).toContain('kept echo-c at 0.3.0 (operator-managed');
    expect(host.output()).not.toContain('seeded echo-c');
    const status = await runLnano(['status', 'echo-c', '--server', host.adminUrl, '--json'], greeter, cleanEnv());
    expect((JSON.parse(status.stdout) as { deployment: { active: string } }).deployment.active).toBe('0.3.0');
  });

  it('keeps data at rest private: the data dir 0700, the databases and artifacts 0600', async () => {
    expect(mode(projectData)).toBe('700');
    const sqlite = readdirSync(projectData).filter((f) => /\.sqlite3(-wal|-shm)?$/.test(f));
    expect(sqlite).toContain('registry.sqlite3');
    for (const file of sqlite) expect(mode(join(projectData, file)), file).toBe('600');
    const artifacts = readdirSync(join(projectData, 'artifacts'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(artifacts.length).toBeGreaterThan(0);
    for (const entry of artifacts) expect(mode(join(entry.parentPath, entry.name)), entry.name).toBe('600');
  });
});
