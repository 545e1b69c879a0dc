// The event runtime end to end, in process, with real components in real workers deployed by a
// real version manager: routing by patterns, delivery order, follow-up events (returned and
// emitted through events.emit) with the depth guard and the fan-out budget, concurrency
// thresholds, registered plugins and duplicate names, failure isolation and stopOnError, hooks,
// the timeline entries and the spans.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../host/engine/engine.js';
import type { PluginEvent } from '../../host/engine/plugin-event.js';
import { LnError } from '../../host/errors/ln-error.js';
import { LiquidNanoRuntime, type RuntimeOptions } from '../../host/events/liquid-nano-runtime.js';
import { createLogger } from '../../host/log/logger.js';
import { parseManifest } from '../../host/versions/manifest.js';
import { VersionManager } from '../../host/versions/version-manager.js';
import { example, fixture } from '../helpers/cli.js';
import { codeOf } from '../helpers/errors.js';

const ECHO = readFileSync(example('echo-c'));
const EMITTER = readFileSync(fixture('emitter-c'));

const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));

/** Every log line, parsed (guest lines carry `guest`). */
const lines: Array<Record<string, unknown>> = [];
const logger = createLogger({
  level: 'debug',
  destination: new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  }),
});

/** Guest log lines are written on a later turn of the event loop (GuestLogQueue): waits for it. */
const written = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const engine = new Engine({ cacheDir: mkdtempSync(join(tmpdir(), 'lnano-rt-cache-')) });
let manager: VersionManager;

async function deploy(m: VersionManager, name: string, bytes: Uint8Array, events: string[], priority = 0, version = '1.0.0'): Promise<void> {
  const { digest } = await m.storeArtifact(bytes);
  const manifest = parseManifest({ name, version, events, priority, limits: { concurrency: 4, timeout: '5s' } }, `${name} (test)`, tmpdir());
  await m.deploy({ manifest, digest, actor: 'test' });
}

beforeAll(async () => {
  manager = new VersionManager({ dataDir: mkdtempSync(join(tmpdir(), 'lnano-rt-')), engine, logger });
  await manager.restore();
  // Routing table of this file: sensor.* → a-echo, b-echo; *.reading → hi-echo (priority 10);
  // door.open → b-echo; everything → emitter (priority -1, so last).
  await deploy(manager, 'b-echo', ECHO, ['sensor.*', 'door.open']);
  await deploy(manager, 'a-echo', ECHO, ['sensor.*']);
  await deploy(manager, 'hi-echo', ECHO, ['*.reading'], 10);
  await deploy(manager, 'emitter', EMITTER, ['*'], -1);
}, 120_000);

afterAll(async () => {
  await manager?.close();
});

function event(type: string, data = '', id = 'e1'): PluginEvent {
  return { id, type, source: '/test', time: undefined, datacontenttype: 'text/plain', data: new TextEncoder().encode(data), extensions: [] };
}

const runtime = (options: RuntimeOptions = {}): LiquidNanoRuntime => new LiquidNanoRuntime({ source: manager, logger, ...options });

