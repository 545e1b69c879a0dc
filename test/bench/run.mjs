// `npm run bench`: runs every benchmark and prints one table, each row a ratio against a
// baseline measured in the same run (the machine is noisy: compare ratios, not absolute times).
//
//   node --expose-gc test/bench/run.mjs [--quick] [--only a,b] [--save]
//     --quick  a fast smoke run: smaller batches and shorter loads (same rows)
//     --only   run only these sections (names below)
//     --save   also copy the results to docs/benchmarks/latest.{json,svg} (the committed run)
//
// Writes bench-results/latest.json and bench-results/latest.svg; progress goes to stderr.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatTable, runRecord, withRatios } from './report.mjs';
import { progress, QUICK } from './support.mjs';
import { svgChart } from './svg-chart.mjs';

if (typeof globalThis.gc !== 'function') {
  // The memory rows need full collections: run again with --expose-gc.
  const { status } = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(status ?? 1);
}

const SECTIONS = {
  'call overhead': async () => (await import('./call-overhead.mjs')).benchCallOverhead(),
  ingress: async () => (await import('./ingress.mjs')).benchIngress(),
  'http-routes': async () => (await import('./http-routes.mjs')).benchHttpRoutes(),
  'cold start': async () => (await import('./deploy.mjs')).benchColdStart(),
  'hot swap': async () => (await import('./hot-swap.mjs')).benchHotSwap(),
  fuel: async () => (await import('./fuel-overhead.mjs')).benchFuelOverhead(),
  recovery: async () => (await import('./recovery.mjs')).benchRecovery(),
  memory: async () => (await import('./memory.mjs')).benchMemory(),
  scale: async () => (await import('./scale.mjs')).benchScale(),
  'many plugins': async () => (await import('./many-plugins.mjs')).benchManyPlugins(),
  'start-up': async () => (await import('./start-up.mjs')).benchStartUp(),
};

const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? (process.argv[onlyAt + 1]?.split(',') ?? []) : Object.keys(SECTIONS);
for (const name of only) if (!(name in SECTIONS)) throw new Error(`unknown section "${name}"; sections: ${Object.keys(SECTIONS).join(', ')}`);

const started = performance.now();
const rows = [];
for (const name of only) {
  const t = performance.now();
  progress(`${name} ...`);
  const section = await SECTIONS[name]();
  rows.push(...section.map((r) => ({ ...r, section: name })));
  progress(`${name}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
withRatios(rows);
console.log(formatTable(rows));

const record = runRecord(rows, {
  cpus: availableParallelism(),
  loadAverage: loadavg()[0].toFixed(2),
  quick: QUICK,
  durationS: Math.round((performance.now() - started) / 1000),
});
const root = new URL('../../', import.meta.url);
mkdirSync(new URL('bench-results/', root), { recursive: true });
writeFileSync(new URL('bench-results/latest.json', root), `${JSON.stringify(record, null, 2)}\n`);
writeFileSync(new URL('bench-results/latest.svg', root), svgChart(record));
if (process.argv.includes('--save')) {
  mkdirSync(new URL('docs/benchmarks/', root), { recursive: true });
  copyFileSync(new URL('bench-results/latest.json', root), new URL('docs/benchmarks/latest.json', root));
  copyFileSync(new URL('bench-results/latest.svg', root), new URL('docs/benchmarks/latest.svg', root));
}
progress(`done in ${record.durationS} s; bench-results/latest.json, bench-results/latest.svg`);
const missed = rows.filter((r) => r.met === false);
if (missed.length > 0) progress(`goals missed: ${missed.map((r) => r.name).join('; ')}`);
process.exit(0); // no stray handle (a pool, a socket) may keep the process up
