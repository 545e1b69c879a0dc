/**
 * Real `nats-server` processes (Debian's, JetStream on) and real `lnano serve --cluster` hosts
 * for the cluster tests: loopback, a free port, a temp store dir, always stopped (`stopAll` in
 * `afterAll`, and a last SIGKILL when the test process exits).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, tempDataDir } from './cli.js';
import { type ServeProcess, spawnServe } from './serve-host.js';

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** A free loopback TCP port (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

/** A running nats-server. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  /** The JetStream store dir (kept across `restart`). */
  readonly storeDir: string;
  /** Stops it (SIGTERM); `start` brings it back on the same port and store. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Starts `nats-server -js -a 127.0.0.1 -p <free port> -sd <temp dir>`; resolves once it accepts connections. */
export async function startNats(): Promise<NatsServer> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'lnano-nats-'));
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: 'ignore' });
    children.add(child);
    for (let i = 0; i < 200; i++) {
      if (await accepts(port)) return;
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('nats-server did not start');
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    start,
    stop: async () => {
      if (child) await stopChild(child, 'SIGTERM');
    },
  };
}

/** A `lnano serve --cluster` child process. */
export interface ClusterHost {
  readonly id: string;
  readonly dataDir: string;
  readonly token: string;
  serve: ServeProcess;
  /** One admin API call; answers the status and the parsed body. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Uploads `wasm` and deploys it as `name@version`; answers the status and body (no throw). */
  deploy(name: string, version: string, wasm: string, extra?: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** The version of `name` that answered one event sent to this host's ingress (null: none). */
  served(name: string): Promise<string | null>;
  /** SIGKILL: no drain, no goodbye. */
  kill(): Promise<void>;
  /** Starts it again on the same data dir (new ports). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The example component of `name` (components/<name>/component.wasm). */
export const example = (name: string): string => join(ROOT, 'components', name, 'component.wasm');

/** Starts `lnano serve --cluster <nats> --host-id <id>` with a temp data dir, ports 0, heartbeat 500 ms. */
export async function startClusterHost(nats: NatsServer, id: string, extraArgs: readonly string[] = []): Promise<ClusterHost> {
  const dataDir = tempDataDir();
  const token = randomBytes(24).toString('hex');
  const cwd = mkdtempSync(join(tmpdir(), 'lnano-cluster-cwd-'));
  const args = [
    '--no-seed',
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    '127.0.0.1:0',
    '--log-level',
    'warn',
    '--log-format',
    'json',
    '--cluster',
    nats.url,
    '--host-id',
    id,
    '--set',
    'cluster.heartbeat=500ms',
    ...extraArgs,
  ];
  const launch = async (): Promise<ServeProcess> => {
    const serve = await spawnServe(args, {
      cwd,
      env: { ...process.env, LNANO_DATA_DIR: dataDir, LNANO_ADMIN_TOKEN: token, LNANO_CONFIG: '' },
      timeoutMs: 60_000,
    });
    children.add(serve.child);
    return serve;
  };
  const host: ClusterHost = {
    id,
    dataDir,
    token,
    serve: await launch(),
    async api<T>(method: string, path: string, body?: unknown) {
      const res = await fetch(`${host.serve.adminUrl}/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
    async deploy(name, version, wasm, extra = {}) {
      const upload = await fetch(`${host.serve.adminUrl}/v1/artifacts`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}` },
        body: readFileSync(wasm),
      });
      const { digest } = (await upload.json()) as { digest: string };
      return host.api<Record<string, unknown>>('POST', '/deployments', { manifest: { name, version }, digest, approveCapabilities: true, ...extra });
    },
    async served(name) {
      const res = await fetch(`${host.serve.ingressUrl}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: randomBytes(6).toString('hex'), type: 'cluster.probe', source: '/test' }),
      });
      if (res.status !== 200) throw new Error(`ingress of ${id} answered ${res.status}`);
      const body = (await res.json()) as { results: Array<{ plugin: string; version: string; ok: boolean }> };
      const result = body.results.find((r) => r.plugin === name);
      if (result && !result.ok) throw new Error(`${name} on ${id} failed: ${JSON.stringify(result)}`);
      return result?.version ?? null;
    },
    async kill() {
      await stopChild(host.serve.child, 'SIGKILL');
    },
    async restart() {
      host.serve = await launch();
    },
    async stop() {
      await stopChild(host.serve.child, 'SIGTERM');
    },
  };
  return host;
}

/** Polls `check` every 100 ms until it is true; throws with `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Stops every nats-server and host these helpers started. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c, 'SIGKILL')));
}
