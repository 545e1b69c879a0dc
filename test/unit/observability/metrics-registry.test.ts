// The metrics registry's bounds and bookkeeping, fed through its observer hooks: series of old
// versions are dropped, guest metrics cannot forge host labels, change kinds or grow past their
// bounds, and every refusal is counted. (The scrape of a real host: test/e2e/metrics-scrape.test.ts.)
import parsePrometheus from 'parse-prometheus-text-format';
import { describe, expect, it, vi } from 'vitest';
import { HostMetrics } from '../../../host/observability/metrics-registry.js';
import type { CallRecord } from '../../../host/versions/version-manager.js';

const call = (version: string, ok = true, code: string | null = null): CallRecord => ({
  name: 'p',
  version,
  ok,
  code,
  durationMs: 2,
  usage: { durationMs: 1, fuelUsed: 10, peakMemoryBytes: 65536, hostCalls: { kv: 2 }, bytesIn: 5, bytesOut: 7 },
});
const sample = (name: string, kind: 'counter' | 'gauge' | 'histogram', value: number, labels: Array<[string, string]> = []) => ({
  type: 'notify' as const,
  topic: 'metric',
  payload: { kind, component: 'forged', name, value, labels },
});

async function families(m: HostMetrics) {
  return new Map(parsePrometheus(await m.scrape()).map((f) => [f.name, f]));
}

