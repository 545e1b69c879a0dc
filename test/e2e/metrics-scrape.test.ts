// /metrics of a real `lnano serve` process: real components (telemetry-c, which calls the kv,
// metrics, config and log host interfaces; echo-c) seeded from a config file, called through
// POST /events, redeployed and rolled back through the admin API; the scrape is parsed by
// parse-prometheus-text-format and checked family by family, label by label, value by value.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheus, { type PromFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, fixture } from '../helpers/cli.js';
import { spawnServe } from '../helpers/serve-host.js';

const TOKEN = 'metrics-test-token-0123456789';
const root = mkdtempSync(join(tmpdir(), 'lnano-metrics-'));
let child: ChildProcessWithoutNullStreams | undefined;
let events = '';
let admin = '';

function plugin(name: string, wasm: string, manifest: Record<string, unknown>): void {
  const dir = join(root, 'components', name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(wasm, join(dir, 'component.wasm'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ name, version: '1.0.0', events: ['*'], limits: { concurrency: 1, timeout: '5s' }, ...manifest }));
}

const authorized = { authorization: `Bearer ${TOKEN}` };
const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

beforeAll(async () => {
  // No kv grant: its kv.set is answered `denied`, and still counts as a host call.
  plugin('telemetry', fixture('telemetry-c'), { config: { greeting: 'hi' } });
  plugin('echo-c', example('echo-c'), { events: ['echo.*'] });
  writeFileSync(
    join(root, 'lnano.yaml'),
    ['listen: 127.0.0.1:0', 'adminListen: 127.0.0.1:0', 'dataDir: ./data', 'components: ./components', 'logLevel: warn', 'logFormat: json'].join('\n'),
  );
  const serve = await spawnServe(['--config', join(root, 'lnano.yaml')], {
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LNANO_'))), LNANO_ADMIN_TOKEN: TOKEN },
    timeoutMs: 60_000,
  });
  child = serve.child;
  events = serve.ingressUrl;
  admin = serve.adminUrl;
}, 90_000);

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

/** The families of one scrape, and a lookup of one sample by exact labels. */
async function scrape(): Promise<{ text: string; families: Map<string, PromFamily>; value(name: string, labels: Record<string, string>): number | undefined }> {
  const res = await fetch(`${admin}/metrics`, { headers: authorized });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const text = await res.text();
  const families = new Map(parsePrometheus(text).map((f) => [f.name, f]));
  const value = (name: string, labels: Record<string, string>): number | undefined => {
    const sample = families
      .get(name)
      ?.metrics.find((m) => JSON.stringify(Object.entries(m.labels ?? {}).sort()) === JSON.stringify(Object.entries(labels).sort()));
    return sample ? Number(sample.value) : undefined;
  };
  return { text, families, value };
}

