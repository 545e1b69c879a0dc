// Benchmark: the version manager.
//   deploy → serving (uncached: transpile + instrument + warm; cached: from the disk cache in a
//   fresh engine) for the 18 KB C plugin and the 11 MB componentize-js plugin, against a cold
//   start of an instance of the same component (its baseline);
//   rollback to the warm blue-green standby and from the cache, against the same baseline;
//   requests lost while deploys and rollbacks swap versions under continuous load (must be 0).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Engine, Instance, LIMIT_DEFAULTS, VersionManager, closedGrants, findExport, linkerSpec, meterFor, parseManifest, silentLogger,
} from '../../dist/host/index.js';

const EXAMPLES = new URL('../../components/', import.meta.url);
const bytesOf = (name) => new Uint8Array(readFileSync(new URL(`${name}/component.wasm`, EXAMPLES)));
const event = (i) => ({ id: `b${i}`, type: 'bench', source: '/bench', time: undefined, datacontenttype: undefined, data: new Uint8Array(), extensions: [] });

async function timed(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t);
}

/** A cold start: a new instance of the component (modules compiled already) and its first call. */
async function coldStart(engine, bytes, name) {
  const component = await engine.load(bytes, name, { meter: meterFor(LIMIT_DEFAULTS) });
  return timed(async () => {
    const instance = await Instance.start(component, { linker: linkerSpec(closedGrants(name)) });
    await instance.call(findExport(component.shape, 'handler#handle'), [event(0)]);
    await instance.dispose();
  });
}

function manager(dataDir) {
  return new VersionManager({ dataDir, engine: new Engine({ cacheDir: join(dataDir, 'cache') }), logger: silentLogger() });
}

async function deployTimes(name) {
  const bytes = bytesOf(name);
  const dataDir = mkdtempSync(join(tmpdir(), `lnano-bench-${name}-`));
  try {
    const first = manager(dataDir);
    const { digest } = await first.storeArtifact(bytes);
    const manifest = (version) => parseManifest({ name, version }, 'bench', dataDir);
    const uncached = await timed(() => first.deploy({ manifest: manifest('1.0.0'), digest, actor: 'bench' }));
    await first.close();
    // A new process-wide engine: only the disk cache helps.
    const second = manager(dataDir);
    await second.restore();
    const cached = await timed(() => second.deploy({ manifest: manifest('2.0.0'), digest, actor: 'bench', strategy: 'blue-green' }));
    const standby = await timed(() => second.rollback(name, { actor: 'bench' }));
    // An immediate deploy keeps nothing warm: going back to 1.0.0 then starts it from the cache.
    await second.deploy({ manifest: manifest('3.0.0'), digest, actor: 'bench' });
    const fromCache = await timed(() => second.rollback(name, { actor: 'bench', to: '1.0.0' }));
    const cold = await coldStart(new Engine({ cacheDir: join(dataDir, 'cache') }), bytes, name);
    await second.close();
    return { uncached, cached, standby, fromCache, cold };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function lostDuringSwaps() {
  const dataDir = mkdtempSync(join(tmpdir(), 'lnano-bench-swap-'));
  const m = manager(dataDir);
  try {
    const { digest } = await m.storeArtifact(bytesOf('echo-c'));
    const deploy = (version, strategy) => m.deploy({ manifest: parseManifest({ name: 'echo-c', version, limits: { concurrency: 4 } }, 'bench', dataDir), digest, actor: 'bench', strategy });
    await deploy('1.0.0', 'immediate');
    let running = true;
    let sent = 0;
    let lost = 0;
    const worker = async () => {
      while (running) {
        sent++;
        const outcome = await m.call('echo-c', event(sent)).catch(() => ({ ok: false }));
        if (!outcome.ok) lost++;
      }
    };
    const load = Promise.all([worker(), worker(), worker(), worker()]);
    let swaps = 0;
    for (let v = 2; v <= 6; v++) {
      await deploy(`${v}.0.0`, v % 2 ? 'blue-green' : 'immediate');
      swaps++;
      if (v % 2) {
        await m.rollback('echo-c', { actor: 'bench' });
        swaps++;
      }
    }
    running = false;
    await load;
    return { sent, lost, swaps };
  } finally {
    await m.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** @returns {Promise<Array<{ name: string, ns: number, baseline: string, goal?: number, text?: string }>>} */
export async function benchDeploy() {
  const rows = [];
  for (const [name, label] of [['echo-c', 'C plugin, 18 KB'], ['echo-ts', 'JS plugin, 11 MB']]) {
    const t = await deployTimes(name);
    const base = `cold start + first call (${label})`;
    rows.push(
      { name: base, ns: t.cold, baseline: base },
      { name: `deploy → serving, uncached (${label})`, ns: t.uncached, baseline: base },
      { name: `deploy → serving, disk-cached (${label})`, ns: t.cached, baseline: base },
      { name: `rollback to the warm standby (${label})`, ns: t.standby, baseline: base },
      { name: `rollback from the cache (${label})`, ns: t.fromCache, baseline: base, goal: 2 },
    );
  }
  const { sent, lost, swaps } = await lostDuringSwaps();
  rows.push({ name: `requests lost during ${swaps} swaps under load (${sent} sent)`, ns: 0, baseline: '', text: String(lost), goal: undefined, lost });
  return rows;
}