describe('HostMetrics', () => {
  it('keeps series of the newest versions only', async () => {
    const m = new HostMetrics({ maxVersionsPerComponent: 2, processMetrics: false });
    for (const v of ['1', '2', '3']) m.observeCall(call(v));
    m.observeCall(call('3', false, 'LN_ERR_GUEST_TRAP'));
    const f = await families(m);
    const versions = f.get('lnano_calls_total')!.metrics.map((s) => s.labels!.version);
    expect(new Set(versions)).toEqual(new Set(['2', '3']));
    expect(f.get('lnano_call_errors_total')!.metrics).toEqual([{ value: '1', labels: { component: 'p', version: '3', code: 'LN_ERR_GUEST_TRAP' } }]);
    expect(f.get('lnano_fuel_used_total')!.metrics.find((s) => s.labels!.version === '3')!.value).toBe('20');
    expect(f.has('process_cpu_user_seconds_total')).toBe(false);
  });

  it('labels guest metrics with the component and version the host knows, whatever the guest says', async () => {
    const m = new HostMetrics({ processMetrics: false });
    m.observeNotify('p', '1.0.0', sample('hits', 'counter', 2, [['route', '/a']]));
    m.observeNotify('p', '1.0.0', sample('hits', 'counter', 3, [['route', '/a']]));
    m.observeNotify('p', '1.0.0', sample('temp', 'gauge', 21.5));
    const f = await families(m);
    expect(f.get('plugin_hits_total')!.metrics).toEqual([{ value: '5', labels: { component: 'p', version: '1.0.0', route: '/a' } }]);
    expect(f.get('plugin_temp')!.metrics[0]!.value).toBe('21.5');
  });

  it('refuses and counts hostile samples: forged labels, kind changes, bad names and values, new label names', async () => {
    const m = new HostMetrics({ processMetrics: false });
    const hostile = [
      sample('x', 'counter', 1, [['component', 'other']]),
      sample('x', 'counter', 1, [['le', '1']]),
      sample('bad name', 'counter', 1),
      sample('neg', 'counter', -1),
      sample('nan', 'gauge', Number.NaN),
      { type: 'notify' as const, topic: 'metric', payload: { kind: 'summary', name: 'k', value: 1, labels: [] } },
      { type: 'notify' as const, topic: 'metric', payload: null },
    ];
    m.observeNotify('p', '1', sample('ok', 'counter', 1, [['a', '1']]));
    m.observeNotify('p', '1', sample('ok', 'gauge', 1, [['a', '1']])); // kind change
    m.observeNotify('p', '1', sample('ok', 'counter', 1, [['b', '1']])); // label name the family lacks
    for (const s of hostile) m.observeNotify('p', '1', s as never);
    const f = await families(m);
    expect(f.get('plugin_ok_total')!.metrics).toEqual([{ value: '1', labels: { component: 'p', version: '1', a: '1' } }]);
    expect([...f.keys()].filter((n) => n.startsWith('plugin_'))).toEqual(['plugin_ok_total']);
    expect(Number(f.get('lnano_guest_metric_samples_rejected_total')!.metrics[0]!.value)).toBeGreaterThanOrEqual(8);
  });

  // Issue 21: names promtool accepts. A counter ends in _total (added when the guest left it
  // out; `hits` and `hits_total` are one family), other kinds may not end in a counter's or a
  // histogram's suffix.
  it('exports guest counters with _total and refuses gauge and histogram names with reserved suffixes', async () => {
    const m = new HostMetrics({ processMetrics: false });
    m.observeNotify('p', '1', sample('hits', 'counter', 2));
    m.observeNotify('p', '1', sample('hits_total', 'counter', 3));
    m.observeNotify('p', '1', sample('hits', 'gauge', 1)); // kind change of the family
    for (const name of ['queue_total', 'queue_count', 'queue_sum', 'queue_bucket']) {
      m.observeNotify('p', '1', sample(name, 'gauge', 1));
      m.observeNotify('p', '1', sample(name, 'histogram', 1));
    }
    m.observeNotify('p', '1', sample('requests_count', 'counter', 1));
    const f = await families(m);
    expect([...f.keys()].filter((n) => n.startsWith('plugin_')).sort()).toEqual(['plugin_hits_total', 'plugin_requests_count_total']);
    expect(f.get('plugin_hits_total')!.metrics).toEqual([{ value: '5', labels: { component: 'p', version: '1' } }]);
    expect(f.get('lnano_guest_metric_samples_rejected_total')!.metrics).toEqual([{ value: '9', labels: { component: 'p' } }]);
  });

  it('counts pipeline runs through the scheduler hooks', async () => {
    const m = new HostMetrics({ processMetrics: false });
    const { onRunStarted, onRunFinished } = m.pipelineObservers();
    const run = (status: 'succeeded' | 'failed', durationMs: number) =>
      ({ runId: 'r', pipeline: 'sensor', priority: 0, status, durationMs }) as unknown as Parameters<typeof onRunFinished>[0];
    onRunStarted(run('succeeded', 0));
    onRunStarted(run('succeeded', 0));
    onRunFinished(run('succeeded', 30));
    onRunFinished(run('failed', 2000));
    const text = await m.scrape();
    expect(text).toContain('lnano_pipeline_runs_started_total{pipeline="sensor"} 2');
    expect(text).toContain('lnano_pipeline_runs_finished_total{pipeline="sensor",status="succeeded"} 1');
    expect(text).toContain('lnano_pipeline_runs_finished_total{pipeline="sensor",status="failed"} 1');
    expect(text).toContain('lnano_pipeline_run_duration_seconds_bucket{le="0.05",pipeline="sensor",status="succeeded"} 1');
    expect(text).toContain('lnano_pipeline_run_duration_seconds_bucket{le="1",pipeline="sensor",status="failed"} 0');
    expect(text).toContain('lnano_pipeline_run_duration_seconds_sum{pipeline="sensor",status="failed"} 2');
  });

  it('keeps the stock names of the process metrics; gauges prom-client names like counters are untyped', async () => {
    const text = await new HostMetrics().scrape();
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_heap_size_total_bytes gauge');
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      expect(text).toContain(`# TYPE ${name} untyped`);
    }
    expect(text).not.toMatch(/^lnano_(process|nodejs)_/m);
    expect(text).toMatch(/^lnano_build_info\{version="\d+\.\d+\.\d+[^"]*",node="[^"]+",platform="[^"]+",arch="[^"]+"\} 1$/m);
  });

  it('bounds guest series per component and guest families in all', async () => {
    const m = new HostMetrics({ processMetrics: false, maxSeriesPerComponent: 10, maxFamilies: 3 });
    for (let i = 0; i < 100; i++) m.observeNotify('p', '1', sample('many', 'counter', 1, [['id', String(i)]]));
    for (let i = 0; i < 10; i++) m.observeNotify('q', '1', sample(`name${i}`, 'gauge', i));
    const f = await families(m);
    expect(f.get('plugin_many_total')!.metrics).toHaveLength(10);
    expect([...f.keys()].filter((n) => n.startsWith('plugin_'))).toHaveLength(3);
  });

  it('counts deploys, swaps, rollbacks and aborts', async () => {
    const m = new HostMetrics({ processMetrics: false });
    m.observeTransition({ kind: 'deploy', name: 'p', from: null, to: '1', automatic: false });
    m.observeTransition({ kind: 'canary', name: 'p', from: '1', to: '2', automatic: false });
    m.observeTransition({ kind: 'abort', name: 'p', from: '2', to: '1', automatic: true });
    m.observeTransition({ kind: 'deploy', name: 'p', from: '1', to: '3', automatic: false });
    m.observeTransition({ kind: 'rollback', name: 'p', from: '3', to: '1', automatic: true });
    const text = await m.scrape();
    expect(text).toContain('lnano_deploys_total{component="p",version="2",kind="canary"} 1');
    expect(text).toContain('lnano_swaps_total{component="p",version="1"} 2');
    expect(text).toContain('lnano_rollbacks_total{component="p",version="1",automatic="true"} 1');
    expect(text).toContain('lnano_canary_aborts_total{component="p",version="2",automatic="true"} 1');
  });

  // Issue 14 item 6: output floods are counted, not logged line by line.
  it('counts the guest output lines a call dropped past its rate', async () => {
    const m = new HostMetrics({ processMetrics: false });
    m.observeCall(call('1'));
    expect((await families(m)).get('lnano_guest_output_dropped_total')!.metrics).toEqual([]);
    const flooded = call('1');
    m.observeCall({ ...flooded, usage: { ...flooded.usage!, outputDropped: 1500 } });
    m.observeCall({ ...flooded, usage: { ...flooded.usage!, outputDropped: 20 } });
    expect((await families(m)).get('lnano_guest_output_dropped_total')!.metrics).toEqual([{ value: '1520', labels: { component: 'p', version: '1' } }]);
  });

  // Issue 15: a call no longer has prom-client validate and hash label sets; the totals are read at scrape.
  it('adds a call to per-version totals; a version evicted and seen again starts from zero', async () => {
    const m = new HostMetrics({ maxVersionsPerComponent: 2, processMetrics: false });
    const calls = m.registry.getSingleMetric('lnano_calls_total')!;
    const inc = vi.spyOn(calls as unknown as { inc: () => void }, 'inc');
    for (let i = 0; i < 3; i++) m.observeCall(call('1'));
    expect(inc).not.toHaveBeenCalled();
    let f = await families(m);
    expect(f.get('lnano_calls_total')!.metrics).toEqual([{ value: '3', labels: { component: 'p', version: '1', outcome: 'ok' } }]);
    expect(f.get('lnano_host_calls_total')!.metrics).toEqual([{ value: '6', labels: { component: 'p', version: '1', kind: 'kv' } }]);
    expect(f.get('lnano_memory_peak_bytes')!.metrics).toEqual([{ value: '65536', labels: { component: 'p', version: '1' } }]);
    // A scrape does not double what it read before.
    f = await families(m);
    expect(f.get('lnano_calls_total')!.metrics[0]!.value).toBe('3');
    // Swapped to 2, then 3: 1 is evicted from every family, the histogram included.
    m.observeCall(call('2'));
    m.observeTransition({ kind: 'deploy', name: 'p', from: '2', to: '3', automatic: false });
    m.observeCall(call('3', false, 'LN_ERR_GUEST_TRAP'));
    f = await families(m);
    for (const name of ['lnano_calls_total', 'lnano_call_duration_seconds', 'lnano_memory_peak_bytes', 'lnano_payload_bytes_total']) {
      expect(
        f.get(name)!.metrics.map((s) => s.labels?.version),
        name,
      ).not.toContain('1');
    }
    expect(f.get('lnano_swaps_total')!.metrics).toEqual([{ value: '1', labels: { component: 'p', version: '3' } }]);
    // Back to 1 (a rollback): its series start again, not from the dropped totals.
    m.observeCall(call('1'));
    f = await families(m);
    expect(f.get('lnano_calls_total')!.metrics.filter((s) => s.labels!.version === '1')).toEqual([
      { value: '1', labels: { component: 'p', version: '1', outcome: 'ok' } },
    ]);
    expect(f.get('lnano_calls_total')!.metrics.some((s) => s.labels!.version === '2')).toBe(false);
  });
});
