/**
 * Fuzzing the engine (issue 8): at least 10 000 mutants of real components (bit flips, byte
 * inserts and deletes, LEB128 edits, section splicing, truncation; seeds from components/ and
 * test/fixtures/components/) go through `Engine.load` — what `lnano inspect`, `lnano run` and
 * every deploy do: preamble check, type decoding, transpile, and for every other input fuel and
 * memory instrumentation, then compilation. Every input must either load or fail with a coded
 * `LN_ERR_*` error: no raw RangeError/TypeError, no crash, no hang.
 *
 * The seed is printed; `LNANO_FUZZ_SEED=<seed> npx vitest run test/fuzz/component-bytes.test.ts`
 * replays a failure.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Engine, meterOptions } from '../../host/engine/engine.js';
import { ERROR_CODES } from '../../host/errors/codes.js';
import { isLnError } from '../../host/errors/ln-error.js';
import { fuzzCount, fuzzSeed, Prng } from './prng.js';
import { mutant } from './wasm-mutator.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Seeds up to this size: bigger ones (an 11 MB JS guest) make each transpile slow. */
const MAX_SEED_BYTES = 64 * 1024;

function seedFiles(): string[] {
  const out: string[] = [];
  for (const dir of ['components', 'test/fixtures/components']) {
    for (const name of readdirSync(join(ROOT, dir))) {
      for (const file of ['component.wasm', `${name}.wasm`]) {
        const path = join(ROOT, dir, name, file);
        try {
          if (statSync(path).size <= MAX_SEED_BYTES) out.push(path);
        } catch {
          /* no such file */
        }
      }
    }
  }
  return out.sort();
}

describe('engine fuzzing: mutated component bytes', () => {
  it('loads or refuses every mutant with a coded error', async () => {
    const seed = fuzzSeed();
    console.log(`component fuzz seed: ${seed} (LNANO_FUZZ_SEED=${seed} to replay)`);
    const files = seedFiles();
    const seeds = files.map((f) => new Uint8Array(readFileSync(f)));
    expect(seeds.length).toBeGreaterThanOrEqual(10);
    const rng = new Prng(seed);
    // No memory cache: every mutant is decoded, transpiled and compiled on its own.
    const engine = new Engine({ memoryCacheEntries: 0 });
    const meter = meterOptions({ fuel: true, memoryBytes: 16 * 1024 * 1024 });
    const outcomes = new Map<string, number>();
    const escaped: string[] = [];
    let slowest = { ms: 0, index: -1 };
    const count = fuzzCount(10_000);
    for (let i = 0; i < count; i++) {
      const input = mutant(seeds, rng);
      const started = performance.now();
      let outcome: string;
      try {
        await engine.load(input.bytes, `fuzz-${i}`, i % 2 ? { meter } : {});
        outcome = 'loaded';
      } catch (err) {
        if (isLnError(err) && Object.hasOwn(ERROR_CODES, err.code) && err.message.length > 0) {
          outcome = err.code;
        } else {
          outcome = 'ESCAPED';
          if (escaped.length < 5) {
            escaped.push(`input ${i} (seed file ${files[input.seed]}, ${input.kinds.join('+')}): ${String((err as Error)?.stack ?? err).slice(0, 400)}`);
          }
        }
      }
      const ms = performance.now() - started;
      if (ms > slowest.ms) slowest = { ms, index: i };
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    console.log(
      `component fuzz: ${count} inputs from ${seeds.length} seeds, slowest ${slowest.ms.toFixed(0)} ms (input ${slowest.index}):`,
      Object.fromEntries(outcomes),
    );
    expect(escaped, `seed ${seed}`).toEqual([]);
    // The mutator reaches past the first checks: some mutants load, many fail deep inside.
    expect(outcomes.get('loaded') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('LN_ERR_LOAD_INVALID') ?? 0).toBeGreaterThan(count / 10);
  }, 180_000);
});
