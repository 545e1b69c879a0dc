// HTTP load from a separate thread, so the server under test keeps the main thread to itself.
// The same generator drives every HTTP row (ingress, scale, hot swap) and the soak script.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { percentile } from './support.mjs';

/**
 * Starts a load: `concurrency` keep-alive clients POSTing `body` (or each of `bodies` in turn) to `url`.
 * @returns {{ stop(): void, done: Promise<LoadResult> }} stops after `durationMs`, or on `stop()`
 *   when durationMs is 0
 */
export function startLoad({ url, body, bodies, concurrency = 8, durationMs = 0, checkEvents = true }) {
  const worker = new Worker(new URL('./load-worker.mjs', import.meta.url), {
    workerData: { url, bodies: (bodies ?? [body]).map((b) => (typeof b === 'string' ? b : JSON.stringify(b))), concurrency, durationMs, checkEvents },
  });
  const done = new Promise((resolve, reject) => {
    worker.once('message', (result) => resolve(summarise(result)));
    worker.once('error', reject);
  });
  return { stop: () => worker.postMessage('stop'), done };
}

/** Runs a load for `durationMs` and returns its summary. */
export function runLoad(options) {
  return startLoad(options).done;
}

/**
 * @typedef {{ sent: number, failed: number, perSecond: number, p50Ms: number, p99Ms: number,
 *   starts: Float64Array, latencies: Float64Array, failures: Array<[string, number]> }} LoadResult
 */
function summarise(r) {
  return {
    ...r,
    perSecond: r.sent / (r.elapsedMs / 1000),
    p50Ms: percentile(r.latencies, 50),
    p99Ms: percentile(r.latencies, 99),
  };
}

/**
 * CPU time of this process's main thread (where the server under test runs), ms; null where
 * `/proc` cannot tell (not Linux). Node 20 has no per-thread `cpuUsage`, and the process's
 * counts the load generator, the sandbox workers and V8's compiler threads too.
 */
export function mainThreadCpuMs() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** `getconf CLK_TCK`: 100 on every Linux Node supports. */
const CLOCK_TICKS = 100;
