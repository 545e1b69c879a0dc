// The load generator's thread (see load.mjs): `concurrency` keep-alive clients POST the bodies (in turn)
// back to back until the duration passes or the parent says stop, recording each request's
// start (ms since the load began) and latency (ms). A request fails when it errors, its status is
// not 200, or (events mode) its answer holds a plugin result with "ok":false.
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { url, bodies, concurrency, durationMs, checkEvents } = workerData;
const target = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const payloads = bodies.map((b) => Buffer.from(b));
let next = 0;
const starts = [];
const latencies = [];
let failed = 0;
const failures = new Map();
let running = true;
const t0 = performance.now();
if (durationMs > 0)
  setTimeout(() => {
    running = false;
  }, durationMs);
parentPort.on('message', (m) => {
  if (m === 'stop') running = false;
});

function once() {
  const payload = payloads[next++ % payloads.length];
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const bad = res.statusCode !== 200 || (checkEvents && text.includes('"ok":false'));
          resolve({ started, bad, why: bad ? `${res.statusCode} ${text.slice(0, 160)}` : '' });
        });
        res.on('error', (err) => resolve({ started, bad: true, why: err.message }));
      },
    );
    req.on('error', (err) => resolve({ started, bad: true, why: err.message }));
    req.end(payload);
  });
}

async function client() {
  while (running) {
    const { started, bad, why } = await once();
    starts.push(started - t0);
    latencies.push(performance.now() - started);
    if (bad) {
      failed++;
      failures.set(why, (failures.get(why) ?? 0) + 1);
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, client));
agent.destroy();
parentPort.postMessage({
  sent: latencies.length,
  failed,
  elapsedMs: performance.now() - t0,
  starts: Float64Array.from(starts),
  latencies: Float64Array.from(latencies),
  failures: [...failures].slice(0, 5),
});
