// Benchmark: a wasi:http/proxy component on a route (issue 18). The http-echo fixture (plain
// componentize-js) on `/echo/...` of a real IngressServer, against a plain node:http server that
// answers the same request with the same bytes (the body echoed back), and against `POST /events`
// to one echo-c plugin on the same ingress. Load: 8 keep-alive clients in another thread
// (load.mjs), 64-byte bodies. Each side is warmed, then measured in alternating windows so a
// neighbour's load on the machine weighs on all of them alike.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { LiquidNanoRuntime } from '../../dist/host/events/liquid-nano-runtime.js';
import { silentLogger } from '../../dist/host/index.js';
import { RouteServer } from '../../dist/host/server/http-routes/route-server.js';
import { IngressServer } from '../../dist/host/server/ingress-server.js';
import { benchManager, envelope, exampleBytes } from './bench-host.mjs';
import { runLoad } from './load.mjs';
import { percentile, progress, size } from './support.mjs';

const CONCURRENCY = 8;
const WARM_UP_MS = size(6000, 1500);
const ROUNDS = size(4, 2);
const WINDOW_MS = size(1000, 500);
const ECHO = new URL('../fixtures/components/http-echo/component.wasm', import.meta.url);

/** A plain server echoing the body back, as the route's component does. */
async function plainEcho() {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/echo/bench`,
    close: () =>
      new Promise((r) => {
        server.close(r);
        server.closeAllConnections();
      }),
  };
}

export async function benchHttpRoutes() {
  const host = benchManager('routes');
  const { manager } = host;
  const echo = await manager.storeArtifact(new Uint8Array(readFileSync(ECHO)));
  await manager.deploy({ manifest: host.manifest({ name: 'echo', version: '1.0.0', routes: ['/echo/...'] }), digest: echo.digest, actor: 'bench' });
  const plugin = await manager.storeArtifact(exampleBytes('echo-c'));
  await manager.deploy({ manifest: host.manifest({ name: 'events-echo', version: '1.0.0', events: ['bench.event'] }), digest: plugin.digest, actor: 'bench' });
  const runtime = new LiquidNanoRuntime({ source: manager, logger: silentLogger() });
  const ingress = new IngressServer({ plugins: runtime, logger: silentLogger(), routes: new RouteServer(manager, silentLogger()) });
  const { port } = await ingress.listen(0, '127.0.0.1');
  const plain = await plainEcho();
  const body = JSON.stringify(envelope());
  const sides = {
    route: { url: `http://127.0.0.1:${port}/echo/bench`, checkEvents: false },
    plain: { url: plain.url, checkEvents: false },
    events: { url: `http://127.0.0.1:${port}/events`, checkEvents: true },
  };
  try {
    for (const [name, side] of Object.entries(sides)) {
      progress(`http-routes: warming ${name} ...`);
      await runLoad({ url: side.url, body, concurrency: CONCURRENCY, durationMs: WARM_UP_MS, checkEvents: side.checkEvents });
    }
    const totals = Object.fromEntries(Object.keys(sides).map((k) => [k, { sent: 0, failed: 0, elapsedMs: 0, latencies: [], failures: [] }]));
    for (let i = 0; i < ROUNDS; i++) {
      for (const [name, side] of Object.entries(sides)) {
        const load = await runLoad({ url: side.url, body, concurrency: CONCURRENCY, durationMs: WINDOW_MS, checkEvents: side.checkEvents });
        const t = totals[name];
        t.sent += load.sent;
        t.failed += load.failed;
        t.elapsedMs += load.elapsedMs;
        t.latencies.push(...load.latencies);
        t.failures.push(...load.failures);
      }
    }
    for (const [name, t] of Object.entries(totals)) {
      if (t.failed > 0) throw new Error(`http-routes bench: ${t.failed} of ${t.sent} ${name} requests failed: ${JSON.stringify(t.failures.slice(0, 5))}`);
    }
    const rate = (t) => t.sent / (t.elapsedMs / 1000);
    const note = (t) => `p50 ${percentile(t.latencies, 50).toFixed(2)} ms, p99 ${percentile(t.latencies, 99).toFixed(2)} ms, ${t.sent} sent`;
    const base = `plain node:http echoing a ${body.length} B body`;
    return [
      { name: base, value: rate(totals.plain), unit: 'ops/s', note: note(totals.plain) },
      { name: 'route /echo/... (http-echo, componentize-js)', value: rate(totals.route), unit: 'ops/s', baseline: base, note: note(totals.route) },
      { name: 'POST /events, 1 echo-c plugin, same ingress', value: rate(totals.events), unit: 'ops/s', baseline: base, note: note(totals.events) },
    ];
  } finally {
    await plain.close();
    await ingress.close();
    await host.close();
  }
}
