// Where the main thread's time goes per `POST /events` (issue 15, the ingress rows): a real
// IngressServer over `count` echo-c plugins (or the examples), HTTP load from another thread
// (test/bench/load.mjs), then per event: the main thread's CPU (user and system), its voluntary
// and involuntary context switches, the messages posted to sandbox workers, and every thread's
// CPU (/proc/self/task). `--heap` adds V8's sampling heap profile of the main thread (bytes
// allocated per event by function). For a CPU-time profile with native frames run it under
// `node --perf-basic-prof` and `perf record -e task-clock -g -t <main thread id>`: the inspector's
// wall-clock samples charge the time the thread sits preempted to `postMessage` and `writev`.
//
//   npm run build && node scripts/profile-ingress.mjs [--plugins 1|5|examples] [--warm 8] [--seconds 5] [--heap]
import { readdirSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { benchHost, envelope, examplesHost } from '../test/bench/bench-host.mjs';
import { runLoad } from '../test/bench/load.mjs';

const { values } = parseArgs({
  options: {
    plugins: { type: 'string', default: '1' },
    warm: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '5' },
    heap: { type: 'boolean', default: false },
  },
});

// Counts the messages (and the jobs in them) the main thread posts to workers.
let posts = 0;
let jobs = 0;
const post = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (message, transfer) {
  posts++;
  jobs += Array.isArray(message) ? message.length : 1;
  return post.call(this, message, transfer);
};

/** Per thread: CPU ms (clock ticks of 10 ms), and the main thread's context switches. */
function threads() {
  const cpu = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(tid, { user: Number(f[11]) * 10, system: Number(f[12]) * 10 });
    } catch {
      // the thread ended meanwhile
    }
  }
  const status = readFileSync(`/proc/self/task/${process.pid}/status`, 'utf8');
  const field = (name) => Number(status.match(new RegExp(`^${name}:\\s*(\\d+)`, 'm'))[1]);
  return { cpu, voluntary: field('voluntary_ctxt_switches'), involuntary: field('nonvoluntary_ctxt_switches') };
}

const examples = values.plugins === 'examples';
const host = examples ? await examplesHost() : await benchHost({ count: Number(values.plugins), prefix: 'profile' });
const body = JSON.stringify(examples ? { id: 'bench-hello', type: 'hello', source: '/bench', data: { name: 'bench' } } : envelope());
await runLoad({ url: host.url, body, concurrency: 8, durationMs: Number(values.warm) * 1000 });

const session = values.heap ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
const before = threads();
const [posts0, jobs0] = [posts, jobs];
const load = await runLoad({ url: host.url, body, concurrency: 8, durationMs: Number(values.seconds) * 1000 });
const after = threads();
const n = load.sent;
const per = (x) => (x / n).toFixed(2);
const main = (side) => after.cpu.get(String(process.pid))[side] - before.cpu.get(String(process.pid))[side];
console.log(`${values.plugins}: ${load.perSecond.toFixed(0)} events/s, ${load.failed} failed, p50 ${load.p50Ms.toFixed(2)} ms`);
console.log(
  `main thread per event: ${((1000 * (main('user') + main('system'))) / n).toFixed(0)} µs CPU (system ${((1000 * main('system')) / n).toFixed(0)} µs)`,
);
console.log(`  context switches per event: voluntary ${per(after.voluntary - before.voluntary)}, involuntary ${per(after.involuntary - before.involuntary)}`);
console.log(`  posts to workers per event ${per(posts - posts0)}, jobs per post ${((jobs - jobs0) / Math.max(1, posts - posts0)).toFixed(2)}`);
const others = [...after.cpu]
  .filter(([tid]) => tid !== String(process.pid))
  .map(([tid, c]) => [tid, c.user + c.system - ((before.cpu.get(tid)?.user ?? 0) + (before.cpu.get(tid)?.system ?? 0))])
  .filter(([, ms]) => ms > 0)
  .map(([tid, ms]) => `${tid} ${((1000 * ms) / n).toFixed(0)}`);
console.log(`  other threads, µs CPU per event (sandbox workers, the load generator, V8's helpers): ${others.join(', ')}`);

if (session) {
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  const bytes = new Map();
  let total = 0;
  const walk = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const size = node.selfSize;
    if (size > 0) {
      const name = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
      bytes.set(name, (bytes.get(name) ?? 0) + size);
      total += size;
    }
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  console.log(`allocated on the main thread (sampled): ${(total / n).toFixed(0)} B per event; heaviest functions:`);
  for (const [name, b] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${(b / n).toFixed(0).padStart(6)} B  ${name}`);
}
await host.close();
process.exit(0);
