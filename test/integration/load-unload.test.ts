import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closedGrants } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { findExport } from '../../host/engine/component.js';
import { Engine, meterOptions } from '../../host/engine/engine.js';
import { Instance } from '../../host/sandbox/instance.js';
import { fixture } from '../helpers/cli.js';

const WARMUP = 50;

// The served path (deadline checks: instances share sandbox workers) and the dedicated-worker
// path (no deadline checks: each instance starts and ends a worker thread, the slow one).
const PLACEMENTS = [
  { placement: 'shared workers', cycles: 1000, meter: meterOptions({ deadline: true }) },
  { placement: 'dedicated workers', cycles: 200, meter: undefined },
] as const;

function rssMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 1024 / 1024;
}

describe.each(PLACEMENTS)('load/unload cycles, $placement', ({ placement, cycles: CYCLES, meter }) => {
  it(`${CYCLES} load → instantiate → call → unload cycles keep RSS bounded`, async () => {
    const bytes = readFileSync(fixture('strings'));
    // No memory cache: every cycle reads the disk cache, compiles the core modules, starts a worker.
    const engine = new Engine({ cacheDir: join(mkdtempSync(join(tmpdir(), 'lnano-cycles-')), 'cache'), memoryCacheEntries: 0 });
    const cycle = async (): Promise<void> => {
      const component = await engine.load(bytes, 'strings', meter ? { meter } : {});
      const instance = await Instance.start(component, { linker: linkerSpec(closedGrants('strings')) });
      const outcome = await instance.call(findExport(component.shape, 'greet')!, ['x']);
      expect(outcome.value).toBe('Hello, x!');
      await instance.dispose();
      engine.unload(component.digest);
    };
    const run = async (n: number): Promise<void> => {
      // Two lanes: this machine has two cores.
      await Promise.all(
        [0, 1].map(async (lane) => {
          for (let i = lane; i < n; i += 2) await cycle();
        }),
      );
    };
    await run(WARMUP);
    const before = rssMiB();
    const started = performance.now();
    await run(CYCLES);
    const after = rssMiB();
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `[load-unload, ${placement}] ${CYCLES} cycles in ${seconds.toFixed(1)} s; RSS ${before.toFixed(0)} MiB -> ${after.toFixed(0)} MiB (growth ${(after - before).toFixed(1)} MiB)`,
    );
    expect(after - before).toBeLessThan(150);
  }, 300_000);
});
