// Benchmark: HTTP event ingress. `POST /events` through a real IngressServer + event runtime +
// version manager, with 1 and with 5 echo-c plugins subscribed (each event is delivered to every
// one, in order), against a plain node:http server that reads the same request and answers with
// the same bytes. Load: keep-alive clients in another thread (load.mjs).
import { createServer } from 'node:http';
import { benchHost, envelope } from './bench-host.mjs';
import { runLoad } from './load.mjs';
import { progress, size } from './support.mjs';

const CONCURRENCY = 8;
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

async function measureHost(count, body) {
  const host = await benchHost({ count, prefix: `ingress${count}` });
  try {
    const first = await fetch(host.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const answer = Buffer.from(await first.arrayBuffer());
    await runLoad({ url: host.url, body, concurrency: CONCURRENCY, durationMs: size(2500, 800) }); // warm-up: the pools grow to their concurrency
    const load = await runLoad({ url: host.url, body, concurrency: CONCURRENCY, durationMs: DURATION_MS });
    return { load, answer };
  } finally {
    await host.close();
  }
}

async function measurePlain(answer, body) {
  const plain = await plainServer(answer);
  try {
    await runLoad({ url: plain.url, body, concurrency: CONCURRENCY, durationMs: size(1000, 300), checkEvents: false });
    return await runLoad({ url: plain.url, body, concurrency: CONCURRENCY, durationMs: DURATION_MS, checkEvents: false });
  } finally {
    await plain.close();
  }
}

export async function benchIngress() {
  const body = JSON.stringify(envelope());
  const rows = [];
  for (const count of [1, 5]) {
    progress(`ingress with ${count} plugin(s) ...`);
    const { load, answer } = await measureHost(count, body);
    if (load.failed > 0) throw new Error(`ingress bench: ${load.failed} of ${load.sent} requests failed: ${JSON.stringify(load.failures)}`);
    const plain = await measurePlain(answer, body);
    const base = `plain node:http, same ${answer.length} B answer (${count} plugin${count > 1 ? 's' : ''})`;
    rows.push(
      { section: 'ingress', name: base, value: plain.perSecond, unit: 'ops/s' },
      { section: 'ingress', name: `POST /events, ${count} plugin${count > 1 ? 's' : ''} subscribed`, value: load.perSecond, unit: 'ops/s', baseline: base,
        note: `p50 ${load.p50Ms.toFixed(2)} ms, p99 ${load.p99Ms.toFixed(2)} ms, ${load.sent} sent` },
    );
  }
  return rows;
}
