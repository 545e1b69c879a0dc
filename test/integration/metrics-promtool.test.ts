/**
 * Issue 21 item 5: what a real host exposes on /metrics passes `promtool check metrics`
 * (Prometheus's own linter; Debian package `prometheus`, installed by .ci/install-toolchains.sh).
 * A host from `createHost` with the token-free metrics listener on, two real components deployed
 * through its admin API (telemetry-c: host calls and guest metrics of every kind; echo-c), events
 * through the ingress, pipeline runs that succeed and fail through the admin API; then both
 * scrapes (admin API with the token, metrics listener without) are checked by promtool and
 * family by family: stock Node.js/process names, `lnano_build_info`, pipeline run metrics,
 * ingress request metrics, guest counters ending in `_total`.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheus, { type PromFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../host/index.js';
import { example, fixture, tempDataDir } from '../helpers/cli.js';

const TOKEN = randomBytes(24).toString('hex');
const authorized = { authorization: `Bearer ${TOKEN}` };
/** Whether promtool can run here; the checks need it and say so when it is missing. */
const PROMTOOL = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
const SKIPPED = PROMTOOL ? '' : ' (SKIPPED: promtool is not installed; `apt-get install prometheus`, see .ci/install-toolchains.sh)';

/** `promtool check metrics` of a text exposition: its exit status and what it reported. */
function promtool(text: string): { status: number | null; report: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: run.status, report: `${run.stdout}${run.stderr}`.trim() };
}

let host: Host;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${host.addresses.admin.url}${path}`, {
    method,
    headers: { ...authorized, ...(body instanceof Uint8Array ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: body instanceof Uint8Array ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function deploy(name: string, wasm: string): Promise<void> {
  const stored = await api('PUT', '/v1/artifacts', readFileSync(wasm));
  expect(stored.status).toBe(201);
  const manifest = { name, version: '1.0.0', events: name === 'echo-c' ? ['echo.*'] : ['sensor.*', 'fail'], limits: { concurrency: 1, timeout: '5s' } };
  const deployed = await api('POST', '/v1/deployments', { manifest, digest: stored.body.digest });
  expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);
}

const families = (text: string): Map<string, PromFamily> => new Map(parsePrometheus(text).map((f) => [f.name, f]));
const sample = (f: Map<string, PromFamily>, name: string, labels: Record<string, string>): number | undefined => {
  const found = f.get(name)?.metrics.find((m) => JSON.stringify(Object.entries(m.labels ?? {}).sort()) === JSON.stringify(Object.entries(labels).sort()));
  return found ? Number(found.value) : undefined;
};

beforeAll(async () => {
  const dataDir = tempDataDir();
  // Two pipelines that only start on request, so the counts below are exact.
  mkdirSync(join(dataDir, 'pipelines'), { recursive: true });
  const pipeline = (name: string) => ({ name, steps: [{ id: 'stats', component: 'telemetry', input: 'event' }] });
  writeFileSync(join(dataDir, 'pipelines', 'readings.json'), JSON.stringify(pipeline('readings')));
  writeFileSync(join(dataDir, 'pipelines', 'checks.json'), JSON.stringify(pipeline('checks')));
  host = createHost({
    dataDir,
    listen: '127.0.0.1:0',
    adminListen: '127.0.0.1:0',
    adminToken: TOKEN,
    logLevel: 'silent',
    metrics: { listen: '127.0.0.1:0' },
  });
  await host.start();
  await deploy('telemetry', fixture('telemetry-c'));
  await deploy('echo-c', example('echo-c'));
  for (const [id, type] of [
    ['r1', 'sensor.reading'],
    ['r2', 'sensor.reading'],
    ['f1', 'fail'],
    ['e1', 'echo.hello'],
  ]) {
    const res = await fetch(`${host.addresses.ingress.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id, type, source: '/test', data: { n: 1 } }),
    });
    expect(res.status).toBe(200);
  }
  // Runs that succeed twice and fail once (telemetry-c answers err to an event of type "fail").
  for (const [name, type, status] of [
    ['readings', 'sensor.reading', 'succeeded'],
    ['readings', 'sensor.reading', 'succeeded'],
    ['checks', 'fail', 'failed'],
  ] as const) {
    const run = await api('POST', `/v1/pipelines/${name}/runs`, { event: { id: `p-${randomBytes(4).toString('hex')}`, type, source: '/test' }, wait: true });
    expect(run.status).toBe(200);
    expect(run.body.status).toBe(status);
  }
}, 120_000);

