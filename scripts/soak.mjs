// Soak: deploy/rollback churn under continuous load against a real `lnano serve` process.
//
//   npm run soak -- --minutes 5 [--concurrency 4] [--swap-every 2s] [--sample-every 5s]
//
// Starts `lnano serve` on loopback (ports picked by the OS, a temp data dir), deploys
// components/echo-c through the admin API, then until the time is up: HTTP load on POST /events
// (the bench's load generator, in its own thread) while deploys (immediate and blue-green) and
// rollbacks alternate. Reports the server's RSS samples and their slope (MiB/min, least squares
// after the first minute), requests sent/failed (failed must be 0), and p99 latency per window.
// Writes bench-results/soak.json; exits 1 when a request failed.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLoad } from '../test/bench/load.mjs';
import { percentile } from '../test/bench/support.mjs';

const HELP = `Usage: npm run soak -- [--minutes 5] [--concurrency 4] [--swap-every 2s] [--sample-every 5s] [--keep]
Deploy/rollback churn under load against a real \`lnano serve\`; reports RSS slope, failures, p99 over time.`;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '4' },
    'swap-every': { type: 'string', default: '2s' },
    'sample-every': { type: 'string', default: '5s' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const seconds = (text, flag) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text);
  if (!m) throw new Error(`${flag} takes a duration such as 2s or 500ms, got "${text}"`);
  return Number(m[1]) * (m[2] === 'ms' ? 0.001 : 1);
};
const minutes = Number(values.minutes);
const concurrency = Number(values.concurrency);
if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error(`--minutes takes a number of minutes (0 < m <= 1440), got "${values.minutes}"`);
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new Error(`--concurrency takes 1 to 256, got "${values.concurrency}"`);
const swapEveryMs = seconds(values['swap-every'], '--swap-every') * 1000;
const sampleEveryMs = seconds(values['sample-every'], '--sample-every') * 1000;

