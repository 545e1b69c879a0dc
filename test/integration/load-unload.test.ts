import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../host/engine/engine.js';
import { findExport } from '../../host/engine/component.js';
import { closedGrants } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { Instance } from '../../host/sandbox/instance.js';
import { fixture } from '../helpers/cli.js';

const CYCLES = 1000;
const WARMUP = 50;

function rssMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 1024 / 1024;
}

describe('load/unload cycles', () => {
  it(`${CYCLES} load → instantiate → call → unload cycles keep RSS bounded`, async () => {
    const bytes = readFileSync(fixture('strings'));
    // No memory cache: every cycle reads the disk cache, compiles the core modules, starts a worker.
    const engine = new Engine({ cacheDir: join(mkdtempSync(join(tmpdir(), 'lnano-cycles-')), 'cache'), memoryCacheEntries: 0 });
    const cycle = async (): Promise<void> => {
      const component = await engine.load(bytes, 'strings');
      const instance = await Instance.start(component, { linker: linkerSpec(closedGrants('strings')) });
      const outcome = await instance.call(findExport(component.shape, 'greet')!, ['x']);
      expect(outcome.value).toBe('Hello, x!');
      await instance.dispose();
      engine.unload(component.digest);
    };
    const run = async (n: number): Promise<void> => {
      // Two lanes: this machine has two cores.
      await Promise.all([0, 1].map(async (lane) => {
        for (let i = lane; i < n; i += 2) await cycle();
      }));
    };
    await run(WARMUP);
    const before = rssMiB();
    const started = performance.now();
    await run(CYCLES);
    const after = rssMiB();
    const seconds = (performance.now() - started) / 1000;
    console.log(`[load-unload] ${CYCLES} cycles in ${seconds.toFixed(1)} s; RSS ${before.toFixed(0)} MiB -> ${after.toFixed(0)} MiB (growth ${(after - before).toFixed(1)} MiB)`);
    expect(after - before).toBeLessThan(150);
  }, 300_000);
});
