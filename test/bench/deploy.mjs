// Benchmark: cold start, deploy → first answer, and rollback, through the version manager.
//   deploy → first answer, uncached (transpile + instrument + warm + first call) and disk-cached
//   (a fresh engine over the same data dir: only the disk cache helps) for the 18 KB C plugin and
//   the 11 MB componentize-js plugin, against a cold start of an instance of the same component
//   with its modules already compiled (the baseline);
//   rollback to the warm blue-green standby and from the cache, against the same baseline;
//   the longest event-loop stall during the uncached deploy, against that deploy's time.
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { closedGrants, Engine, findExport, Instance, LIMIT_DEFAULTS, linkerSpec, meterFor } from '../../dist/host/index.js';
import { benchManager, exampleBytes } from './bench-host.mjs';
import { benchEvent, medianOf, progress, size, timed } from './support.mjs';

/** A cold start: a new instance of the component (modules compiled already) and its first call. */
async function coldStart(engine, bytes, name) {
  const component = await engine.load(bytes, name, { meter: meterFor(LIMIT_DEFAULTS) });
  const handle = findExport(component.shape, 'handler#handle');
  return medianOf(size(5, 2), () =>
    timed(async () => {
      const instance = await Instance.start(component, { linker: linkerSpec(closedGrants(name)) });
      await instance.call(handle, [benchEvent(0)]);
      await instance.dispose();
    }),
  );
}

async function deployTimes(name) {
  const bytes = exampleBytes(name);
  const first = benchManager(`cold-${name}`);
  const { dataDir, manifest } = first;
  const second = { manager: undefined };
  try {
    const { digest } = await first.manager.storeArtifact(bytes);
    const deployAndAnswer = (m, version, strategy) =>
      timed(async () => {
        await m.deploy({ manifest: manifest({ name, version }), digest, actor: 'bench', strategy });
        const outcome = await m.call(name, benchEvent(1));
        if (!outcome.ok) throw new Error(`${name}@${version} did not answer: ${JSON.stringify(outcome.error)}`);
      });
    // How long the event loop (which serves every other plugin's events) stalls during it.
    const stalls = monitorEventLoopDelay({ resolution: 5 });
    stalls.enable();
    const uncached = await deployAndAnswer(first.manager, '1.0.0', 'immediate');
    stalls.disable();
    const stall = stalls.max;
    await first.manager.close();
    // A new engine: nothing compiled in memory, only the data dir's disk cache helps.
    const m = (second.manager = benchManager(`cold-${name}`, { dataDir }).manager);
    await m.restore();
    const cached = await deployAndAnswer(m, '2.0.0', 'blue-green');
    const standby = await timed(() => m.rollback(name, { actor: 'bench' }));
    // An immediate deploy keeps nothing warm: going back to 1.0.0 then starts it from the cache.
    await m.deploy({ manifest: manifest({ name, version: '3.0.0' }), digest, actor: 'bench' });
    const fromCache = await timed(() => m.rollback(name, { actor: 'bench', to: '1.0.0' }));
    const cold = await coldStart(new Engine({ cacheDir: join(dataDir, 'cache') }), bytes, name);
    return { uncached, cached, standby, fromCache, cold, stall };
  } finally {
    await second.manager?.close();
    await first.close();
  }
}

export async function benchColdStart() {
  const rows = [];
  for (const [name, label] of [
    ['echo-c', 'C plugin, 18 KB'],
    ['echo-ts', 'JS plugin, 11 MB'],
  ]) {
    progress(`cold start: ${name} ...`);
    const t = await deployTimes(name);
    const base = `cold start: new instance + first call (${label})`;
    rows.push(
      { name: base, value: t.cold, unit: 'ns' },
      { name: `deploy → first answer, uncached (${label})`, value: t.uncached, unit: 'ns', baseline: base },
      { name: `longest event-loop stall in that deploy (${label})`, value: t.stall, unit: 'ns', baseline: `deploy → first answer, uncached (${label})` },
      { name: `deploy → first answer, disk-cached (${label})`, value: t.cached, unit: 'ns', baseline: base },
      { name: `rollback to the warm standby (${label})`, value: t.standby, unit: 'ns', baseline: base },
      { name: `rollback from the cache (${label})`, value: t.fromCache, unit: 'ns', baseline: base, goal: { ratio: '<', value: 2 } },
    );
  }
  return rows;
}
