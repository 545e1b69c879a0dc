// The three sample plugins (transformer, telemetry, persistence: real componentize-js builds)
// running in a real `lnano serve` through the default pipeline deploy/pipelines/sensor.json,
// with the kv store in real SQLite; the pipeline admin routes and `lnano pipeline` against it.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDataDir } from '../helpers/cli.js';
import { spawnServe } from '../helpers/serve-host.js';

let child: ChildProcessWithoutNullStreams;
let ingress = '';
let admin = '';
let stdout: () => string = () => '';
const dataDir = tempDataDir();
const pipelineDir = mkdtempSync(join(tmpdir(), 'lnano-pipelines-'));
const token = 'pipeline-test-token';
const cliEnv = { LNANO_SERVER: '', LNANO_ADMIN_TOKEN: token };

beforeAll(async () => {
  // Only the three sample plugins, and a copy of the default pipeline (PUT/DELETE write here).
  const components = mkdtempSync(join(tmpdir(), 'lnano-samples-'));
  for (const name of ['transformer', 'telemetry', 'persistence']) {
    mkdirSync(join(components, name));
    for (const file of ['manifest.json', 'component.wasm']) cpSync(join(ROOT, 'components', name, file), join(components, name, file));
  }
  cpSync(join(ROOT, 'deploy', 'pipelines', 'sensor.json'), join(pipelineDir, 'sensor.json'));
  const serve = await spawnServe(
    ['--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--components', components, '--pipelines', pipelineDir, '--log-level', 'warn'],
    {
      env: { ...process.env, LNANO_DATA_DIR: dataDir, LNANO_ADMIN_TOKEN: token },
      timeoutMs: 110_000,
    },
  );
  child = serve.child;
  stdout = serve.output;
  ingress = serve.ingressUrl;
  admin = serve.adminUrl;
  cliEnv.LNANO_SERVER = admin;
}, 120_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
  const res = await fetch(`${admin}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json() };
};

async function finished(runId: string): Promise<any> {
  for (;;) {
    const { body } = await api('GET', `/v1/pipelines/sensor/runs/${runId}`);
    if (body.status === 'succeeded' || body.status === 'failed') return body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the default sensor pipeline in a real host', () => {
  it('loads the default pipeline; the sample plugins get no ingress events of their own', async () => {
    expect(stdout()).toContain('pipelines from');
    const { body } = await api('GET', '/v1/pipelines');
    expect(body.pipelines).toEqual([
      expect.objectContaining({ name: 'sensor', valid: true, trigger: { events: ['sensor.*'] }, order: ['transform', 'stats', 'store', 'stats-fallback'] }),
    ]);
    const res = await fetch(`${ingress}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'x', type: 'other.thing', source: '/t' }),
    });
    expect(await res.json()).toMatchObject({ results: [], pipelines: [] });
  });

  it('a sensor event runs transformer → telemetry ∥ persistence; the reading is in SQLite', async () => {
    const res = await fetch(`${ingress}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'r1', type: 'sensor.reading', source: '/sensors/7', data: { celsius: 45, sensor: 'north\u0007-7', secret: 'drop me' } }),
    });
    const answer = (await res.json()) as { pipelines: Array<{ name: string; runId: string }> };
    expect(answer.pipelines).toEqual([{ name: 'sensor', runId: expect.stringMatching(/^r-/) }]);
    const run = await finished(answer.pipelines[0]!.runId);
    expect(run.status).toBe('succeeded');
    const byId = Object.fromEntries(run.steps.map((s: any) => [s.id, s]));
    expect(byId.transform.output[0]).toMatchObject({ type: 'sensor.transformed', data: { fahrenheit: 113, unit: 'F', sensor: 'north\u0007-7' } });
    expect(byId.transform.usage).toMatchObject({ peakMemoryBytes: expect.any(Number), bytesIn: expect.any(Number) });
    // 113 °F passes the telemetry threshold of 104: stats first, then the alert.
    expect(byId.stats.output.map((e: any) => e.type)).toEqual(['telemetry.stats', 'telemetry.alert']);
    expect(byId.stats.output[1].data).toEqual({ field: 'fahrenheit', value: 113, max: 104 });
    expect(byId.store).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(byId.store.output[0]).toMatchObject({
      type: 'persistence.stored',
      data: { key: 'reading/_sensors_7/r1', fields: ['sensor', 'fahrenheit', 'unit'], dropped: ['secret'] },
    });
    expect(byId['stats-fallback']).toMatchObject({ status: 'skipped', attempts: 0 });

    // What persistence stored, read through the plugin and straight from the kv database.
    const read = await runCli(['invoke', 'persistence', '--event-type', 'persistence.get', '--data', '{"key":"reading/_sensors_7/r1"}'], { env: cliEnv });
    expect(read.code, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout).events[0].data).toEqual({ key: 'reading/_sensors_7/r1', value: { fahrenheit: 113, sensor: 'north-7', unit: 'F' } });
    const db = new Database(join(dataDir, 'kv.sqlite3'), { readonly: true });
    try {
      const rows = db.prepare('SELECT namespace, CAST(key AS TEXT) AS key, CAST(value AS TEXT) AS value FROM kv_entries').all() as Array<{
        namespace: string;
        key: string;
        value: string;
      }>;
      const stored = rows.find((r) => r.namespace === 'persistence' && r.key === 'reading/_sensors_7/r1');
      expect(JSON.parse(stored!.value)).toEqual({ fahrenheit: 113, sensor: 'north-7', unit: 'F' });
      const stats = rows.find((r) => r.namespace === 'telemetry' && r.key === 'stats//sensors/7');
      expect(JSON.parse(stats!.value)).toEqual({ fahrenheit: { count: 1, min: 113, max: 113, mean: 113 } });
    } finally {
      db.close();
    }
  });

  it('telemetry failing is retried, then its fallback stores the reading (lnano pipeline run --wait)', async () => {
    const result = await runCli(['pipeline', 'run', 'sensor', '--event-type', 'sensor.status', '--data', '{"status":"ok"}', '--wait'], { env: cliEnv });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✓ transform/);
    expect(result.stdout).toMatch(/stats +attempt 1 failed, retrying/);
    expect(result.stdout).toMatch(/↷ stats +fallback/);
    expect(result.stdout).toMatch(/✓ stats-fallback/);
    expect(result.stdout).toMatch(/✓ run r-\S+ succeeded/);
    const status = await runCli(['pipeline', 'status', 'sensor', '--json'], { env: cliEnv });
    const latest = JSON.parse(status.stdout).runs[0];
    expect(latest.steps).toEqual([
      { id: 'transform', status: 'succeeded', attempts: 1, durationMs: expect.any(Number) },
      { id: 'stats', status: 'fallback', attempts: 3, durationMs: expect.any(Number) },
      { id: 'store', status: 'succeeded', attempts: 1, durationMs: expect.any(Number) },
      { id: 'stats-fallback', status: 'succeeded', attempts: 1, durationMs: expect.any(Number) },
    ]);
    const text = await runCli(['pipeline', 'status', 'sensor'], { env: cliEnv });
    expect(text.stdout).toContain('transform → stats → store → stats-fallback');
    expect(text.stdout).toMatch(/stats +telemetry +fallback +3/);
  });

  it('admin routes: validate, PUT (hot reload), runs with wait, 400/404 with the key path, DELETE', async () => {
    const definition = { name: 'copy', trigger: { events: ['copy.*'] }, steps: [{ id: 'keep', component: 'persistence' }] };
    expect(await api('POST', '/v1/pipelines/validate', definition)).toEqual({ status: 200, body: { valid: true, name: 'copy', order: ['keep'] } });
    const bad = await api('POST', '/v1/pipelines/validate', { ...definition, steps: [{ id: 'keep', component: 'persistence', input: 'nope' }] });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'LN_ERR_CONFIG_PIPELINE_INVALID', message: expect.stringContaining('steps.0.input: unknown step "nope"') });
    expect((await api('PUT', '/v1/pipelines/copy', { ...definition, name: 'other' })).status).toBe(400);
    const put = await api('PUT', '/v1/pipelines/copy', definition);
    expect(put).toMatchObject({ status: 200, body: { pipeline: { name: 'copy', valid: true, file: join(pipelineDir, 'copy.json') } } });
    expect(JSON.parse(readFileSync(join(pipelineDir, 'copy.json'), 'utf8'))).toMatchObject(definition);
    const run = await api('POST', '/v1/pipelines/copy/runs', { event: { id: 'c1', type: 'copy.x', source: '/copy', data: { note: 'hi' } }, wait: true });
    expect(run).toMatchObject({ status: 200, body: { pipeline: 'copy', status: 'succeeded', steps: [{ id: 'keep', status: 'succeeded' }] } });
    const queued = await api('POST', '/v1/pipelines/copy/runs', { priority: 5 });
    expect(queued).toMatchObject({ status: 202, body: { runId: expect.stringMatching(/^r-/) } });
    expect((await api('GET', '/v1/pipelines/copy/runs')).body.runs.length).toBe(2);
    expect((await api('GET', '/v1/pipelines/copy')).body).toMatchObject({
      pipeline: { name: 'copy' },
      runs: [expect.objectContaining({ priority: 5 }), expect.anything()],
    });
    expect(await api('GET', '/v1/pipelines/copy/runs/r-nope')).toMatchObject({ status: 404, body: { code: 'LN_ERR_EVENT_RUN_NOT_FOUND' } });
    expect(await api('POST', '/v1/pipelines/copy/runs', { event: { type: 'x' } })).toMatchObject({ status: 400, body: { code: 'LN_ERR_EVENT_INVALID' } });
    expect(await api('POST', '/v1/pipelines/copy/runs', { surprise: 1 })).toMatchObject({ status: 400, body: { code: 'LN_ERR_ADMIN_BAD_REQUEST' } });
    expect(await api('DELETE', '/v1/pipelines/copy')).toMatchObject({ status: 200 });
    expect(await api('GET', '/v1/pipelines/copy')).toMatchObject({ status: 404, body: { code: 'LN_ERR_EVENT_PIPELINE_NOT_FOUND' } });
    expect(await api('POST', '/v1/pipelines/copy/runs', {})).toMatchObject({ status: 404 });
  });

  it('lnano pipeline ls / validate, and coded errors', async () => {
    const ls = await runCli(['pipeline', 'ls'], { env: cliEnv });
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/sensor +yes +sensor\.\* +transform → stats → store → stats-fallback/);
    const ok = await runCli(['pipeline', 'validate', join(ROOT, 'deploy', 'pipelines', 'sensor.json')]);
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringContaining('steps in order: transform → stats → store → stats-fallback') });
    const missing = await runCli(['pipeline', 'run', 'nope'], { env: cliEnv });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error[LN_ERR_EVENT_PIPELINE_NOT_FOUND]');
    const usage = await runCli(['pipeline', 'frobnicate'], { env: cliEnv });
    expect(usage.code).toBe(2);
  });
});
