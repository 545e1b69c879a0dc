// Benchmark: memory. Resident set size deltas, measured after full collections (--expose-gc):
//   per idle instance: N instances of a component started (modules compiled once), each a worker
//   thread holding an instantiated component, divided by N;
//   per deployed version: N versions deployed under N names through the version manager (each
//   with its warm instance, route, registry rows), divided by N;
//   baseline: a bare worker thread that only echoes messages.
import { Worker } from 'node:worker_threads';
import { closedGrants, Engine, Instance, LIMIT_DEFAULTS, linkerSpec, meterFor } from '../../dist/host/index.js';
import { benchManager, exampleBytes } from './bench-host.mjs';
import { progress, settledRss, size } from './support.mjs';

const MiB = 1024 * 1024;
const COUNT = size(10, 4);

async function perBareWorker() {
  const before = await settledRss();
  const workers = [];
  for (let i = 0; i < COUNT; i++) {
    const w = new Worker("require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m));", {
      eval: true,
    });
    await new Promise((r) => {
      w.once('message', r);
      w.postMessage('hi');
    });
    workers.push(w);
  }
  const after = await settledRss();
  await Promise.all(workers.map((w) => w.terminate()));
  return (after - before) / COUNT / MiB;
}

async function perInstance(name) {
  const component = await new Engine().load(exampleBytes(name), name, { meter: meterFor(LIMIT_DEFAULTS) });
  const linker = linkerSpec(closedGrants(name));
  const warm = await Instance.start(component, { linker }); // first start loads the worker's code
  const before = await settledRss();
  const instances = [];
  for (let i = 0; i < COUNT; i++) instances.push(await Instance.start(component, { linker }));
  const after = await settledRss();
  await Promise.all([warm, ...instances].map((i) => i.dispose()));
  return (after - before) / COUNT / MiB;
}

async function perVersion(name) {
  const host = benchManager(`memory-${name}`);
  try {
    const { digest } = await host.manager.storeArtifact(exampleBytes(name));
    const deploy = (i) => host.manager.deploy({ manifest: host.manifest({ name: `${name}-${i}`, version: '1.0.0' }), digest, actor: 'bench' });
    await deploy(0); // the first deploy transpiles and compiles
    const before = await settledRss();
    for (let i = 1; i <= COUNT; i++) await deploy(i);
    const after = await settledRss();
    return (after - before) / COUNT / MiB;
  } finally {
    await host.close();
  }
}

export async function benchMemory() {
  if (typeof globalThis.gc !== 'function') throw new Error('the memory bench needs node --expose-gc');
  progress('memory: bare workers ...');
  const base = 'RSS per bare worker thread';
  const rows = [{ name: base, value: await perBareWorker(), unit: 'MiB', note: `${COUNT} workers` }];
  for (const [name, label] of [
    ['echo-c', 'C plugin, 18 KB'],
    ['echo-ts', 'JS plugin, 11 MB'],
  ]) {
    progress(`memory: ${name} ...`);
    rows.push({ name: `RSS per idle instance (${label})`, value: await perInstance(name), unit: 'MiB', baseline: base, note: `${COUNT} instances` });
    rows.push({
      name: `RSS per deployed version (${label})`,
      value: await perVersion(name),
      unit: 'MiB',
      baseline: base,
      note: `${COUNT} versions, 1 warm instance each`,
    });
  }
  return rows;
}
