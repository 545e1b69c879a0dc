// Benchmark: throughput as the host serves more components. 1, 10 and 50 copies of echo-c are
// deployed, each subscribed to its own event type; the load sends each type in turn through
// POST /events (a real IngressServer), so every event reaches exactly one plugin and every plugin
// gets its share. Baseline: the same load with 1 component deployed.
import { benchHost, envelope } from './bench-host.mjs';
import { runLoad } from './load.mjs';
import { progress, size } from './support.mjs';

const COUNTS = size([1, 10, 50], [1, 5, 10]);
const CONCURRENCY = 8;

export async function benchScale() {
  const rows = [];
  const base = `events/s, ${COUNTS[0]} component deployed`;
  for (const count of COUNTS) {
    progress(`scale: deploying ${count} component(s) ...`);
    const host = await benchHost({ count, prefix: `scale${count}`, events: (i) => [`bench.c${i}`] });
    try {
      const bodies = Array.from({ length: count }, (_, i) => JSON.stringify(envelope(`bench.c${i}`)));
      await runLoad({ url: host.url, bodies, concurrency: CONCURRENCY, durationMs: size(2500, 800) }); // warm-up: pools grow
      const load = await runLoad({ url: host.url, bodies, concurrency: CONCURRENCY, durationMs: size(4000, 1000) });
      if (load.failed > 0) throw new Error(`scale bench: ${load.failed} of ${load.sent} failed: ${JSON.stringify(load.failures)}`);
      rows.push({
        name: count === COUNTS[0] ? base : `events/s, ${count} components deployed`,
        value: load.perSecond,
        unit: 'ops/s',
        ...(count === COUNTS[0] ? {} : { baseline: base }),
        note: `p99 ${load.p99Ms.toFixed(1)} ms`,
      });
    } finally {
      await host.close();
    }
  }
  return rows;
}
