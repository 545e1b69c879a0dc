// Benchmark: hot swap under load. HTTP load on POST /events (a real IngressServer) while the
// version manager deploys and rolls back echo-c over and over (immediate and blue-green swaps,
// rollbacks to the standby): requests lost (must be 0) and the p99 latency during the swaps,
// against the p99 of the same load with no swap (steady state), measured just before.
import { benchHost, envelope } from './bench-host.mjs';
import { runLoad, startLoad } from './load.mjs';
import { progress, size } from './support.mjs';

const CONCURRENCY = 4;

export async function benchHotSwap() {
  const host = await benchHost({ count: 1, prefix: 'swap', limits: { concurrency: 4 } });
  const body = JSON.stringify(envelope());
  const name = 'swap-0';
  try {
    await runLoad({ url: host.url, body, concurrency: CONCURRENCY, durationMs: size(1500, 500) }); // warm-up
    progress('hot swap: steady state ...');
    const steady = await runLoad({ url: host.url, body, concurrency: CONCURRENCY, durationMs: size(4000, 1500) });
    progress('hot swap: swapping under load ...');
    const load = startLoad({ url: host.url, body, concurrency: CONCURRENCY });
    let swaps = 0;
    const deploy = (v, strategy) =>
      host.manager.deploy({
        manifest: host.manifest({ name, version: `${v}.0.0`, limits: { concurrency: 4 } }),
        digest: host.digest,
        actor: 'bench',
        strategy,
      });
    const rounds = size(12, 4);
    for (let v = 2; v < 2 + rounds; v++) {
      await deploy(v, v % 2 ? 'blue-green' : 'immediate');
      swaps++;
      if (v % 2) {
        await host.manager.rollback(name, { actor: 'bench' });
        swaps++;
      }
    }
    load.stop();
    const during = await load.done;
    const base = 'p99 latency, steady state (no swap)';
    return [
      { name: base, value: steady.p99Ms * 1e6, unit: 'ns', note: `${steady.sent} requests, ${Math.round(steady.perSecond)}/s` },
      { name: `p99 latency during ${swaps} swaps`, value: during.p99Ms * 1e6, unit: 'ns', baseline: base, note: `${Math.round(during.perSecond)}/s` },
      {
        name: `requests lost during ${swaps} swaps`,
        value: during.failed,
        unit: 'count',
        goal: { equals: 0 },
        note: `${during.sent} sent${during.failed ? `; ${JSON.stringify(during.failures)}` : ''}`,
      },
    ];
  } finally {
    await host.close();
  }
}
