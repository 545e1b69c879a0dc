// Issue 14, items 8 and 9: component-model async is refused at load, and decoding a component
// (types, then transpile) runs off the main thread within item, time and memory limits.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeComponent } from '../../../host/engine/component-types/component-type-reader.js';
import { formatWitFunction } from '../../../host/engine/component-types/wit-format.js';
import { Engine } from '../../../host/engine/engine.js';
import { Transpiler } from '../../../host/engine/transpiler.js';
import { isLnError, type LnError } from '../../../host/errors/ln-error.js';
import { example, fixture } from '../../helpers/cli.js';
import { bigTypeSectionComponent, manyExportsComponent } from '../../helpers/generated-components.js';

async function rejection(p: Promise<unknown>): Promise<LnError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLnError(err)) throw new Error(`expected a coded error, got ${String(err)}`);
  return err;
}

/**
 * Runs `work` while a 10 ms interval ticks on this thread, and returns the longest gap between
 * ticks: how long the event loop was blocked.
 */
async function longestGap<T>(work: () => Promise<T>): Promise<{ gapMs: number; result: PromiseSettledResult<T> }> {
  let last = performance.now();
  let gapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gapMs = Math.max(gapMs, now - last);
    last = now;
  }, 10);
  const [result] = await Promise.allSettled([work()]);
  clearInterval(timer);
  gapMs = Math.max(gapMs, performance.now() - last);
  return { gapMs, result };
}

const transpilers: Transpiler[] = [];
/** A decode thread of its own, so a test's budget never touches the shared one. */
function ownTranspiler(options: { memoryMb?: number } = {}): Transpiler {
  const t = new Transpiler(options);
  transpilers.push(t);
  return t;
}
afterAll(async () => {
  await Promise.all(transpilers.map((t) => t.close()));
});

describe('component-model async (WASI 0.3)', () => {
  const bytes = readFileSync(fixture('async-command'));

  it('the decoder names every async feature the fixture uses, and marks its function async', () => {
    const { shape, asyncUses } = decodeComponent(bytes);
    expect(asyncUses).toEqual([
      'async function type',
      'stream type',
      'canon task.return',
      'canon stream.new',
      'canon waitable-set.new',
      'canon lift async',
      'canon lift callback',
    ]);
    const run = shape.exports[0]!;
    expect(run.kind === 'interface' && run.functions.map((f) => formatWitFunction(f))).toEqual(['async func() -> result']);
  });

  it('a WASI 0.2 component uses none', () => {
    expect(decodeComponent(readFileSync(fixture('exit-command'))).asyncUses).toEqual([]);
    expect(decodeComponent(readFileSync(example('echo-ts'))).asyncUses).toEqual([]);
  });

  it('load refuses it with LN_ERR_LOAD_ASYNC_UNSUPPORTED naming what it uses, before transpiling', async () => {
    const engine = new Engine({ memoryCacheEntries: 0 });
    const err = await rejection(engine.load(bytes, 'async-command.wasm'));
    expect(err.code).toBe('LN_ERR_LOAD_ASYNC_UNSUPPORTED');
    expect(err.details.subject).toBe('async-command.wasm');
    expect(err.message).toContain('canon lift async');
    expect(err.message).toContain('canon task.return');
    expect((await rejection(engine.shape(bytes, 'x'))).code).toBe('LN_ERR_LOAD_ASYNC_UNSUPPORTED');
    // decode describes it without refusing (what inspect shows)
    expect((await engine.decode(bytes, 'x')).asyncUses).toContain('async function type');
  });
});

describe('decode limits', () => {
  it('50 000 exports are refused by the item limit, naming it, without blocking the event loop', async () => {
    const bytes = manyExportsComponent(50_000);
    expect(bytes.length).toBeGreaterThan(2_000_000);
    const engine = new Engine({ memoryCacheEntries: 0 });
    const { gapMs, result } = await longestGap(() => engine.load(bytes, 'many.wasm'));
    expect(result.status).toBe('rejected');
    const err = (result as PromiseRejectedResult).reason as LnError;
    expect(err.code).toBe('LN_ERR_LOAD_TOO_COMPLEX');
    expect(err.details).toMatchObject({ subject: 'many.wasm', limit: 'items' });
    expect(err.message).toContain('more than 20000 items');
    // Generous: before, the decode ran on this thread (1-3 s here) and jco took 95 s.
    expect(gapMs).toBeLessThan(1000);
  }, 60_000);

  it('a 4 MB type section is decoded off the main thread when no item limit stops it', async () => {
    const bytes = bigTypeSectionComponent(60_000);
    expect(bytes.length).toBeGreaterThan(4_000_000);
    const engine = new Engine({ memoryCacheEntries: 0, decodeItems: 10_000_000 });
    const { gapMs, result } = await longestGap(() => engine.decode(bytes, 'types.wasm'));
    expect(result.status).toBe('fulfilled');
    expect((result as PromiseFulfilledResult<{ asyncUses: string[] }>).value.asyncUses).toEqual([]);
    // Before, this decode blocked the event loop for 2.5-3.5 s on this machine.
    expect(gapMs).toBeLessThan(1000);
  }, 60_000);

  it('the default item limit leaves every real component alone', () => {
    for (const bytes of [readFileSync(example('echo-ts')), readFileSync(fixture('net-probe')), readFileSync(fixture('fs-probe'))]) {
      expect(() => decodeComponent(bytes)).not.toThrow();
    }
    expect(() => decodeComponent(readFileSync(fixture('net-probe')), { maxItems: 500 })).toThrow(/more than 500 items/);
  });

  it('a decode past its time budget is refused (limit time) and the next load gets a fresh thread', async () => {
    const bytes = readFileSync(fixture('numbers'));
    const transpiler = ownTranspiler();
    // 1 ms: a cold decode thread has not even started by then.
    const hurried = new Engine({ memoryCacheEntries: 0, decodeTimeoutMs: 1, transpiler });
    const err = await rejection(hurried.load(bytes, 'numbers.wasm'));
    expect(err.code).toBe('LN_ERR_LOAD_TOO_COMPLEX');
    expect(err.details).toMatchObject({ subject: 'numbers.wasm', limit: 'time' });
    const patient = new Engine({ memoryCacheEntries: 0, transpiler });
    expect((await patient.load(bytes, 'numbers.wasm')).kind).toBe('library');
  }, 60_000);

  it('a decode thread past its heap budget is refused (limit memory)', async () => {
    // 2 MiB of heap cannot hold jco's transpiler.
    const engine = new Engine({ memoryCacheEntries: 0, transpiler: ownTranspiler({ memoryMb: 2 }) });
    const err = await rejection(engine.load(readFileSync(fixture('numbers')), 'numbers.wasm'));
    expect(err.code).toBe('LN_ERR_LOAD_TOO_COMPLEX');
    expect(err.details).toMatchObject({ subject: 'numbers.wasm', limit: 'memory' });
  }, 60_000);
});