describe('routing and order', () => {
  it('delivers to every plugin whose patterns match (including *), by priority then name', async () => {
    const rt = runtime({ maxDepth: 0 });
    const reading = await rt.dispatch(event('sensor.reading'));
    expect(reading.results.map((r) => r.plugin)).toEqual(['hi-echo', 'a-echo', 'b-echo', 'emitter']);
    expect(reading.results.every((r) => r.ok && r.depth === 0 && r.parentEventId === null && r.eventId === 'e1')).toBe(true);
    expect((await rt.dispatch(event('door.open'))).results.map((r) => r.plugin)).toEqual(['b-echo', 'emitter']);
    expect((await rt.dispatch(event('other'))).results.map((r) => r.plugin)).toEqual(['emitter']);
    expect(rt.names).toEqual(['hi-echo', 'a-echo', 'b-echo', 'emitter']);
  });

  it('routes the events plugins return as follow-ups, breadth-first, each with its depth and parent', async () => {
    const rt = runtime({ maxDepth: 1 });
    const result = await rt.dispatch(event('door.open', 'x', 'd1'));
    // b-echo answers door.open.echoed; only the emitter (*) takes that, and returns nothing.
    expect(result.followUps.map((f) => [f.plugin, f.eventId, f.eventType, f.depth, f.parentEventId])).toEqual([
      ['emitter', 'd1-echo', 'door.open.echoed', 1, 'd1'],
    ]);
    expect(result.dropped).toEqual([]);
    const entries = rt.timeline.query().entries;
    expect(entries.map((e) => [e.plugin, e.depth, e.parentEventId ?? null])).toEqual([
      ['b-echo', 0, null],
      ['emitter', 0, null],
      ['emitter', 1, 'd1'],
    ]);
    expect(entries[0]!.usage?.peakMemoryBytes).toBeGreaterThan(0);
  });

  it('routes what a plugin emits through events.emit, and reports it as emitted', async () => {
    const rt = runtime({ maxDepth: 1 });
    const result = await rt.dispatch(event('emit.once', 'emit=2', 'm1'));
    const first = result.results[0]!;
    expect(first.emitted.map((e) => e.id)).toEqual(['m1-e0', 'm1-e1']);
    expect(result.followUps.map((f) => [f.eventId, f.depth, f.parentEventId])).toEqual([
      ['m1-e0', 1, 'm1'],
      ['m1-e1', 1, 'm1'],
    ]);
    // Depth 1 is the limit here: their own emits are refused in the guest and reported.
    expect(result.dropped.map((d) => [d.code, d.parentEventId, d.count])).toEqual([
      ['LN_ERR_EVENT_DEPTH_LIMIT', 'm1-e0', 1],
      ['LN_ERR_EVENT_DEPTH_LIMIT', 'm1-e1', 1],
    ]);
  });
});

