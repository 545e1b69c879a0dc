// Benchmark: HTTP event ingress. `POST /events` through a real IngressServer + event runtime +
// version manager, with 1 and with 5 echo-c plugins subscribed (each event is delivered to every
// one, side by side), and a `hello` event to the example plugins as `npm start` seeds them (seven
// subscribe: the echo plugins in C, C++, Rust, AssemblyScript, WAT, JS and TS), each against a
// plain node:http server that reads the same request and answers with the same bytes. Load: 8
// keep-alive clients in another thread (load.mjs).
//
// Both sides get the same warm-up before they are measured: the host's path (HTTP, runtime,
// pools, worker messaging, several isolates' JIT on 2 cores) needs seconds of load before V8's
// optimising compiler is done with it; measured after 2.5 s it ran at a third of its steady rate.
// Each host row notes the main thread's CPU per event (the server's own thread: HTTP, routing,
// answer; the guest runs in sandbox workers); each host also gets a "plugin calls/s" row, the
// calls its diagnostics timeline recorded per second of load.
import { createServer } from 'node:http';
import { benchHost, envelope, examplesHost } from './bench-host.mjs';
import { mainThreadCpuMs, runLoad } from './load.mjs';
import { progress, size } from './support.mjs';

const CONCURRENCY = 8;
const WARM_UP_MS = size(8000, 1500);
const DURATION_MS = size(4000, 1000);

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
  return { url: `http://127.0.0.1:${server.address().port}/events`, close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }) };
}

/** Warms `url` up, then measures it; with the main thread's CPU per request (µs, or null). */
async function measure(url, body, checkEvents, during = () => 0) {
  await runLoad({ url, body, concurrency: CONCURRENCY, durationMs: WARM_UP_MS, checkEvents });
  const cpu = mainThreadCpuMs();
  const before = during();
  const load = await runLoad({ url, body, concurrency: CONCURRENCY, durationMs: DURATION_MS, checkEvents });
  const cpuUs = cpu === null ? null : ((mainThreadCpuMs() - cpu) * 1000) / load.sent;
  return { ...load, cpuUs, counted: during() - before };
}

async function measureHost(host, body) {
  try {
    const first = await fetch(host.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const answer = Buffer.from(await first.arrayBuffer());
    const load = await measure(host.url, body, true, () => host.runtime.timeline.latestSeq);
    return { load, answer };
  } finally {
    await host.close();
  }
}

async function measurePlain(answer, body) {
  const plain = await plainServer(answer);
  try {
    return await measure(plain.url, body, false);
  } finally {
    await plain.close();
  }
}

const cpuNote = (load) => (load.cpuUs === null ? '' : `, main thread ${Math.round(load.cpuUs)} µs CPU/event`);

export async function benchIngress() {
  const cases = [
    { label: '1 plugin subscribed', key: '1 plugin', host: () => benchHost({ count: 1, prefix: 'ingress1' }), event: envelope(), goal: 0.5 },
    { label: '5 plugins subscribed', key: '5 plugins', host: () => benchHost({ count: 5, prefix: 'ingress5' }), event: envelope(), goal: 0.1 },
    { label: 'hello to the example plugins', key: 'examples', host: () => examplesHost(), event: { id: 'bench-hello', type: 'hello', source: '/bench', data: { name: 'bench' } }, goal: 0.1 },
  ];
  const rows = [];
  for (const c of cases) {
    progress(`ingress: ${c.label} ...`);
    const body = JSON.stringify(c.event);
    const { load, answer } = await measureHost(await c.host(), body);
    if (load.failed > 0) throw new Error(`ingress bench: ${load.failed} of ${load.sent} requests failed: ${JSON.stringify(load.failures)}`);
    const plain = await measurePlain(answer, body);
    const base = `plain node:http, same ${answer.length} B answer (${c.key})`;
    const seconds = load.elapsedMs / 1000;
    rows.push(
      { name: base, value: plain.perSecond, unit: 'ops/s', note: cpuNote(plain).slice(2) },
      { name: `POST /events, ${c.label}`, value: load.perSecond, unit: 'ops/s', baseline: base, goal: { ratio: '>', value: c.goal },
        note: `p50 ${load.p50Ms.toFixed(2)} ms, p99 ${load.p99Ms.toFixed(2)} ms, ${load.sent} sent${cpuNote(load)}` },
      { name: `plugin calls/s, ${c.label}`, value: load.counted / seconds, unit: 'ops/s',
        note: `${(load.counted / load.sent).toFixed(1)} calls per event (diagnostics timeline)` },
    );
  }
  return rows;
}
