/**
 * Fuzzing manifests (issue 8): mutants of real and complete manifests go through `parseManifest`
 * (as values) and `readManifest` (as files, sometimes damaged as text). Each must parse or fail
 * with `LN_ERR_MANIFEST_INVALID` naming the file — never a raw error, never another code — and
 * no mutant may pollute Object.prototype.
 *
 * The seed is printed; `LNANO_FUZZ_SEED=<seed>` replays a failure.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLnError } from '../../host/errors/ln-error.js';
import { parseManifest, readManifest } from '../../host/versions/manifest.js';
import { type Json, mutateJson, mutateText } from './json-mutator.js';
import { fuzzCount, fuzzSeed, Prng } from './prng.js';

const dir = mkdtempSync(join(tmpdir(), 'lnano-fuzz-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COMPLETE: Json = {
  name: 'telemetry',
  version: '1.2.0',
  description: 'all sections',
  component: './telemetry.wasm',
  events: ['sensor.*', 'alarm'],
  priority: 10,
  config: { threshold: '40' },
  capabilities: {
    env: { LEVEL: 'info' },
    http: { allow: ['api.example.com:443'] },
    fs: [{ host: './data', guest: '/data', mode: 'ro' }],
    kv: { namespace: 'telemetry' },
  },
  limits: { memory: '64MiB', timeout: '500ms', fuel: 1000000000, concurrency: 16, maxPayload: '1MiB' },
  probe: { id: 'p1', type: 'probe', source: '/probe', data: { a: 1 } },
};

function seeds(): Json[] {
  const out: Json[] = [COMPLETE];
  for (const name of ['echo-c', 'echo-ts']) {
    out.push(JSON.parse(readFileSync(new URL(`../../components/${name}/manifest.json`, import.meta.url), 'utf8')) as Json);
  }
  return out;
}

/** 'ok', the code, or 'ESCAPED: …' for anything that is not a manifest error naming its file. */
function verdict(err: unknown, file: string): string {
  if (isLnError(err) && err.code === 'LN_ERR_MANIFEST_INVALID' && String(err.details.file) === file && err.message.length > 0) return err.code;
  return `ESCAPED: ${String((err as Error)?.stack ?? err).slice(0, 300)}`;
}

describe('manifest fuzzing', () => {
  it('parses or refuses every mutated manifest with LN_ERR_MANIFEST_INVALID', async () => {
    const seed = fuzzSeed();
    console.log(`manifest fuzz seed: ${seed} (LNANO_FUZZ_SEED=${seed} to replay)`);
    const rng = new Prng(seed);
    const bases = seeds();
    for (const base of bases) expect(() => parseManifest(base, 'seed.json', dir)).not.toThrow();
    const outcomes = new Map<string, number>();
    const escaped: string[] = [];
    const count = fuzzCount(6_000);
    for (let i = 0; i < count; i++) {
      const doc = mutateJson(rng.pick(bases), rng);
      let outcome: string;
      if (i % 4 === 3) {
        const file = join(dir, 'manifest.json');
        writeFileSync(file, mutateText(JSON.stringify(doc), rng));
        outcome = await readManifest(file).then(
          () => 'ok',
          (err: unknown) => verdict(err, file),
        );
      } else {
        try {
          parseManifest(doc, 'fuzz.json', dir);
          outcome = 'ok';
        } catch (err) {
          outcome = verdict(err, 'fuzz.json');
        }
      }
      if (outcome.startsWith('ESCAPED') && escaped.length < 5) escaped.push(`input ${i}: ${JSON.stringify(doc)?.slice(0, 300)}\n  ${outcome}`);
      const key = outcome.startsWith('ESCAPED') ? 'ESCAPED' : outcome;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    console.log(`manifest fuzz: ${count} inputs:`, Object.fromEntries(outcomes));
    expect(escaped, `seed ${seed}`).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('LN_ERR_MANIFEST_INVALID') ?? 0).toBeGreaterThan(count / 4);
  }, 60_000);
});
