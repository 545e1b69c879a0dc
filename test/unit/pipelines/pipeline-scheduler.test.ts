// The pipeline scheduler with an in-process PluginCaller whose plugins are scripted per test:
// retries with capped backoff then fallback, parallel independent steps, timeouts, the global
// concurrency cap, priority order of queued runs, the immutable context, bounded history.
// (The real components run through it in test/e2e/pipelines.test.ts.)
import { describe, expect, it } from 'vitest';
import type { PluginEvent } from '../../../host/engine/plugin-event.js';
import type { PluginCallContext, PluginCaller } from '../../../host/events/plugin-caller.js';
import { parsePipeline } from '../../../host/pipelines/pipeline-definition.js';
import { PipelineScheduler, type SchedulerOptions } from '../../../host/pipelines/pipeline-scheduler.js';
import type { PluginCallOutcome } from '../../../host/versions/version-manager.js';

type Plugin = (event: PluginEvent, context: PluginCallContext | undefined) => Promise<PluginCallOutcome> | PluginCallOutcome;

const dataOf = (event: PluginEvent): any => JSON.parse(Buffer.from(event.data).toString('utf8'));
const ok = (plugin: string, ...data: unknown[]): PluginCallOutcome => ({
  plugin,
  version: '1.0.0',
  ok: true,
  durationMs: 1,
  events: data.map((d, i) => ({ specversion: '1.0', id: `${plugin}-${i}`, type: `${plugin}.out`, source: '/t', datacontenttype: 'application/json', data: d })),
});
const guestError = (plugin: string, tag: string): PluginCallOutcome => ({
  plugin,
  version: '1.0.0',
  ok: false,
  error: { code: 'LN_ERR_GUEST_ERROR', value: { tag, val: 'nope' } },
});

