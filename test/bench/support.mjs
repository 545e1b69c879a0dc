// Shared measuring code of the benchmarks: one way to time things, one way to summarise samples,
// one way to name a row. Every bench module returns rows; run.mjs computes the ratios.
//
// A row: { section, name, value, unit, baseline?, goal?, note? }
//   unit: 'ns' (time per op, lower is better), 'ops/s' (higher is better), 'MiB', 'count'
//   baseline: the name of another row measured in the same run; ratio = value / baseline.value
//   goal: { ratio: '<' | '>', value } (on the ratio), { equals: n } or { below: n } (on the value, in the row's unit)

/** Whether this is a `--quick` smoke run (smaller batches, shorter loads). */
export const QUICK = process.argv.includes('--quick');

/** `full` normally, `quick` in a `--quick` run. */
export const size = (full, quick) => (QUICK ? quick : full);

/** A progress line on stderr (stdout carries only the table). */
export function progress(text) {
  process.stderr.write(`bench: ${text}\n`);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The p-th percentile (0..100) of the samples, nearest rank. */
export function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const now = () => process.hrtime.bigint();
export const since = (t) => Number(process.hrtime.bigint() - t);

/** Nanoseconds one awaited `fn()` takes. */
export async function timed(fn) {
  const t = now();
  await fn();
  return since(t);
}

/** Median ns per op over `rounds` rounds of `batch` synchronous ops (after one warm-up batch). */
export function timeSync(fn, batch, rounds = size(15, 5)) {
  for (let i = 0; i < batch; i++) fn(i);
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const t = now();
    for (let i = 0; i < batch; i++) fn(i);
    samples.push(since(t) / batch);
  }
  return median(samples);
}

/** Median ns per op of `batch` sequential async ops, over `rounds` rounds (after a warm-up batch). */
export async function timeAsync(fn, batch, rounds = size(9, 3)) {
  for (let i = 0; i < batch; i++) await fn(i);
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const t = now();
    for (let i = 0; i < batch; i++) await fn(i);
    samples.push(since(t) / batch);
  }
  return median(samples);
}

/** Median of `rounds` runs of an async `fn` that returns its own ns measurement. */
export async function medianOf(rounds, fn) {
  const samples = [];
  for (let i = 0; i < rounds; i++) samples.push(await fn(i));
  return median(samples);
}

/** Resident set size now, after two full garbage collections (needs --expose-gc), in bytes. */
export async function settledRss() {
  for (let i = 0; i < 2; i++) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage.rss();
}

/** A plugin event as the version manager takes it. */
export const benchEvent = (i, data = new Uint8Array()) => ({
  id: `b${i}`,
  type: 'bench',
  source: '/bench',
  time: undefined,
  datacontenttype: undefined,
  data,
  extensions: [],
});