const root = new URL('../', import.meta.url);
const log = (text) => process.stderr.write(`soak: ${text}\n`);
const token = `soak-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const dataDir = mkdtempSync(join(tmpdir(), 'lnano-soak-'));

/** Starts `lnano serve` and resolves with its URLs once it listens. */
function serve() {
  const child = spawn(
    process.execPath,
    [
      new URL('bin/lnano.js', root).pathname,
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
      '--no-seed',
      '--data-dir',
      dataDir,
      '--log-level',
      'warn',
    ],
    { env: { ...process.env, LNANO_ADMIN_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stderr.on('data', (c) => process.stderr.write(c));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`lnano serve exited with ${code}: ${out}`)));
    child.stdout.on('data', (c) => {
      out += c;
      const events = /events:\s+(\S+)/.exec(out)?.[1];
      const admin = /admin API:\s+(\S+)\/v1/.exec(out)?.[1];
      if (events && admin) resolve({ child, events, admin });
    });
  });
}

async function admin(base, method, path, body, contentType = 'application/json') {
  const res = await fetch(`${base}${path}`, {
    method,
    body,
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'x-lnano-actor': 'soak' },
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The serving process's resident set size (its worker threads included), MiB. */
function rssMiB(pid) {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

/** Least-squares slope of (minute, MiB) points. */
function slope(points) {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const num = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return num / den;
}

const { child, events, admin: adminUrl } = await serve();
log(`lnano serve (pid ${child.pid}) at ${events}, admin ${adminUrl}, data dir ${dataDir}`);
let exitCode = 0;
try {
  const bytes = readFileSync(new URL('components/echo-c/component.wasm', root));
  const { digest } = await admin(adminUrl, 'PUT', '/v1/artifacts', bytes, 'application/wasm');
  let version = 0;
  const deploy = (strategy) =>
    admin(
      adminUrl,
      'POST',
      '/v1/deployments',
      JSON.stringify({
        manifest: { name: 'echo-c', version: `1.0.${version++}`, limits: { concurrency: 2 } },
        digest,
        strategy,
      }),
    );
  await deploy('immediate');

  const body = JSON.stringify({ id: 'soak', type: 'soak.event', source: '/soak', data: { text: 'x'.repeat(64) } });
  const load = startLoad({ url: events, body, concurrency, checkEvents: true });
  const started = performance.now();
  const endAt = started + minutes * 60_000;
  const samples = [];
  const sample = () => samples.push({ minute: (performance.now() - started) / 60_000, rssMiB: rssMiB(child.pid) });
  sample();
  const sampler = setInterval(sample, sampleEveryMs);
  const swaps = { deploys: 0, rollbacks: 0, errors: [] };
  let lastReport = started;
  while (performance.now() < endAt) {
    await new Promise((r) => setTimeout(r, swapEveryMs));
    try {
      const step = swaps.deploys + swaps.rollbacks;
      if (step % 3 === 2) {
        await admin(adminUrl, 'POST', '/v1/components/echo-c/rollback', '{}');
        swaps.rollbacks++;
      } else {
        await deploy(step % 2 ? 'blue-green' : 'immediate');
        swaps.deploys++;
      }
    } catch (err) {
      swaps.errors.push(String(err.message).slice(0, 200));
    }
    if (performance.now() - lastReport > 30_000) {
      lastReport = performance.now();
      log(
        `${((lastReport - started) / 60_000).toFixed(1)} min: ${swaps.deploys} deploys, ${swaps.rollbacks} rollbacks, RSS ${samples.at(-1).rssMiB.toFixed(0)} MiB`,
      );
    }
  }
  clearInterval(sampler);
  sample();
  load.stop();
  const result = await load.done;

  const windowMin = minutes >= 4 ? 1 : 0.5;
  const windows = [];
  for (let from = 0; from < minutes; from += windowMin) {
    const lat = [];
    for (let i = 0; i < result.starts.length; i++) {
      const m = result.starts[i] / 60_000;
      if (m >= from && m < from + windowMin) lat.push(result.latencies[i]);
    }
    if (lat.length > 0) windows.push({ fromMinute: from, requests: lat.length, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) });
  }
  const settled = samples.filter((s) => s.minute >= Math.min(1, minutes / 2));
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    minutes,
    concurrency,
    swapEveryMs,
    sent: result.sent,
    failed: result.failed,
    failures: result.failures,
    perSecond: result.perSecond,
    p99Ms: result.p99Ms,
    deploys: swaps.deploys,
    rollbacks: swaps.rollbacks,
    swapErrors: swaps.errors.slice(0, 5),
    rssMiB: { first: samples[0].rssMiB, max: Math.max(...samples.map((s) => s.rssMiB)), last: samples.at(-1).rssMiB },
    rssSlopeMiBPerMin: slope(settled.map((s) => [s.minute, s.rssMiB])),
    windows,
    samples,
  };
  mkdirSync(new URL('bench-results/', root), { recursive: true });
  writeFileSync(new URL('bench-results/soak.json', root), `${JSON.stringify(report, null, 2)}\n`);

  console.log(`soak: ${minutes} min, ${concurrency} clients, a swap every ${swapEveryMs / 1000} s`);
  console.log(
    `  requests      ${report.sent} sent, ${report.failed} failed (${Math.round(report.perSecond)}/s)${report.failed ? ` ${JSON.stringify(report.failures)}` : ''}`,
  );
  console.log(
    `  swaps         ${report.deploys} deploys, ${report.rollbacks} rollbacks, ${swaps.errors.length} refused${swaps.errors.length ? `: ${swaps.errors[0]}` : ''}`,
  );
  console.log(
    `  RSS           ${report.rssMiB.first.toFixed(0)} → ${report.rssMiB.last.toFixed(0)} MiB (max ${report.rssMiB.max.toFixed(0)}), slope ${report.rssSlopeMiBPerMin.toFixed(2)} MiB/min after the first ${Math.min(1, minutes / 2)} min`,
  );
  console.log('  window        requests  p50       p99');
  for (const w of windows)
    console.log(
      `  ${`${w.fromMinute.toFixed(1)} min`.padEnd(12)}  ${String(w.requests).padEnd(8)}  ${`${w.p50Ms.toFixed(1)} ms`.padEnd(8)}  ${w.p99Ms.toFixed(1)} ms`,
    );
  console.log(`  RSS samples   ${samples.map((s) => s.rssMiB.toFixed(0)).join(' ')}`);
  if (report.failed > 0 || swaps.errors.length > 0) exitCode = 1;
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  if (!values.keep) rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
