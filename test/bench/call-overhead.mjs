// Benchmark: the cost of one trivial call, measured six ways in the same run.
//   raw core-wasm call  <  jco binding in-process  <  lnano inline invoke  <  bare postMessage round trip  <  lnano worker invoke
// Goals: the host's worker invoke adds less than 2x over the bare round trip (issue 2); an inline
// invoke (the guest on the calling thread, preempted by its deadline checks) under 5 µs (issue 15).
import { readFileSync } from 'node:fs';
import { Script } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { meterOptions } from '../../dist/host/engine/engine.js';
import { closedGrants, Engine, findExport, Instance, linkerSpec } from '../../dist/host/index.js';
import { WorkerPool } from '../../dist/host/sandbox/worker-pool.js';
import { size, timeAsync, timeSync } from './support.mjs';

const FIXTURE = new URL('../fixtures/components/numbers/component.wasm', import.meta.url);

export async function benchCallOverhead() {
  // 1. raw core wasm
  const coreBytes = await parse('(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))');
  const { instance: core } = await WebAssembly.instantiate(coreBytes);
  const add = core.exports.add;
  let sink = 0;
  const raw = timeSync(
    (i) => {
      sink += add(i, 1);
    },
    size(1_000_000, 200_000),
  );

  // 2. jco binding in-process (the same bindings the worker runs)
  const engine = new Engine();
  const component = await engine.load(readFileSync(FIXTURE), 'numbers');
  const instantiate = new Script(component.bindings).runInThisContext();
  const exportsObj = await instantiate((n) => component.modules.get(n), {}, WebAssembly.instantiate);
  const addU32 = exportsObj.addU32;
  const binding = timeSync(
    (i) => {
      sink += addU32(i, 1);
    },
    size(200_000, 50_000),
  );

  // 3. bare postMessage round trip to a worker that echoes
  const echo = new Worker("require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m));", {
    eval: true,
  });
  let resolveEcho;
  echo.on('message', (m) => resolveEcho(m));
  const roundTrip = await timeAsync(
    (i) =>
      new Promise((r) => {
        resolveEcho = r;
        echo.postMessage({ type: 'call', id: i, args: [i, 1] });
      }),
    size(5_000, 1_000),
  );
  await echo.terminate();

  // 4. lnano worker invoke
  const instance = await Instance.start(component, { linker: linkerSpec(closedGrants('numbers')) });
  const target = findExport(component.shape, 'add-u32');
  const invoke = await timeAsync((i) => instance.call(target, [i, 1]), size(5_000, 1_000));
  await instance.dispose();

  // 5. lnano invoke in a shared sandbox worker (deadline-instrumented, as `lnano serve` loads plugins)
  const checked = await engine.load(readFileSync(FIXTURE), 'numbers', { meter: meterOptions({ deadline: true }) });
  const shared = await Instance.start(checked, { linker: linkerSpec(closedGrants('numbers')) });
  const sharedInvoke = await timeAsync((i) => shared.call(target, [i, 1]), size(5_000, 1_000));
  await shared.dispose();

  // 6. lnano inline invoke: the same deadline-checked component on the calling thread, with a deadline armed per call (as pools do)
  const inlinePool = new WorkerPool({ isolation: 'inline' });
  const inline = await Instance.start(checked, { linker: linkerSpec(closedGrants('numbers')), isolation: 'inline', workers: inlinePool });
  const inlineInvoke = await timeAsync((i) => inline.call(target, [i, 1], { timeoutMs: 5_000 }), size(50_000, 10_000));
  await inline.dispose();
  await inlinePool.close();
  if (sink === 42) console.log('');

  return [
    { name: 'raw core-wasm call', value: raw, unit: 'ns' },
    { name: 'jco binding, in-process', value: binding, unit: 'ns', baseline: 'raw core-wasm call' },
    { name: 'bare postMessage round trip', value: roundTrip, unit: 'ns', baseline: 'raw core-wasm call' },
    { name: 'lnano worker invoke', value: invoke, unit: 'ns', baseline: 'bare postMessage round trip', goal: { ratio: '<', value: 2 } },
    { name: 'lnano shared-worker invoke (deadline checks)', value: sharedInvoke, unit: 'ns', baseline: 'bare postMessage round trip' },
    { name: 'lnano inline invoke', value: inlineInvoke, unit: 'ns', baseline: 'jco binding, in-process', goal: { below: 5_000 } },
  ];
}