describe('GET /metrics from a running host', () => {
  it('needs the admin token', async () => {
    expect((await fetch(`${admin}/metrics`)).status).toBe(401);
  });

  it('counts calls, errors, host calls, guest metrics, deploys, swaps and rollbacks per component and version', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await post(`${events}/events`, { id: `r${i}`, type: 'sensor.reading', source: '/test', data: { n: i } });
      expect(res.status).toBe(200);
    }
    await post(`${events}/events`, { id: 'f1', type: 'fail', source: '/test' });
    await post(`${events}/events`, { id: 'e1', type: 'echo.hello', source: '/test', data: 'x' });

    // A second version of telemetry, then back to the first.
    const bytes = readFileSync(fixture('telemetry-c'));
    const stored = (await (await fetch(`${admin}/v1/artifacts`, { method: 'PUT', headers: authorized, body: bytes })).json()) as { digest: string };
    const deploy = await post(
      `${admin}/v1/deployments`,
      {
        manifest: { name: 'telemetry', version: '1.1.0', events: ['*'], limits: { concurrency: 1, timeout: '5s' } },
        digest: stored.digest,
      },
      authorized,
    );
    expect(deploy.status).toBe(200);
    expect(((await deploy.json()) as { from: string }).from).toBe('1.0.0');
    await post(`${events}/events`, { id: 'n1', type: 'sensor.reading', source: '/test', data: { n: 9 } });
    const rollback = await post(`${admin}/v1/components/telemetry/rollback`, {}, authorized);
    expect(rollback.status).toBe(200);
    await post(`${events}/events`, { id: 'n2', type: 'sensor.reading', source: '/test', data: { n: 10 } });

    const { text, families, value } = await scrape();
    const v1 = { component: 'telemetry', version: '1.0.0' };
    const v2 = { component: 'telemetry', version: '1.1.0' };
    // Types of the host's families.
    const types = Object.fromEntries([...families].map(([n, f]) => [n, f.type]));
    expect(types).toMatchObject({
      lnano_calls_total: 'COUNTER',
      lnano_call_errors_total: 'COUNTER',
      lnano_call_duration_seconds: 'HISTOGRAM',
      lnano_host_calls_total: 'COUNTER',
      lnano_payload_bytes_total: 'COUNTER',
      lnano_memory_peak_bytes: 'GAUGE',
      lnano_instances: 'GAUGE',
      lnano_queue_depth: 'GAUGE',
      lnano_deploys_total: 'COUNTER',
      lnano_swaps_total: 'COUNTER',
      lnano_rollbacks_total: 'COUNTER',
      plugin_events_total: 'COUNTER',
      plugin_payload_bytes: 'HISTOGRAM',
      plugin_last_payload_bytes: 'GAUGE',
    });
    // Calls by outcome: telemetry takes every event — 4 ingress events ok before the redeploy, echo-c's
    // reply to echo.hello (a follow-up event), and 1 after the rollback on 1.0.0; 1 on 1.1.0 — and
    // echo-c only echo.* (echo.hello, then its own reply echo.hello.echoed, which it answers with none).
    expect(value('lnano_calls_total', { ...v1, outcome: 'ok' })).toBe(6);
    expect(value('lnano_calls_total', { ...v1, outcome: 'error' })).toBe(1);
    expect(value('lnano_calls_total', { ...v2, outcome: 'ok' })).toBe(1);
    expect(value('lnano_calls_total', { component: 'echo-c', version: '1.0.0', outcome: 'ok' })).toBe(2);
    expect(value('lnano_call_errors_total', { ...v1, code: 'LN_ERR_GUEST_ERROR' })).toBe(1);
    // Host calls the guest made: 3 metrics, 1 kv and 1 log per call (7 calls on 1.0.0).
    expect(value('lnano_host_calls_total', { ...v1, kind: 'metrics' })).toBe(21);
    expect(value('lnano_host_calls_total', { ...v1, kind: 'kv' })).toBe(7);
    expect(value('lnano_host_calls_total', { ...v1, kind: 'log' })).toBe(7);
    expect(value('lnano_payload_bytes_total', { ...v1, direction: 'in' })).toBeGreaterThan(0);
    expect(value('lnano_memory_peak_bytes', v1)).toBeGreaterThanOrEqual(65536);
    // The histogram's count per version (the parser merges labelled histograms, so read the line).
    expect(text).toMatch(/^lnano_call_duration_seconds_count\{component="telemetry",version="1\.0\.0"\} 7$/m);
    expect(text).toMatch(/^lnano_call_duration_seconds_bucket\{le="\+Inf",component="telemetry",version="1\.0\.0"\} 7$/m);
    // Pool state, read at scrape time: 1.0.0 serves again; 1.1.0 was stopped (immediate strategy).
    expect(value('lnano_instances', { ...v1, role: 'active' })).toBeGreaterThanOrEqual(1);
    expect(value('lnano_queue_depth', { ...v1, role: 'active' })).toBe(0);
    expect(value('lnano_instances', { ...v2, role: 'active' })).toBeUndefined();
    // Deploys, swaps, rollbacks.
    expect(value('lnano_deploys_total', { ...v1, kind: 'deploy' })).toBe(1);
    expect(value('lnano_deploys_total', { ...v2, kind: 'deploy' })).toBe(1);
    expect(value('lnano_swaps_total', v1)).toBe(2);
    expect(value('lnano_swaps_total', v2)).toBe(1);
    expect(value('lnano_rollbacks_total', { ...v1, automatic: 'false' })).toBe(1);
    // The guest's own metrics: plugin_ prefix, component and version labels from the host.
    expect(value('plugin_events_total', { ...v1, type: 'sensor.reading' })).toBe(4);
    expect(value('plugin_events_total', { ...v1, type: 'fail' })).toBe(1);
    expect(value('plugin_events_total', { ...v1, type: 'echo.hello.echoed' })).toBe(1); // echo-c's reply, routed as a follow-up
    expect(value('plugin_events_total', { ...v2, type: 'sensor.reading' })).toBe(1);
    expect(value('plugin_last_payload_bytes', v1)).toBe(8); // {"n":10}
    expect(text).toMatch(/^plugin_payload_bytes_count\{component="telemetry",version="1\.0\.0"\} 7$/m);
    // No guest metric without the host's labels.
    for (const f of families.values()) {
      if (!f.name.startsWith('plugin_') || f.type === 'HISTOGRAM') continue;
      for (const m of f.metrics) expect(Object.keys(m.labels ?? {})).toEqual(expect.arrayContaining(['component', 'version']));
    }
    // Process metrics, under their stock names.
    expect(families.has('process_cpu_user_seconds_total')).toBe(true);
  });

  it('GET /v1/config shows each key with its source, never the token', async () => {
    const res = await fetch(`${admin}/v1/config`, { headers: authorized });
    const body = (await res.json()) as { file: string; keys: Array<{ key: string; value: unknown; source: string; live: boolean }> };
    const key = (k: string) => body.keys.find((e) => e.key === k)!;
    expect(body.file).toBe(join(root, 'lnano.yaml'));
    expect(key('logLevel')).toEqual({ key: 'logLevel', value: 'warn', source: `file ${join(root, 'lnano.yaml')}`, live: true });
    expect(key('adminToken')).toMatchObject({ value: '(set)', source: 'env LNANO_ADMIN_TOKEN' });
    expect(key('retain')).toMatchObject({ value: 5, source: 'default' });
    expect(JSON.stringify(body)).not.toContain(TOKEN);
  });

  it('GET /v1/traces answers an empty list while tracing is off', async () => {
    const res = await fetch(`${admin}/v1/traces?limit=5`, { headers: authorized });
    expect(await res.json()).toEqual({ traces: [] });
    expect((await fetch(`${admin}/v1/traces?limit=0`, { headers: authorized })).status).toBe(400);
  });
});
