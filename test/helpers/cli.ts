import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../host/cli/cli-io.js';
import { main } from '../../host/cli/main.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'lnano.js');

/** A data directory shared by one test file's CLI runs (so the transpile cache is exercised). */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'lnano-test-'));
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `lnano` command in a child process. */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; dataDir?: string } = {}): Promise<CliResult> {
  const env = { ...process.env, ...options.env, ...(options.dataDir ? { LNANO_DATA_DIR: options.dataDir } : {}) };
  return collectOutput(spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** A child process's exit code and whole stdout and stderr, once it has closed. */
export function collectOutput(child: ChildProcessByStdio<Writable | null, Readable, Readable>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `lnano <argv>` in this process (the CLI's `main`) in `cwd`, capturing its output. */
export async function runLnano(
  argv: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void): Writable =>
    new Writable({
      write(chunk, _enc, cb) {
        append(String(chunk));
        cb();
      },
    });
  const io: CliIo = {
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
    env,
    cwd,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** The path of a built fixture component. */
export function fixture(name: string, file = 'component.wasm'): string {
  return join(ROOT, 'test', 'fixtures', 'components', name, file);
}

/** The path of a built example component. */
export function example(name: string): string {
  return join(ROOT, 'components', name, 'component.wasm');
}