describe('guards', () => {
  it('stops a plugin that answers every event with a follow-up at the depth limit', async () => {
    const rt = runtime();
    const result = await rt.dispatch(event('loop', 'reply=1', 'L'));
    expect(result.results).toHaveLength(1);
    expect(result.followUps.map((f) => f.depth)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(result.followUps.at(-1)!.parentEventId).toBe('L-r0-r0-r0-r0-r0-r0-r0');
    expect(result.dropped).toEqual([expect.objectContaining({ code: 'LN_ERR_EVENT_DEPTH_LIMIT', plugin: 'emitter', depth: 9, count: 1 })]);
    expect(result.dropped[0]!.message).toMatch(/depth 8 is the limit/);
  });

  it('the guest sees an error from events.emit at the depth limit', async () => {
    const rt = runtime({ maxDepth: 0 });
    await written();
    const before = lines.length;
    const result = await rt.dispatch(event('deep', 'emit=1', 'D'));
    await written();
    expect(result.results[0]!.emitted).toEqual([]);
    const refused = lines.slice(before).find((l) => (l.guest as { message?: string } | undefined)?.message === 'emit refused');
    expect(refused).toBeDefined();
    expect((refused!.guest as { fields: Record<string, string> }).fields).toEqual({
      reason: 'depth limit: events at depth 0 may not emit follow-ups',
      emitted: '0',
    });
  });

  it('caps follow-ups per ingress event at maxFanOut: emit returns an error, returned events are dropped', async () => {
    const rt = runtime({ maxFanOut: 10 });
    await written();
    const before = lines.length;
    const emitted = await rt.dispatch(event('burst', 'emit=3', 'B'));
    await written();
    expect(emitted.followUps).toHaveLength(10); // 3 + 7 of the 9 the second generation tried
    expect(emitted.dropped.every((d) => d.code === 'LN_ERR_EVENT_FANOUT_LIMIT')).toBe(true);
    const reasons = lines
      .slice(before)
      .flatMap((l) =>
        (l.guest as { message?: string } | undefined)?.message === 'emit refused' ? [(l.guest as { fields: { reason: string } }).fields.reason] : [],
      );
    expect(reasons.length).toBeGreaterThan(0);
    expect(new Set(reasons)).toEqual(new Set(['fan-out limit: at most 10 follow-up events per ingress event']));

    const replied = await rt.dispatch(event('burst', 'reply=4', 'R'));
    expect(replied.followUps).toHaveLength(10);
    // 4 accepted, then 6 of the next 16; the second generation's (6) own 24 replies are all dropped.
    expect(replied.dropped.reduce((n, d) => n + d.count, 0)).toBe(16 - 6 + 6 * 4);
    expect(replied.followUps.map((f) => f.depth)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
  });

  it('refuses calls past the per-plugin and the global concurrency thresholds with a 429 code', async () => {
    const perPlugin = runtime({ maxConcurrentCallsPerPlugin: 2 });
    const three = await Promise.all([1, 2, 3].map((i) => perPlugin.invoke('a-echo', event('sensor.x', '', `c${i}`))));
    expect(three.map((o) => (o.ok ? 'ok' : o.error.code))).toEqual(['ok', 'ok', 'LN_ERR_EVENT_OVERLOADED']);

    const global = runtime({ maxConcurrentCalls: 2 });
    const calls = [global.invoke('a-echo', event('sensor.x')), global.invoke('b-echo', event('sensor.x'))];
    await expect(global.dispatch(event('sensor.x'))).rejects.toMatchObject({ code: 'LN_ERR_EVENT_OVERLOADED' });
    const third = await global.invoke('hi-echo', event('sensor.x'));
    expect(third.ok ? 'ok' : third.error.code).toBe('LN_ERR_EVENT_OVERLOADED');
    expect((await Promise.all(calls)).every((o) => o.ok)).toBe(true);
    expect(new LnError('LN_ERR_EVENT_OVERLOADED', { limit: 2, scope: 'total' }).spec.status).toBe(429);
    expect(global.inFlight).toBe(0);
  });
});

describe('registered plugins, failures', () => {
  it('refuses duplicate and malformed plugins', () => {
    const rt = runtime();
    const plugin = {
      name: 'js-one',
      version: '1',
      events: ['*'],
      priority: 0,
      handle: async () => ({ plugin: 'js-one', version: '1', ok: true as const, events: [], durationMs: 0 }),
    };
    const unregister = rt.register(plugin);
    expect(codeOf(() => rt.register(plugin))).toBe('LN_ERR_EVENT_DUPLICATE_PLUGIN');
    expect(codeOf(() => rt.register({ ...plugin, name: 'a-echo' }))).toBe('LN_ERR_EVENT_DUPLICATE_PLUGIN');
    expect(codeOf(() => rt.register({ ...plugin, name: 'Bad Name' }))).toBe('LN_ERR_CONFIG_INVALID');
    expect(codeOf(() => rt.register({ ...plugin, name: 'x', handle: 'no' as never }))).toBe('LN_ERR_CONFIG_INVALID');
    unregister();
    expect(() => rt.register(plugin)).not.toThrow();
  });

  it('isolates a failing plugin; stopOnError stops delivery at the first failure', async () => {
    const seen: string[] = [];
    const tail = {
      name: 'z-tail',
      version: '1',
      events: ['fail'],
      priority: -5,
      handle: async (e: PluginEvent) => {
        seen.push(e.id);
        return { plugin: 'z-tail', version: '1', ok: true as const, events: [], durationMs: 0 };
      },
    };
    const rt = runtime();
    rt.register(tail);
    const isolated = await rt.dispatch(event('fail', '', 'f1'));
    expect(isolated.results.map((r) => [r.plugin, r.ok])).toEqual([
      ['emitter', false],
      ['z-tail', true],
    ]);
    expect(isolated.results[0]!.ok ? null : isolated.results[0]!.error).toEqual({ code: 'LN_ERR_GUEST_ERROR', value: { tag: 'failed', val: 'asked to fail' } });
    expect(isolated.stopped).toBeNull();

    const strict = runtime({ stopOnError: true });
    strict.register(tail);
    const stopped = await strict.dispatch(event('fail', '', 'f2'));
    expect(stopped.results.map((r) => r.plugin)).toEqual(['emitter']);
    expect(stopped.stopped).toEqual({ plugin: 'emitter', eventId: 'f2', code: 'LN_ERR_GUEST_ERROR' });
    expect(seen).toEqual(['f1']);
    expect(strict.timeline.query({ status: 'error' }).entries.map((e) => e.code)).toEqual(['LN_ERR_GUEST_ERROR']);
  });

  it('an unknown plugin is an outcome, not a throw', async () => {
    const outcome = await runtime().invoke('nobody', event('x'));
    expect(outcome.ok ? null : outcome.error.code).toBe('LN_ERR_VERSION_STATE');
  });
});

describe('hooks', () => {
  it('accepts only the closed list of names, and functions', () => {
    const rt = runtime();
    expect(codeOf(() => rt.on('beforeAll' as never, () => undefined))).toBe('LN_ERR_EVENT_HOOK_INVALID');
    expect(codeOf(() => rt.on('__proto__' as never, () => undefined))).toBe('LN_ERR_EVENT_HOOK_INVALID');
    expect(codeOf(() => rt.on('beforeCall', 42 as never))).toBe('LN_ERR_EVENT_HOOK_INVALID');
    const off = rt.on('afterCall', () => undefined);
    expect(rt.hooks.count('afterCall')).toBe(1);
    off();
    expect(rt.hooks.count('afterCall')).toBe(0);
  });

  it('a before hook vetoes (its LnError code kept, anything else LN_ERR_EVENT_VETOED); a throwing after hook breaks nothing', async () => {
    const rt = runtime({ maxDepth: 0 });
    rt.on('beforeCall', ({ plugin }) => {
      if (plugin === 'a-echo') throw new Error('maintenance window');
      if (plugin === 'b-echo') throw new LnError('LN_ERR_CAP_DENIED', { imports: 'x', capability: 'y', reason: 'z', policy: 'p' });
    });
    const calls: string[] = [];
    rt.on('afterCall', ({ plugin, entry }) => {
      calls.push(`${plugin}:${entry.status}`);
      throw new Error('after hooks must not break calls');
    });
    rt.on('afterCall', async () => {
      throw new Error('nor may rejected ones');
    });
    const events: string[] = [];
    rt.on('afterEvent', ({ result }) => void events.push(`${result.id}:${result.results.length}`));
    const result = await rt.dispatch(event('sensor.reading', '', 'h1'));
    expect(result.results.map((r) => [r.plugin, r.ok ? 'ok' : r.error.code])).toEqual([
      ['hi-echo', 'ok'],
      ['a-echo', 'LN_ERR_EVENT_VETOED'],
      ['b-echo', 'LN_ERR_CAP_DENIED'],
      ['emitter', 'ok'],
    ]);
    expect(calls).toEqual(['hi-echo:ok', 'a-echo:error', 'b-echo:error', 'emitter:ok']);
    expect(events).toEqual(['h1:4']);
    await new Promise((r) => setImmediate(r));
    expect(lines.filter((l) => l.msg === 'runtime hook failed').length).toBeGreaterThanOrEqual(8);

    rt.on('beforeEvent', ({ event: e }) => {
      if (e.type === 'blocked') throw new Error('not today');
    });
    await expect(rt.dispatch(event('blocked'))).rejects.toMatchObject({ code: 'LN_ERR_EVENT_VETOED' });
  });
});

describe('timeline and spans', () => {
  it('records pipeline steps given to invoke, and spans event → plugin with the trace id in the entries', async () => {
    exporter.reset();
    const rt = runtime({ maxDepth: 1 });
    const pipeline = { name: 'p', runId: 'r-1', step: 's1' };
    const outcome = await rt.invoke('a-echo', event('sensor.x', '', 'p1'), { pipeline, timeoutMs: 2000 });
    expect(outcome.ok).toBe(true);
    expect(rt.timeline.query({ component: 'a-echo' }).entries.at(-1)).toMatchObject({ pipeline, eventId: 'p1', status: 'ok', depth: 0 });

    const result = await rt.dispatch(event('door.open', 'x', 't1'));
    const spans = exporter.getFinishedSpans();
    const root = spans.find((s) => s.name === 'event door.open')!;
    expect(root).toBeDefined();
    expect(result.traceId).toBe(root.spanContext().traceId);
    const children = spans.filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId);
    // Spans end as their calls finish: the plugins of one level run side by side, in any order.
    expect(children.map((s) => s.name).sort()).toEqual(['plugin b-echo', 'plugin emitter', 'plugin emitter']);
    expect(children.find((s) => s.name === 'plugin b-echo')!.attributes).toMatchObject({
      'cloudevents.event_id': 't1',
      'cloudevents.event_type': 'door.open',
      'lnano.plugin': 'b-echo',
      'lnano.plugin.version': '1.0.0',
      'lnano.status': 'ok',
    });
    const entries = rt.timeline.query({ after: rt.timeline.latestSeq - 3 }).entries;
    expect(entries.map((e) => e.traceId)).toEqual([root.spanContext().traceId, root.spanContext().traceId, root.spanContext().traceId]);
  });
});

// Issue 15: the plugins matching one level's events are called side by side; the answer keeps
// the delivery order; `delivery: 'sequential'` (and stopOnError) keep one call after the other.
describe('side-by-side delivery', () => {
  beforeAll(async () => {
    // race → slow (priority 5, emitter-c spinning on `spin=`), fast (echo-c, 0), emitter (*, -1).
    await deploy(manager, 'slow', EMITTER, ['race'], 5);
    await deploy(manager, 'fast', ECHO, ['race']);
  }, 120_000);

  /**
   * A registered plugin on `race` (priority 1) that notes how many calls were in flight while it
   * ran (after one microtask: the runtime starts a level's calls one after the other in one
   * synchronous pass, calling a registered plugin's `handle` when its turn comes; no worker's
   * answer can arrive before the next macrotask).
   */
  function probe(rt: LiquidNanoRuntime): number[] {
    const seen: number[] = [];
    rt.register({
      name: 'probe',
      version: '1',
      events: ['race'],
      priority: 1,
      handle: async () => {
        await Promise.resolve();
        seen.push(rt.inFlight);
        return { plugin: 'probe', version: '1', ok: true as const, events: [], durationMs: 0 };
      },
    });
    return seen;
  }

  it('calls them at once; a slow plugin of higher priority still comes first, in the answer and the timeline', async () => {
    const rt = runtime({ maxDepth: 0 });
    const seen = probe(rt);
    const result = await rt.dispatch(event('race', 'spin=300', 'r1'));
    // The probe ran while the others' calls were in flight (the slow one spins 300 ms in its worker).
    expect(seen).toEqual([4]);
    expect(result.results.map((r) => [r.plugin, r.ok])).toEqual([
      ['slow', true],
      ['probe', true],
      ['fast', true],
      ['emitter', true],
    ]);
    expect(rt.timeline.query().entries.map((e) => e.plugin)).toEqual(['slow', 'probe', 'fast', 'emitter']);
    expect(result.results.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });

  it('delivery: "sequential" and stopOnError call one plugin after the other', async () => {
    for (const options of [{ delivery: 'sequential' as const }, { stopOnError: true }]) {
      const rt = runtime({ maxDepth: 0, ...options });
      const seen = probe(rt);
      const result = await rt.dispatch(event('race', 'spin=20', 'r2'));
      expect(seen).toEqual([1]);
      expect(result.results.map((r) => r.plugin)).toEqual(['slow', 'probe', 'fast', 'emitter']);
    }
    expect(codeOf(() => runtime({ delivery: 'parallel' as never }))).toBe('LN_ERR_CONFIG_INVALID');
  });

  it('a follow-up level goes side by side too, in the order its events were produced; the fan-out budget gives the same answer as sequential delivery', async () => {
    // Level 0: slow emits f-e0 and returns f-r0, fast returns f-echo (race.echoed: only the
    // emitter takes it), the emitter emits f-e0 and returns f-r0: 5 follow-ups, the whole budget.
    // Level 1 has no budget left: every emit is refused, every returned event dropped.
    const answers = [];
    for (const delivery of ['concurrent', 'sequential'] as const) {
      const rt = runtime({ maxDepth: 2, maxFanOut: 5, delivery });
      const seen = probe(rt);
      const result = await rt.dispatch(event('race', 'emit=1 reply=1', 'f'));
      expect(seen[0]).toBe(delivery === 'concurrent' ? 4 : 1);
      const race = (id: string) => ['slow', 'probe', 'fast', 'emitter'].map((p) => `${id}:${p}`);
      expect(result.followUps.map((f) => `${f.eventId}:${f.plugin}`)).toEqual([
        ...race('f-e0'),
        ...race('f-r0'),
        'f-echo:emitter',
        ...race('f-e0'),
        ...race('f-r0'),
      ]);
      expect(result.followUps.every((f) => f.depth === 1 && f.parentEventId === 'f' && f.ok)).toBe(true);
      expect(result.dropped.length).toBeGreaterThan(0);
      expect(result.dropped.every((d) => d.code === 'LN_ERR_EVENT_FANOUT_LIMIT' && d.depth === 2)).toBe(true);
      answers.push({ followUps: result.followUps.map((f) => [f.eventId, f.plugin, f.emitted.length, f.ok ? f.events.length : -1]), dropped: result.dropped });
    }
    expect(answers[0]).toEqual(answers[1]);
  });
});

describe('the routes cached per event type', () => {
  it('asks the version manager again only after a deploy or rollback; a new plugin gets the next event', async () => {
    const rt = runtime({ maxDepth: 0 });
    const routed = async (id: string) => (await rt.dispatch(event('cache.x', '', id))).results.map((r) => `${r.plugin}@${r.version}`);
    expect(await routed('c1')).toEqual(['emitter@1.0.0']);
    const asked = vi.spyOn(manager, 'plugins');
    try {
      expect(await routed('c2')).toEqual(['emitter@1.0.0']);
      expect(asked).not.toHaveBeenCalled();
      await deploy(manager, 'late', ECHO, ['cache.*']);
      expect(await routed('c3')).toEqual(['late@1.0.0', 'emitter@1.0.0']);
      expect(asked).toHaveBeenCalledTimes(1);
      await deploy(manager, 'late', ECHO, ['other.*'], 0, '2.0.0');
      expect(await routed('c4')).toEqual(['emitter@1.0.0']);
      await manager.rollback('late', { actor: 'test' });
      expect(await routed('c5')).toEqual(['late@1.0.0', 'emitter@1.0.0']);
      // A registered plugin, and its removal, count as changes too.
      const unregister = rt.register({
        name: 'js-cache',
        version: '1',
        events: ['cache.x'],
        priority: 9,
        handle: async () => ({ plugin: 'js-cache', version: '1', ok: true as const, events: [], durationMs: 0 }),
      });
      expect(await routed('c6')).toEqual(['js-cache@1', 'late@1.0.0', 'emitter@1.0.0']);
      unregister();
      expect(await routed('c7')).toEqual(['late@1.0.0', 'emitter@1.0.0']);
    } finally {
      asked.mockRestore();
    }
  });
});
