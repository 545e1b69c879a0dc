// Benchmark (issue 15): the footprint of many live plugins. echo-c is deployed under 20, 200 and
// (full run) 1000 distinct names, each subscribed to its own event type, through the version
// manager and a real IngressServer; after each step every plugin answers one event over HTTP, and
// the process RSS is read after full collections. Reported: RSS per additional plugin between
// steps, and the total at the largest step. Goals: ≤ 2 MiB per plugin, 1000 plugins ≤ 1.5 GB.
// Run alone: node --expose-gc test/bench/many-plugins.mjs [--quick]

import { LiquidNanoRuntime } from '../../dist/host/events/liquid-nano-runtime.js';
import { silentLogger } from '../../dist/host/index.js';
import { IngressServer } from '../../dist/host/server/ingress-server.js';
import { benchManager, envelope, exampleBytes } from './bench-host.mjs';
import { progress, settledRss, size } from './support.mjs';

const MiB = 1024 * 1024;
const STEPS = size([20, 200, 1000], [20, 200]);

/** Sends one event to each of the first `count` plugins; throws unless every one answered. */
async function answerAll(url, count) {
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async (_, j) => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(envelope(`bench.m${i + j}`)) });
        const body = await res.text();
        if (res.status !== 200 || !body.includes(`"plugin":"m-${i + j}"`))
          throw new Error(`plugin m-${i + j} did not answer: ${res.status} ${body.slice(0, 300)}`);
      }),
    );
  }
}

export async function benchManyPlugins() {
  const host = benchManager('many');
  const { digest } = await host.manager.storeArtifact(exampleBytes('echo-c'));
  const router = new LiquidNanoRuntime({ source: host.manager, logger: silentLogger() });
  const ingress = new IngressServer({ plugins: router, logger: silentLogger() });
  const address = await ingress.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}/events`;
  const rows = [];
  try {
    let deployed = 0;
    let last;
    for (const step of STEPS) {
      progress(`many plugins: deploying up to ${step} ...`);
      for (; deployed < step; deployed++) {
        await host.manager.deploy({
          manifest: host.manifest({ name: `m-${deployed}`, version: '1.0.0', events: [`bench.m${deployed}`] }),
          digest,
          actor: 'bench',
        });
      }
      await answerAll(url, step);
      const rss = await settledRss();
      if (last) {
        rows.push({
          name: `RSS per additional live C plugin (${last.step} → ${step})`,
          value: (rss - last.rss) / (step - last.step) / MiB,
          unit: 'MiB',
          goal: { below: 2 },
        });
      }
      rows.push({
        name: `RSS with ${step} live C plugins, each answered an event`,
        value: rss / MiB,
        unit: 'MiB',
        ...(step === 1000 ? { goal: { below: 1536 } } : {}),
      });
      last = { step, rss };
    }
  } finally {
    await ingress.close();
    await host.close();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await benchManyPlugins()) console.log(`${row.name}: ${row.value.toFixed(2)} ${row.unit}`);
}
