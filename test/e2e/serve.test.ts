import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDataDir } from '../helpers/cli.js';
import { spawnServe } from '../helpers/serve-host.js';

/** The example plugins under components/, which serve deploys at start, in name order. */
const EXAMPLES = ['echo-c', 'echo-cpp', 'echo-rust', 'echo-ts'];

let child: ChildProcessWithoutNullStreams;
let url = '';

beforeAll(async () => {
  // The echo plugins only (the pipeline samples run in pipelines.test.ts).
  const components = mkdtempSync(join(tmpdir(), 'lnano-echo-'));
  for (const name of EXAMPLES) {
    cpSync(join(ROOT, 'components', name), join(components, name), { recursive: true });
    // Every one takes every event here (the C++ and Rust examples ship subscribed to "hello" only).
    const manifest = join(components, name, 'manifest.json');
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), events: ['*'] }));
  }
  const serve = await spawnServe(['--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--components', components, '--log-level', 'warn'], {
    env: { ...process.env, LNANO_DATA_DIR: tempDataDir() },
  });
  child = serve.child;
  url = serve.ingressUrl;
}, 120_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${url}/events`, { method: 'POST', body, headers });

describe('lnano serve', () => {
  it('answers health with the plugins it serves', async () => {
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', plugins: EXAMPLES });
  });

  it('delivers an event to every plugin in name order; same event, same result in C, C++, Rust and TS', async () => {
    const res = await post(JSON.stringify({ id: 'e1', type: 'sensor.reading', source: '/s/1', data: { t: 21.5 }, site: 'north' }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: Array<{ plugin: string; ok: boolean; events: unknown[] }> };
    expect(body.results.map((r) => r.plugin)).toEqual(EXAMPLES);
    const expected = [
      { specversion: '1.0', id: 'e1-echo', type: 'sensor.reading.echoed', source: '/s/1', datacontenttype: 'application/json', data: { t: 21.5 } },
    ];
    for (const r of body.results) {
      expect(r.ok).toBe(true);
      expect(r.events).toEqual(expected);
    }
  });

  it('reports a plugin error result per plugin, and keeps serving', async () => {
    const res = await post(JSON.stringify({ id: 'e2', type: 'fail', source: '/s/1' }));
    const body = (await res.json()) as { results: Array<{ ok: boolean; error: unknown }> };
    expect(body.results.map((r) => r.error)).toEqual(EXAMPLES.map(() => ({ code: 'LN_ERR_GUEST_ERROR', value: { tag: 'failed', val: 'asked to fail' } })));
    expect((await post(JSON.stringify({ id: 'e3', type: 'x', source: '/s' }))).status).toBe(200);
  });

  it('takes a batch and answers binary data as base64', async () => {
    const res = await post(
      JSON.stringify([
        { id: 'b1', type: 't', source: '/s', data_base64: Buffer.from([0xff, 0, 1]).toString('base64') },
        { id: 'b2', type: 't', source: '/s', data: 'plain text' },
      ]),
    );
    const body = (await res.json()) as { events: Array<{ id: string; results: Array<{ events: Array<Record<string, unknown>> }> }> };
    expect(body.events.map((e) => e.id)).toEqual(['b1', 'b2']);
    expect(body.events[0]!.results[0]!.events[0]!.data_base64).toBe('/wAB');
    expect(body.events[1]!.results[1]!.events[0]!.data).toBe('plain text');
  });

  it.each([
    ['not JSON', '{nope', 400, 'LN_ERR_EVENT_INVALID'],
    ['an array of nothing', '[]', 400, 'LN_ERR_EVENT_INVALID'],
    ['a number', '42', 400, 'LN_ERR_EVENT_INVALID'],
    ['a missing id', JSON.stringify({ type: 't', source: '/s' }), 400, 'LN_ERR_EVENT_INVALID'],
    ['a numeric type', JSON.stringify({ id: '1', type: 5, source: '/s' }), 400, 'LN_ERR_EVENT_INVALID'],
    ['a bad time', JSON.stringify({ id: '1', type: 't', source: '/s', time: 'yesterday' }), 400, 'LN_ERR_EVENT_INVALID'],
    ['an unknown attribute', JSON.stringify({ id: '1', type: 't', source: '/s', Evil: { a: 1 } }), 400, 'LN_ERR_EVENT_INVALID'],
    ['a 2 MiB body', JSON.stringify({ id: '1', type: 't', source: '/s', data: 'x'.repeat(2 * 1024 * 1024) }), 413, 'LN_ERR_EVENT_TOO_LARGE'],
  ])('refuses %s with a coded 4xx', async (_label, body, status, code) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { code: string; message: string; requestId: string };
    expect(json.code).toBe(code);
    expect(json.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with 404 and stops cleanly on SIGTERM', async () => {
    expect((await fetch(`${url}/admin`)).status).toBe(404);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
