import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { closedGrants } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { type Component, findExport } from '../../host/engine/component.js';
import { Engine } from '../../host/engine/engine.js';
import { LnError } from '../../host/errors/ln-error.js';
import type { InstancePool } from '../../host/resources/instance-pool.js';
import { Instance } from '../../host/sandbox/instance.js';
import { fixture } from '../helpers/cli.js';
import { codeOfAsync as codeOf } from '../helpers/errors.js';
import { serialPool } from '../helpers/pools.js';

const engine = new Engine();
const load = async (name: string): Promise<Component> => engine.load(readFileSync(fixture(name)), name);
const target = (c: Component, name: string) => {
  const t = findExport(c.shape, name);
  if (!t) throw new Error(`no export ${name}`);
  return t;
};

const pools: InstancePool[] = [];
function supervise(c: Component, grants = closedGrants(c.digest.slice(0, 8))): InstancePool {
  const s = serialPool(c, { linker: linkerSpec(grants) });
  pools.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(pools.map((s) => s.close()));
});

describe('sandbox: a failing guest fails only its call', () => {
  it('a trap is LN_ERR_GUEST_TRAP and the next call runs on a fresh instance', async () => {
    const c = await load('trap');
    const s = supervise(c);
    expect((await s.call(target(c, 'ok'), [])).value).toBe(7);
    expect(await codeOf(s.call(target(c, 'boom'), []))).toBe('LN_ERR_GUEST_TRAP');
    expect((await s.call(target(c, 'ok'), [])).value).toBe(7);
    expect(s.stats().started).toBe(2);
  });

  it('a spinning guest is stopped at its deadline; the next call is served', async () => {
    const c = await load('spin');
    const s = supervise(c);
    const started = Date.now();
    expect(await codeOf(s.call(target(c, 'spin'), [], { timeoutMs: 200 }))).toBe('LN_ERR_BUDGET_TIME');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((await s.call(target(c, 'ok'), [])).value).toBe(1);
  });

  it('a guest exit ends the call with LN_ERR_GUEST_EXIT, never the host', async () => {
    const c = await load('exit-command');
    const s = supervise(c);
    const run = c.shape.exports.find((e) => e.name.startsWith('wasi:cli/run@'))!;
    const err = await s.call({ name: 'run', path: [run.name, 'run'] }, []).catch((e: LnError) => e);
    expect(err).toBeInstanceOf(LnError);
    expect((err as LnError).code).toBe('LN_ERR_GUEST_EXIT');
    expect((err as LnError).details.exitCode).toBe(1);
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('a terminated worker fails its pending call with LN_ERR_GUEST_CRASH', async () => {
    const c = await load('spin');
    const instance = await Instance.start(c, { linker: linkerSpec(closedGrants('spin')) });
    const pending = instance.call(target(c, 'spin'), []);
    setTimeout(() => void instance.dispose(), 100);
    expect(await codeOf(pending)).toBe('LN_ERR_GUEST_CRASH');
    expect(instance.alive).toBe(false);
  });

  it('queued calls run one at a time in order', async () => {
    const c = await load('numbers');
    const s = supervise(c);
    const add = target(c, 'add-u32');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => s.call(add, [i, 1])));
    expect(results.map((r) => r.value)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});

describe('sandbox: WASI starts closed', () => {
  it('the guest sees no environment, even with secrets in the host environment', async () => {
    process.env.LNANO_TEST_SECRET = 'hunter2';
    const c = await load('env-reader');
    const s = supervise(c);
    expect((await s.call(target(c, 'count-env'), [])).value).toBe(0);
    const granted = supervise(c, {
      ...closedGrants('env'),
      wasi: {
        ...closedGrants('env').wasi,
        env: [
          ['A', '1'],
          ['B', '2'],
        ],
      },
    });
    expect((await granted.call(target(c, 'count-env'), [])).value).toBe(2);
  });

  it("captures the guest's stdout instead of writing to the host's", async () => {
    const c = await load('exit-command-ok');
    const chunks: string[] = [];
    const instance = await Instance.start(c, {
      linker: linkerSpec(closedGrants('cmd')),
      output: { stdout: (b) => chunks.push(b.toString()), stderr: () => undefined },
    });
    const run = c.shape.exports.find((e) => e.name.startsWith('wasi:cli/run@'))!;
    const outcome = await instance.call({ name: 'run', path: [run.name, 'run'] }, []);
    expect(outcome.errResult).toBe(false);
    await instance.dispose();
    expect(chunks.join('')).toBe('hello from wasm\n');
  });
});
