/**
 * A real `lnano serve` child process for end-to-end tests: temp data dir and working directory,
 * `--no-seed`, ports 0, a known admin token; plus a small client of its admin API.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, tempDataDir } from './cli.js';

export interface ServeHost {
  readonly adminUrl: string;
  readonly ingressUrl: string;
  readonly token: string;
  readonly cwd: string;
  /** One admin API call with the token; answers the status and the parsed body. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Uploads `wasm` (default: the echo-c example) and deploys it as `name@version`. */
  deploy(name: string, version: string, manifest?: Record<string, unknown>, wasm?: string): Promise<unknown>;
  stop(): Promise<void>;
}

/** A running `lnano serve` child process and the addresses it printed. */
export interface ServeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** e.g. `http://127.0.0.1:41234` (POST /events, GET /health). */
  readonly ingressUrl: string;
  /** e.g. `http://127.0.0.1:41235` (the admin API is under /v1). */
  readonly adminUrl: string;
  /** Everything it printed on stdout so far. */
  output(): string;
}

/**
 * Spawns `lnano serve <args>` (`env` is its whole environment, default this process's; `bin`
 * another installation's `bin/lnano.js`, default this checkout's) and
 * resolves once it has printed both listener addresses; rejects with its output when it exits
 * first or does not start within `timeoutMs`.
 */
export function spawnServe(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; bin?: string } = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [options.bin ?? join(ROOT, 'bin', 'lnano.js'), 'serve', ...args], {
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stdout}\n${stderr}`)), options.timeoutMs ?? 90_000);
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stdout}\n${stderr}`)));
    const poll = setInterval(() => {
      const adminUrl = /admin API: +(http:\/\/[^/\s]+)\/v1/.exec(stdout)?.[1];
      const ingressUrl = /events: +(http:\/\/[^/\s]+)\/events/.exec(stdout)?.[1];
      if (adminUrl && ingressUrl) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve({ child, adminUrl, ingressUrl, output: () => stdout });
      }
    }, 25);
  });
}

/** Starts `lnano serve`; resolves once both listeners are up. */
export async function startServe(extraArgs: readonly string[] = []): Promise<ServeHost> {
  const token = randomBytes(24).toString('hex');
  const cwd = mkdtempSync(join(tmpdir(), 'lnano-serve-cwd-'));
  const { child, adminUrl, ingressUrl } = await spawnServe(
    ['--no-seed', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--log-level', 'warn', ...extraArgs],
    {
      cwd,
      env: { ...process.env, LNANO_DATA_DIR: tempDataDir(), LNANO_ADMIN_TOKEN: token },
      timeoutMs: 60_000,
    },
  );
  const urls = { admin: adminUrl, ingress: ingressUrl };
  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${urls.admin}/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
  return {
    adminUrl: urls.admin,
    ingressUrl: urls.ingress,
    token,
    cwd,
    api,
    async deploy(name, version, manifest = {}, wasm = join(ROOT, 'components', 'echo-c', 'component.wasm')) {
      const upload = await fetch(`${urls.admin}/v1/artifacts`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: readFileSync(wasm) });
      const { digest } = (await upload.json()) as { digest: string };
      const res = await api('POST', '/deployments', { manifest: { name, version, ...manifest }, digest, approveCapabilities: true });
      if (res.status !== 200) throw new Error(`deploy ${name}@${version}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
