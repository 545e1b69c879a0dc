/**
 * A real mosquitto broker for tests (Debian's /usr/sbin/mosquitto): a free loopback port, a temp
 * dir with its config and its persistence file, started and always stopped by the test. `restart()`
 * stops it gracefully (SIGTERM: mosquitto saves its in-memory state, sessions and queued messages
 * included) and starts it again on the same port and data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const hasMosquitto = existsSync(MOSQUITTO);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class Mosquitto {
  readonly port: number;
  readonly dir: string;
  readonly url: string;
  #child: ChildProcess | null = null;
  #log = '';

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
    this.url = `mqtt://127.0.0.1:${port}`;
  }

  /** Starts a broker; `extra` lines are appended to its config (e.g. a password_file). */
  static async start(extra: readonly string[] = []): Promise<Mosquitto> {
    const dir = mkdtempSync(join(tmpdir(), 'lnano-mosquitto-'));
    const broker = new Mosquitto(await freePort(), dir);
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      [
        `listener ${broker.port} 127.0.0.1`,
        extra.some((l) => l.startsWith('password_file')) ? 'allow_anonymous false' : 'allow_anonymous true',
        // As root, mosquitto drops to the user "mosquitto", which cannot write this temp dir: stay who we are.
        `user ${userInfo().username}`,
        'persistence true',
        `persistence_location ${dir}/`,
        'autosave_interval 0',
        'max_queued_messages 100000',
        'max_inflight_messages 100',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        ...extra,
        '',
      ].join('\n'),
    );
    await broker.#spawn();
    return broker;
  }

  /** What the broker logged (errors and warnings). */
  get log(): string {
    return this.#log;
  }

  async #spawn(): Promise<void> {
    const child = spawn(MOSQUITTO, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (c: Buffer) => {
      this.#log += c.toString();
    });
    this.#child = child;
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${this.#log}`);
      if (await accepts(this.port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`mosquitto did not listen on ${this.port}: ${this.#log}`);
  }

  /** Stops the broker gracefully (its state is saved) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Stops and starts again on the same port and persistence. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#spawn();
  }

  /** Stops the broker and removes its dir. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
