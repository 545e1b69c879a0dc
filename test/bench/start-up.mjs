// Benchmark: start-up (issue 15, "start fast").
//   `lnano run --invoke` with a warm transpile cache, against `node -e 0` measured in the same
//   run, interleaved (goal < 3×);
//   `lnano serve` (the examples under components/, the pipelines under deploy/pipelines) from
//   spawn to the first `GET /health` 200, on a fresh data dir and on a restart of the same one
//   (goals: 8 s and 3 s, absolute), and its idle RSS 10 s after /health (goal 200 MiB), with
//   `--no-seed` beside it as the floor (docs/limits.md "What lnano serve costs at rest").
//   Medians of 3 rounds (1 with --quick).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, progress, size } from './support.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'lnano.js');
const NUMBERS = join(ROOT, 'test', 'fixtures', 'components', 'numbers', 'component.wasm');

/** Wall time of one child process, ns; it must exit 0. */
function wall(args) {
  const t = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return Number(process.hrtime.bigint() - t);
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const healthy = (port) =>
  new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/health' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(1000, () => {
      req.destroy();
      resolve(false);
    });
  });

/**
 * ns from spawning `lnano serve` on `dataDir` to its first /health 200, and with `rssAfterMs`
 * its RSS (MiB) that long after (idle: nothing is sent); then stops it.
 */
async function serveToHealth(dataDir, rssAfterMs = 0, extraArgs = []) {
  const [port, adminPort] = [await freePort(), await freePort()];
  const t = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--pipelines',
      'deploy/pipelines',
      '--data-dir',
      dataDir,
      '--listen',
      `127.0.0.1:${port}`,
      '--admin-listen',
      `127.0.0.1:${adminPort}`,
      '--log-level',
      'warn',
      ...extraArgs,
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (!(await healthy(port))) {
    if (gone) throw new Error(`lnano serve exited before /health answered: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const ns = Number(process.hrtime.bigint() - t);
  let rssMiB = null;
  if (rssAfterMs > 0) {
    await new Promise((r) => setTimeout(r, rssAfterMs));
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    rssMiB = kb ? Number(kb[1]) / 1024 : null;
  }
  child.kill('SIGTERM');
  await exited;
  return { ns, rssMiB };
}

export async function benchStartUp() {
  const rounds = size(3, 1);
  const dataDir = mkdtempSync(join(tmpdir(), 'lnano-bench-start-'));
  const runArgs = [BIN, 'run', NUMBERS, '--data-dir', dataDir, '--invoke', 'add-u32(1, 2)'];
  wall(runArgs); // warms the transpile cache
  const node = [];
  const run = [];
  for (let i = 0; i < size(7, 3); i++) {
    node.push(wall(['-e', '0']));
    run.push(wall(runArgs));
  }
  rmSync(dataDir, { recursive: true, force: true });
  const fresh = [];
  const restart = [];
  const idle = {};
  for (let i = 0; i < rounds; i++) {
    progress(`start-up: serve round ${i + 1}/${rounds} ...`);
    const serveDir = mkdtempSync(join(tmpdir(), 'lnano-bench-serve-'));
    // The first round also reads the idle RSS 10 s after /health (what `npm start` costs at rest).
    const rssAfterMs = i === 0 ? 10_000 : 0;
    try {
      const first = await serveToHealth(serveDir, rssAfterMs);
      const again = await serveToHealth(serveDir, rssAfterMs);
      fresh.push(first.ns);
      restart.push(again.ns);
      if (i === 0) Object.assign(idle, { fresh: first.rssMiB, restart: again.rssMiB });
      // The floor the examples add to: the host with nothing deployed (docs/limits.md).
      if (i === 0) {
        const emptyDir = mkdtempSync(join(tmpdir(), 'lnano-bench-empty-'));
        try {
          idle.empty = (await serveToHealth(emptyDir, rssAfterMs, ['--no-seed'])).rssMiB;
        } finally {
          rmSync(emptyDir, { recursive: true, force: true });
        }
      }
    } finally {
      rmSync(serveDir, { recursive: true, force: true });
    }
  }
  return [
    { name: 'node -e 0', value: median(node), unit: 'ns' },
    { name: 'lnano run --invoke, warm transpile cache', value: median(run), unit: 'ns', baseline: 'node -e 0', goal: { ratio: '<', value: 3 } },
    { name: 'lnano serve → first /health, fresh data dir (10 examples)', value: median(fresh), unit: 'ns', goal: { below: 8e9 } },
    { name: 'lnano serve → first /health, restart (10 examples)', value: median(restart), unit: 'ns', goal: { below: 3e9 } },
    { name: 'lnano serve idle RSS, 10 s after /health, fresh data dir (10 examples)', value: idle.fresh, unit: 'MiB', goal: { below: 200 } },
    { name: 'lnano serve idle RSS, 10 s after /health, restart (10 examples)', value: idle.restart, unit: 'MiB', goal: { below: 200 } },
    { name: 'lnano serve --no-seed idle RSS, 10 s after /health (nothing deployed)', value: idle.empty, unit: 'MiB' },
  ];
}
