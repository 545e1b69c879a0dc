// Benchmark: how fast a component serves again after a call blows its deadline.
//   baseline: a cold start — start an instance (worker + instantiate) and make its first call
//   measured: deadline fires → the pool has replaced the killed instance → a call is answered
// The pool starts the replacement as soon as the instance dies, so recovery should cost about
// one cold start, never more.
import { readFileSync } from 'node:fs';
import { closedGrants, Engine, findExport, Instance, LIMIT_DEFAULTS, linkerSpec } from '../../dist/host/index.js';
import { InstancePool } from '../../dist/host/resources/instance-pool.js';
import { median, size } from './support.mjs';

const FIXTURE = new URL('../fixtures/components/slow/component.wasm', import.meta.url);
const ROUNDS = size(15, 4);
const DEADLINE_MS = 50;

/** @returns {Promise<object[]>} bench rows (support.mjs) */
export async function benchRecovery() {
  const engine = new Engine();
  const component = await engine.load(readFileSync(FIXTURE), 'slow');
  const ok = findExport(component.shape, 'ok');
  const wait = findExport(component.shape, 'wait-ms');
  const linker = linkerSpec(closedGrants('slow'));

  const cold = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = process.hrtime.bigint();
    const instance = await Instance.start(component, { linker });
    await instance.call(ok, []);
    cold.push(Number(process.hrtime.bigint() - t));
    await instance.dispose();
  }

  const pool = new InstancePool(component, {
    name: 'slow',
    instance: { linker },
    limits: { ...LIMIT_DEFAULTS, concurrency: 1, minInstances: 1, timeoutMs: DEADLINE_MS },
  });
  await pool.warm();
  const recovery = [];
  for (let i = 0; i < ROUNDS; i++) {
    const failed = pool.call(wait, [60_000]).catch((err) => err);
    const err = await failed;
    if (err?.code !== 'LN_ERR_BUDGET_TIME') throw new Error(`expected LN_ERR_BUDGET_TIME, got ${err?.code ?? 'success'}`);
    const t = process.hrtime.bigint(); // the deadline has just fired
    await pool.call(ok, []);
    recovery.push(Number(process.hrtime.bigint() - t));
  }
  await pool.close();
  return [
    { name: 'cold start: instance + first call (slow)', value: median(cold), unit: 'ns' },
    {
      name: 'deadline → replaced instance answers',
      value: median(recovery),
      unit: 'ns',
      baseline: 'cold start: instance + first call (slow)',
      goal: { ratio: '<', value: 1.5 },
    },
  ];
}