/** A caller whose plugins are the given functions; records every call. */
function caller(plugins: Record<string, Plugin>): PluginCaller & { calls: Array<{ plugin: string; data: any; context: PluginCallContext | undefined }> } {
  const calls: Array<{ plugin: string; data: any; context: PluginCallContext | undefined }> = [];
  return {
    calls,
    async invoke(plugin, event, context) {
      calls.push({ plugin, data: event.data.length ? dataOf(event) : undefined, context });
      const fn = plugins[plugin];
      if (!fn) throw new Error(`no plugin ${plugin}`);
      return fn(event, context);
    },
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const event = (data: unknown = { n: 1 }) => ({ id: 'e1', type: 'sensor.reading', source: '/s', data });
const scheduler = (c: PluginCaller, options: Partial<SchedulerOptions> = {}) => {
  const delays: number[] = [];
  const s = new PipelineScheduler({
    caller: c,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...options,
  });
  return Object.assign(s, { delays });
};
const until = async (check: () => boolean): Promise<void> => {
  while (!check()) await new Promise((r) => setImmediate(r));
};

describe('pipeline scheduler', () => {
  it('retries a failing step with capped exponential backoff, then runs its fallback in its place', async () => {
    const c = caller({
      source: () => ok('source', { celsius: 20 }),
      flaky: () => guestError('flaky', 'unavailable'),
      rescue: (e) => ok('rescue', { rescued: dataOf(e) }),
      after: (e) => ok('after', { got: dataOf(e) }),
    });
    const s = scheduler(c);
    const d = parsePipeline(
      {
        name: 'p',
        steps: [
          { id: 'src', component: 'source' },
          { id: 'x', component: 'flaky', input: 'src', retries: 3, backoff: { initial: '100ms', max: '150ms' }, fallback: 'fb' },
          { id: 'fb', component: 'rescue', input: 'src', role: 'fallback' },
          { id: 'next', component: 'after', input: 'x' },
        ],
      },
      'p.json',
    );
    const run = await s.start(d, event()).done;
    expect(run.status).toBe('succeeded');
    expect(c.calls.map((x) => x.plugin)).toEqual(['source', 'flaky', 'flaky', 'flaky', 'flaky', 'rescue', 'after']);
    expect(s.delays).toEqual([100, 150, 150]);
    const steps = Object.fromEntries(run.steps.map((x) => [x.id, x]));
    expect(steps.x).toMatchObject({ status: 'fallback', attempts: 4, error: { code: 'LN_ERR_GUEST_ERROR', value: { tag: 'unavailable', val: 'nope' } } });
    expect(steps.fb).toMatchObject({ status: 'succeeded', attempts: 1 });
    // The dependents of the failed step get its fallback's output.
    expect(c.calls.at(-1)!.data).toEqual({ rescued: { celsius: 20 } });
    expect(steps.next).toMatchObject({ status: 'succeeded' });
  });

  it('does not retry invalid-event; without a fallback the run fails and its dependents are skipped', async () => {
    const c = caller({ bad: () => guestError('bad', 'invalid-event'), after: () => ok('after', {}) });
    const s = scheduler(c);
    const d = parsePipeline(
      {
        name: 'p',
        steps: [
          { id: 'a', component: 'bad', retries: 5 },
          { id: 'b', component: 'after', input: 'a' },
        ],
      },
      'p.json',
    );
    const run = await s.start(d, event()).done;
    expect(run).toMatchObject({ status: 'failed', error: { step: 'a', code: 'LN_ERR_GUEST_ERROR' } });
    expect(run.steps[0]).toMatchObject({ attempts: 1, status: 'failed' });
    expect(run.steps[1]).toMatchObject({ status: 'skipped', skipReason: 'its input "a" failed', attempts: 0 });
    expect(s.delays).toEqual([]);
  });

  it('runs independent steps side by side and merges several inputs into one event', async () => {
    const both = deferred();
    let inFlight = 0;
    let most = 0;
    const side =
      (name: string): Plugin =>
      async (e) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        if (inFlight === 2) both.resolve();
        await both.promise;
        inFlight -= 1;
        return ok(name, { from: name, saw: dataOf(e) });
      };
    const c = caller({ root: () => ok('root', { v: 1 }), left: side('left'), right: side('right'), join: (e) => ok('join', dataOf(e)) });
    const d = parsePipeline(
      {
        name: 'p',
        steps: [
          { id: 'join', component: 'join', input: ['l', 'r', 'event'] },
          { id: 'a', component: 'root' },
          { id: 'l', component: 'left', input: 'a' },
          { id: 'r', component: 'right', input: 'a' },
        ],
      },
      'p.json',
    );
    expect(d.order).toEqual(['a', 'l', 'r', 'join']);
    const run = await scheduler(c).start(d, event()).done;
    expect(run.status).toBe('succeeded');
    expect(most).toBe(2);
    expect(c.calls.map((x) => x.plugin)).toEqual(['root', 'left', 'right', 'join']);
    const merged = c.calls[3]!.data;
    expect(merged.l.data).toEqual({ from: 'left', saw: { v: 1 } });
    expect(merged.r.data).toEqual({ from: 'right', saw: { v: 1 } });
    expect(merged.event).toMatchObject({ id: 'e1', type: 'sensor.reading', data: { n: 1 } });

    // One step at a time per run when told so.
    inFlight = 0;
    most = 0;
    const serial = caller({
      root: () => ok('root', {}),
      left: async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return ok('left', {});
      },
    });
    const d2 = parsePipeline(
      {
        name: 'p',
        steps: [
          { id: 'a', component: 'left' },
          { id: 'b', component: 'left' },
          { id: 'c', component: 'left' },
        ],
      },
      'p.json',
    );
    expect((await scheduler(serial, { maxParallelStepsPerRun: 1 }).start(d2, event()).done).status).toBe('succeeded');
    expect(most).toBe(1);
  });

  it('stops waiting for a step past its timeout (LN_ERR_BUDGET_TIME) and passes the deadline to the caller', async () => {
    const c = caller({ hang: () => new Promise<never>(() => {}) });
    const d = parsePipeline({ name: 'p', steps: [{ id: 'slow', component: 'hang', timeout: '30ms', retries: 1 }] }, 'p.json');
    const s = scheduler(c);
    const run = await s.start(d, event()).done;
    expect(run).toMatchObject({ status: 'failed', error: { step: 'slow', code: 'LN_ERR_BUDGET_TIME' } });
    expect(run.steps[0]!.attempts).toBe(2);
    expect(c.calls[0]!.context).toEqual({ timeoutMs: 30, pipeline: { name: 'p', runId: run.runId, step: 'slow' } });
    expect(s.load.inFlight).toBe(0);
  });

  it('caps step executions in flight across runs, and serves queued runs by priority, then age', async () => {
    const gate = deferred();
    let inFlight = 0;
    let most = 0;
    const order: string[] = [];
    const c = caller({
      work: async (e) => {
        order.push(dataOf(e).tag);
        inFlight += 1;
        most = Math.max(most, inFlight);
        await gate.promise;
        inFlight -= 1;
        return ok('work', {});
      },
    });
    const s = scheduler(c, { maxStepsInFlight: 2 });
    const d = parsePipeline({ name: 'p', steps: [{ id: 'w', component: 'work' }] }, 'p.json');
    const first = [s.start(d, event({ tag: 'first-1' })), s.start(d, event({ tag: 'first-2' }))];
    await until(() => inFlight === 2);
    const queued = [
      s.start(d, event({ tag: 'p1' }), { priority: 1 }),
      s.start(d, event({ tag: 'p5-old' }), { priority: 5 }),
      s.start(d, event({ tag: 'p3' }), { priority: 3 }),
      s.start(d, event({ tag: 'p5-new' }), { priority: 5 }),
      s.start(d, event({ tag: 'p0' })),
    ];
    expect(queued.map((r) => r.status)).toEqual(['queued', 'queued', 'queued', 'queued', 'queued']);
    expect(s.get(queued[0]!.runId)!.status).toBe('queued');
    expect(s.load).toEqual({ inFlight: 2, waiting: 5, activeRuns: 7 });
    gate.resolve();
    const runs = await Promise.all([...first, ...queued].map((r) => r.done));
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(most).toBe(2);
    expect(order).toEqual(['first-1', 'first-2', 'p5-old', 'p5-new', 'p3', 'p1', 'p0']);
  });

  it('hands steps an immutable context: a step cannot change what the next one sees', async () => {
    let returned: PluginCallOutcome | undefined;
    const c = caller({
      vandal: (e) => {
        // Scribble over the input the step was given …
        e.data.fill(0x20);
        (e.extensions as Array<[string, string]>).push(['evil', '1']);
        (e as { type: string }).type = 'hacked';
        returned = ok('vandal', { secret: 'original' });
        return returned;
      },
      reader: (e) => ok('reader', { type: e.type, data: dataOf(e), extensions: e.extensions }),
    });
    const d = parsePipeline(
      {
        name: 'p',
        steps: [
          { id: 'a', component: 'vandal' },
          { id: 'b', component: 'reader', input: 'a' },
          { id: 'c', component: 'reader', input: 'event', when: { step: 'a', status: 'succeeded' } },
        ],
      },
      'p.json',
    );
    const s = scheduler(c);
    const started = s.start(d, { ...event(), site: 'north' });
    const run = await started.done;
    // … and over the output it returned, after returning it.
    expect(() => {
      (returned as { events: unknown[] }).events.length = 0;
    }).not.toThrow();
    expect(run.status).toBe('succeeded');
    expect(c.calls[1]!.data).toEqual({ secret: 'original' });
    expect(run.steps[2]!.output).toEqual([expect.objectContaining({ data: { type: 'sensor.reading', data: { n: 1 }, extensions: [['site', 'north']] } })]);
    // Records handed out are copies: changing one changes nothing inside.
    const copy = s.get(started.runId)!;
    copy.steps[0]!.status = 'failed';
    expect(s.get(started.runId)!.steps[0]!.status).toBe('succeeded');
  });

  it('skips a step whose condition is false (and what depends on it); keeps a bounded history; refuses runs past maxActiveRuns', async () => {
    const c = caller({ a: () => ok('a', { level: 3 }), b: () => ok('b', {}) });
    const d = parsePipeline(
      {
        name: 'p',
        steps: [
          { id: 'a', component: 'a' },
          { id: 'b', component: 'b', input: 'a', when: { path: '$.data.level', equals: 5 } },
          { id: 'c', component: 'b', input: 'b' },
        ],
      },
      'p.json',
    );
    const s = scheduler(c, { historyRuns: 3 });
    const run = await s.start(d, event()).done;
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((x) => [x.id, x.status, x.skipReason])).toEqual([
      ['a', 'succeeded', undefined],
      ['b', 'skipped', 'its condition is false'],
      ['c', 'skipped', 'its input "b" was skipped'],
    ]);
    for (let i = 0; i < 4; i++) await s.start(d, event()).done;
    expect(s.list('p')).toHaveLength(3);
    expect(s.get(run.runId)).toBeUndefined();

    const gate = deferred();
    const busy = scheduler(
      caller({
        a: async () => {
          await gate.promise;
          return ok('a', {});
        },
      }),
      { maxActiveRuns: 2 },
    );
    const one = parsePipeline({ name: 'p', steps: [{ id: 'a', component: 'a' }] }, 'p.json');
    const held = [busy.start(one, event()), busy.start(one, event())];
    expect(() => busy.start(one, event())).toThrow(expect.objectContaining({ code: 'LN_ERR_BUDGET_PIPELINE_QUEUE' }));
    expect(() => busy.start(one, { id: 'x' })).toThrow(expect.objectContaining({ code: 'LN_ERR_BUDGET_PIPELINE_QUEUE' }));
    gate.resolve();
    await Promise.all(held.map((h) => h.done));
    expect(() => busy.start(one, { id: 'x' })).toThrow(expect.objectContaining({ code: 'LN_ERR_EVENT_INVALID' }));
  });
});
