// Benchmark: HTTP event ingress. `POST /events` through a real IngressServer + event runtime +
// version manager, with 1 and with 5 echo-c plugins subscribed (each event is delivered to every
// one, side by side), and a `hello` event to the example plugins as `npm start` seeds them (seven
// subscribe: the echo plugins in C, C++, Rust, AssemblyScript, WAT, JS and TS), each against a
// plain node:http server that reads the same request and answers with the same bytes. Load: 8
// keep-alive clients in another thread (load.mjs).
//
// Both sides get the same warm-up (8 s) before they are measured: the host's path (HTTP,
// runtime, pools, worker messaging, several isolates' JIT on 2 cores) needs seconds of load
// before V8's optimising compiler is done with it; measured after 2.5 s it ran at a third of its
// steady rate. Then both are measured in alternating 1 s windows (4 each), so a neighbour's load
// on the machine weighs on both sides alike.
// Each host row notes the main thread's CPU per event (the server's own thread: HTTP, routing,
// answer; the guest runs in sandbox workers); each host also gets a "plugin calls/s" row, the
// calls its diagnostics timeline recorded per second of load.
import { createServer } from 'node:http';
import { benchHost, envelope, examplesHost } from './bench-host.mjs';
import { mainThreadCpuMs, runLoad } from './load.mjs';
import { percentile, progress, size } from './support.mjs';

const CONCURRENCY = 8;
const WARM_UP_MS = size(8000, 1500);
/** The measured load: ROUNDS windows on each server, alternating, so both see the same machine. */
const ROUNDS = size(4, 2);
const WINDOW_MS = size(1000, 500);

/** A plain server answering every request with `answer` once it has read the body. */
async function plainServer(answer) {
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': answer.length });
      res.end(answer);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/events`,
    close: () =>
      new Promise((r) => {
        server.close(r);
        server.closeAllConnections();
      }),
  };
}

/** A side's totals over its windows. */
function tally() {
  return { sent: 0, failed: 0, elapsedMs: 0, cpuMs: 0, counted: 0, latencies: [], failures: [] };
}

/** One window of load on `url`, added to `into` (with the main thread's CPU and `counter()`'s growth). */
async function window(into, url, body, checkEvents, counter) {
  const cpu = mainThreadCpuMs();
  const before = counter();
  const load = await runLoad({ url, body, concurrency: CONCURRENCY, durationMs: WINDOW_MS, checkEvents });
  into.cpuMs = cpu === null ? null : into.cpuMs + (mainThreadCpuMs() - cpu);
  into.counted += counter() - before;
  into.sent += load.sent;
  into.failed += load.failed;
  into.elapsedMs += load.elapsedMs;
  into.latencies.push(...load.latencies);
  into.failures.push(...load.failures);
}

function summary(t) {
  return {
    ...t,
    perSecond: t.sent / (t.elapsedMs / 1000),
    p50Ms: percentile(t.latencies, 50),
    p99Ms: percentile(t.latencies, 99),
    cpuUs: t.cpuMs === null ? null : (t.cpuMs * 1000) / t.sent,
  };
}

/**
 * Warms the host and a plain server answering its answer's bytes, then measures both in
 * alternating windows; closes both.
 */
async function measurePair(host, body) {
  let plain;
  try {
    const first = await fetch(host.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const answer = Buffer.from(await first.arrayBuffer());
    plain = await plainServer(answer);
    await runLoad({ url: host.url, body, concurrency: CONCURRENCY, durationMs: WARM_UP_MS });
    await runLoad({ url: plain.url, body, concurrency: CONCURRENCY, durationMs: WARM_UP_MS, checkEvents: false });
    const hostSide = tally();
    const plainSide = tally();
    const calls = () => host.runtime.timeline.latestSeq;
    for (let i = 0; i < ROUNDS; i++) {
      await window(hostSide, host.url, body, true, calls);
      await window(plainSide, plain.url, body, false, () => 0);
    }
    return { answer, load: summary(hostSide), plain: summary(plainSide) };
  } finally {
    await plain?.close();
    await host.close();
  }
}

const cpuNote = (load) => (load.cpuUs === null ? '' : `, main thread ${Math.round(load.cpuUs)} µs CPU/event`);

export async function benchIngress() {
  const cases = [
    { label: '1 plugin subscribed', key: '1 plugin', host: () => benchHost({ count: 1, prefix: 'ingress1' }), event: envelope(), goal: 0.5 },
    { label: '5 plugins subscribed', key: '5 plugins', host: () => benchHost({ count: 5, prefix: 'ingress5' }), event: envelope(), goal: 0.1 },
    {
      label: 'hello to the example plugins',
      key: 'examples',
      host: () => examplesHost(),
      event: { id: 'bench-hello', type: 'hello', source: '/bench', data: { name: 'bench' } },
      goal: 0.1,
    },
  ];
  const rows = [];
  for (const c of cases) {
    progress(`ingress: ${c.label} ...`);
    const body = JSON.stringify(c.event);
    const { load, plain, answer } = await measurePair(await c.host(), body);
    if (load.failed > 0) throw new Error(`ingress bench: ${load.failed} of ${load.sent} requests failed: ${JSON.stringify(load.failures.slice(0, 5))}`);
    const base = `plain node:http, same ${answer.length} B answer (${c.key})`;
    const seconds = load.elapsedMs / 1000;
    rows.push(
      { name: base, value: plain.perSecond, unit: 'ops/s', note: cpuNote(plain).slice(2) },
      {
        name: `POST /events, ${c.label}`,
        value: load.perSecond,
        unit: 'ops/s',
        baseline: base,
        goal: { ratio: '>', value: c.goal },
        note: `p50 ${load.p50Ms.toFixed(2)} ms, p99 ${load.p99Ms.toFixed(2)} ms, ${load.sent} sent${cpuNote(load)}`,
      },
      {
        name: `plugin calls/s, ${c.label}`,
        value: load.counted / seconds,
        unit: 'ops/s',
        note: `${(load.counted / load.sent).toFixed(1)} calls per event (diagnostics timeline)`,
      },
    );
  }
  return rows;
}
