// `npm run bench`: runs every benchmark and prints one table of ratios against baselines measured
// in the same run (the machine is noisy: compare ratios, not absolute times).
import { mkdirSync, writeFileSync } from 'node:fs';
import { benchCallOverhead } from './call-overhead.mjs';
import { benchDeploy } from './deploy.mjs';
import { benchFuelOverhead } from './fuel-overhead.mjs';
import { benchRecovery } from './recovery.mjs';

const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(1)} ns`);

const rows = [];
process.stderr.write('bench: call overhead ...\n');
rows.push(...(await benchCallOverhead()));
process.stderr.write('bench: fuel overhead ...\n');
rows.push(...(await benchFuelOverhead()));
process.stderr.write('bench: recovery after a deadline ...\n');
rows.push(...(await benchRecovery()));
process.stderr.write('bench: deploy, rollback, swaps under load ...\n');
rows.push(...(await benchDeploy()));

const byName = new Map(rows.map((r) => [r.name, r]));
const lines = [['benchmark', 'time/op', 'baseline', 'ratio', 'goal']];
for (const r of rows) {
  const base = byName.get(r.baseline);
  const ratio = base && base !== r ? r.ns / base.ns : 1;
  r.ratio = ratio;
  if (r.text !== undefined) {
    lines.push([r.name, r.text, '-', '-', r.lost !== undefined ? `= 0 ${r.lost === 0 ? 'met' : 'MISSED'}` : '']);
    continue;
  }
  lines.push([r.name, fmt(r.ns), base && base !== r ? r.baseline : '-', base && base !== r ? `${ratio.toFixed(2)}x` : '-',
    r.goal ? `< ${r.goal}x ${ratio < r.goal ? 'met' : 'MISSED'}` : '']);
}
const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());

mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/latest.json', `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
