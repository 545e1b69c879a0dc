// Where the CPU of a `hello` event to the example plugins goes (issue 15: the ingress row
// "POST /events, hello to the example plugins"), without HTTP and without the noise of a load
// generator: the ten examples deployed as `serve` seeds them, 8 concurrent in-process dispatches.
//
//   npm run build && node scripts/profile-hello.mjs [--isolation shared|inline] [--warm 15] [--seconds 3] [--rounds 3] [--profile]
//
// Prints per round: events/s, CPU per event of the whole process and of each thread (from
// /proc/self/task: the main thread, the sandbox workers, V8's helper threads, which compile
// wasm with TurboFan and collect garbage). `--isolation inline` puts every plugin on the main
// thread (`limits.isolation: inline`), so that `--profile` (the main thread's sampling profile,
// node:inspector) sees the guests, jco's bindings and the sandbox's per-call work in one
// profile; it then prints the busy samples by category and the heaviest functions.
import { readdirSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { LiquidNanoRuntime } from '../dist/host/events/liquid-nano-runtime.js';
import { silentLogger } from '../dist/host/index.js';
import { benchManager, deployExamples } from '../test/bench/bench-host.mjs';

const { values } = parseArgs({
  options: {
    isolation: { type: 'string', default: 'shared' },
    warm: { type: 'string', default: '15' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
  },
});
const CLIENTS = 8;
const ENVELOPE = { id: 'bench-hello', type: 'hello', source: '/bench', data: { name: 'bench' } };

/** CPU time of each thread of this process so far, ms (clock ticks of 10 ms). */
function threadCpu() {
  const out = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Busy samples of a V8 CPU profile by category, and the heaviest functions by self time. */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const categories = new Map();
  const functions = new Map();
  let busy = 0;
  for (const id of profile.samples) {
    const { functionName: fn, url } = byId.get(id).callFrame;
    if (fn === '(idle)') continue;
    busy++;
    let category;
    if (url.startsWith('wasm')) category = 'guest wasm';
    else if (/^(js-to-wasm|wasm-to-js|GenericJSToWasmWrapper)/.test(fn)) category = 'wasm call wrappers';
    else if (url.includes('lnano-bindings')) category = "jco's generated bindings";
    else if (/dist\/host\/(sandbox|capabilities)\//.test(url)) category = 'host: sandbox and host interfaces';
    else if (/dist\/host\//.test(url)) category = `host: ${url.match(/dist\/host\/([a-z-]+)\//)[1]}`;
    else if (fn === '(garbage collector)') category = 'GC';
    else category = 'other (Node, V8)';
    categories.set(category, (categories.get(category) ?? 0) + 1);
    const name = `${fn || '(anonymous)'} ${url.includes('lnano-bindings') ? '[bindings]' : url.split('/').slice(-2).join('/')}`;
    functions.set(name, (functions.get(name) ?? 0) + 1);
  }
  const top = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  return `busy samples: ${busy}\nby category:\n${top(categories, 12)}\nheaviest functions (self):\n${top(functions, 25)}`;
}

const host = benchManager('profile-hello');
await deployExamples(host, values.isolation === 'shared' ? {} : { limits: { isolation: values.isolation } });
const runtime = new LiquidNanoRuntime({ source: host.manager, logger: silentLogger() });

async function load(ms) {
  let events = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) {
        await runtime.dispatchEnvelope(ENVELOPE);
        events++;
      }
    }),
  );
  return events;
}

const calls = await runtime.dispatchEnvelope(ENVELOPE);
console.log(`isolation ${values.isolation}: one hello = ${calls.results.length} results + ${calls.followUps.length} follow-ups; warming up ${values.warm} s`);
await load(Number(values.warm) * 1000);
const session = values.profile ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 250 });
  await session.post('Profiler.start');
}
for (let round = 0; round < Number(values.rounds); round++) {
  const before = threadCpu();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const events = await load(Number(values.seconds) * 1000);
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - start;
  const after = threadCpu();
  const threads = [...after]
    .map(([tid, ms]) => [tid, ms - (before.get(tid) ?? 0)])
    .filter(([, ms]) => ms > 0)
    .map(([tid, ms]) => `${tid === String(process.pid) ? 'main' : tid} ${Math.round((ms * 1000) / events)}`);
  console.log(
    `events/s ${((events * 1000) / wall).toFixed(0)}, CPU/event ${((used.user + used.system) / events).toFixed(0)} µs; per thread µs/event: ${threads.join(', ')}`,
  );
}
if (session) {
  const { profile } = await session.post('Profiler.stop');
  console.log(summarize(profile));
  session.disconnect();
}
await host.close();