afterAll(async () => {
  await host?.close();
});

describe('/metrics of a real host', () => {
  it(`passes promtool check metrics, on the admin API and on the token-free listener${SKIPPED}`, async () => {
    if (!PROMTOOL) return;
    // promtool does fail on what the host exposed before (a gauge ending in _total), so a pass means something.
    const before =
      '# HELP lnano_nodejs_active_handles_total Total number of active handles.\n# TYPE lnano_nodejs_active_handles_total gauge\nlnano_nodejs_active_handles_total 7\n';
    expect(promtool(before)).toEqual({ status: 3, report: expect.stringContaining('non-counter metrics should not have "_total" suffix') });
    const admin = await (await fetch(`${host.addresses.admin.url}/metrics`, { headers: authorized })).text();
    const open = await (await fetch(`${host.addresses.metrics!.url}/metrics`)).text();
    for (const text of [admin, open]) {
      expect(text).toContain('lnano_calls_total{');
      expect(text).toContain('lnano_pipeline_runs_finished_total{');
      expect(promtool(text)).toEqual({ status: 0, report: '' });
    }
  });

  it('exposes the stock Node.js and process metrics under their standard names', async () => {
    const f = families(await (await fetch(`${host.addresses.metrics!.url}/metrics`)).text());
    for (const name of [
      'process_cpu_seconds_total',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_heap_size_total_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_gc_duration_seconds',
      'nodejs_version_info',
    ]) {
      expect(f.has(name), name).toBe(true);
    }
    expect(f.get('process_cpu_seconds_total')!.type).toBe('COUNTER');
    // prom-client's gauges named like counters keep their names (dashboards query them), untyped.
    expect(f.get('nodejs_active_handles_total')!.type).toBe('UNTYPED');
    expect(Number(f.get('nodejs_active_handles_total')!.metrics[0]!.value)).toBeGreaterThan(0);
    expect([...f.keys()].filter((n) => n.startsWith('lnano_process_') || n.startsWith('lnano_nodejs_'))).toEqual([]);
  });

  it('says which build runs: lnano_build_info', async () => {
    const f = families(await (await fetch(`${host.addresses.metrics!.url}/metrics`)).text());
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(f.get('lnano_build_info')).toMatchObject({
      type: 'GAUGE',
      metrics: [{ value: '1', labels: { version: pkg.version, node: process.versions.node, platform: process.platform, arch: process.arch } }],
    });
  });

  it('counts pipeline runs by pipeline and status, with their durations', async () => {
    const text = await (await fetch(`${host.addresses.metrics!.url}/metrics`)).text();
    const f = families(text);
    expect(sample(f, 'lnano_pipeline_runs_started_total', { pipeline: 'readings' })).toBe(2);
    expect(sample(f, 'lnano_pipeline_runs_started_total', { pipeline: 'checks' })).toBe(1);
    expect(sample(f, 'lnano_pipeline_runs_finished_total', { pipeline: 'readings', status: 'succeeded' })).toBe(2);
    expect(sample(f, 'lnano_pipeline_runs_finished_total', { pipeline: 'checks', status: 'failed' })).toBe(1);
    expect(sample(f, 'lnano_pipeline_runs_finished_total', { pipeline: 'readings', status: 'failed' })).toBeUndefined();
    expect(text).toMatch(/^lnano_pipeline_run_duration_seconds_count\{pipeline="readings",status="succeeded"\} 2$/m);
    expect(text).toMatch(/^lnano_pipeline_run_duration_seconds_bucket\{le="\+Inf",pipeline="checks",status="failed"\} 1$/m);
    // The components' own counts include the pipeline steps: 2 ingress events and 2 runs on sensor.reading.
    expect(sample(f, 'lnano_calls_total', { component: 'telemetry', version: '1.0.0', outcome: 'ok' })).toBe(4);
    expect(sample(f, 'lnano_calls_total', { component: 'telemetry', version: '1.0.0', outcome: 'error' })).toBe(2);
    // The guest's counter is exported with the _total suffix it left out.
    expect(sample(f, 'plugin_events_total', { component: 'telemetry', version: '1.0.0', type: 'sensor.reading' })).toBe(4);
    expect(f.has('plugin_events')).toBe(false);
  });

  it('counts ingress requests by method, route and status code, with a bounded route label', async () => {
    const ingress = host.addresses.ingress.url;
    // The parser drops a histogram's labels, so the _count lines are read from the text.
    const count = (text: string, l: { method: string; route: string; code: string }): number => {
      const line = `lnano_ingress_request_duration_seconds_count{method="${l.method}",route="${l.route}",code="${l.code}"} `;
      const at = text.indexOf(`\n${line}`);
      return at < 0 ? 0 : Number.parseInt(text.slice(at + 1 + line.length), 10);
    };
    const before = await (await fetch(`${host.addresses.metrics!.url}/metrics`)).text();
    const events0 = count(before, { method: 'POST', route: '/events', code: '200' });
    // The four events of beforeAll were answered 200.
    expect(events0).toBeGreaterThanOrEqual(4);
    expect((await fetch(`${ingress}/health`)).status).toBe(200);
    expect((await fetch(`${ingress}/events`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b' })).status).toBe(415);
    expect((await fetch(`${ingress}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' })).status).toBe(400);
    expect((await fetch(`${ingress}/events`, { method: 'DELETE' })).status).toBe(405);
    // A scan of random paths: each is a 404 under one `unmatched` series, not a series per path.
    for (const path of ['/wp-login.php', '/.env', '/a/b/c', `/${randomBytes(8).toString('hex')}`]) expect((await fetch(`${ingress}${path}`)).status).toBe(404);
    const text = await (await fetch(`${host.addresses.metrics!.url}/metrics`)).text();
    const f = families(text);
    expect(f.get('lnano_ingress_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(count(text, { method: 'GET', route: '/health', code: '200' })).toBe(count(before, { method: 'GET', route: '/health', code: '200' }) + 1);
    expect(count(text, { method: 'POST', route: '/events', code: '415' })).toBe(count(before, { method: 'POST', route: '/events', code: '415' }) + 1);
    expect(count(text, { method: 'POST', route: '/events', code: '400' })).toBe(count(before, { method: 'POST', route: '/events', code: '400' }) + 1);
    expect(count(text, { method: 'DELETE', route: '/events', code: '405' })).toBe(count(before, { method: 'DELETE', route: '/events', code: '405' }) + 1);
    expect(count(text, { method: 'GET', route: 'unmatched', code: '404' })).toBe(count(before, { method: 'GET', route: 'unmatched', code: '404' }) + 4);
    expect(text).not.toContain('wp-login');
    expect(count(text, { method: 'POST', route: '/events', code: '200' })).toBe(events0);
  });

  it('serves only GET /metrics on the token-free listener; the admin API still wants its token', async () => {
    const url = host.addresses.metrics!.url;
    expect(host.addresses.metrics!.port).not.toBe(host.addresses.admin.port);
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect((await fetch(`${url}/v1/components`, { headers: authorized })).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${host.addresses.admin.url}/metrics`)).status).toBe(401);
  });
});
