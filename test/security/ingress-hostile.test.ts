// Issue 14, items 4 and 5: what a web page the operator visits (or a DNS-rebound name) may do to
// a real `lnano serve` on loopback, and JSON nested 5000 levels deep on every route that takes
// an event. Before the fix the ingress took text/plain and form bodies from any Origin, and deep
// JSON answered a 500 LN_ERR_INTERNAL_UNEXPECTED (JSON.stringify ran out of stack).
// Requests go through node:http so Host, Origin and Sec-Fetch-Site are sent exactly as given.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../host/support/json-depth.js';
import { type ServeHost, startServe } from '../helpers/serve-host.js';

let host: ServeHost;
let configFile = '';

interface Answer {
  status: number;
  body: Record<string, any>;
}

/** One request with exactly these headers (a `host` given here replaces the real one). */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as Record<string, any> }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const EVENT = JSON.stringify({ id: 'h1', type: 'hostile.test', source: '/test', data: { ok: true } });
const JSON_TYPE = { 'content-type': 'application/json' };
const postEvent = (headers: Record<string, string>, body: string | Buffer = EVENT) => send(host.ingressUrl, 'POST', '/events', headers, body);
const admin = (method: string, path: string, headers: Record<string, string>, body?: string) =>
  send(host.adminUrl, method, path, { authorization: `Bearer ${host.token}`, ...headers }, body);

/** `{"a":{"a":...1}}`: `levels` objects nested in each other. */
function deepData(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}
/** An event whose JSON nests `levels` deep (the envelope is the first level). */
const deepEvent = (levels: number) => `{"id":"deep","type":"deep.event","source":"/test","data":${deepData(levels - 1)}}`;

beforeAll(async () => {
  configFile = join(mkdtempSync(join(tmpdir(), 'lnano-hostile-')), 'lnano.json');
  writeFileSync(configFile, JSON.stringify({ ingress: { allowedOrigins: ['https://allowed.example'] } }));
  host = await startServe(['--config', configFile]);
  await host.deploy('echo', '1.0.0', { events: ['*'] });
  const saved = await host.api('PUT', '/pipelines/deep', {
    name: 'deep',
    trigger: { events: ['deep.*'] },
    steps: [{ id: 'echo', component: 'echo', input: 'event' }],
  });
  expect(saved.status).toBe(200);
}, 120_000);

afterAll(() => host?.stop());

describe('the event ingress refuses what a web page may send without asking', () => {
  it.each([
    ['text/plain', { 'content-type': 'text/plain' }],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }],
    ['no content type', {}],
  ])('refuses %s with 415, even with a valid JSON event as the body', async (_what, headers) => {
    const r = await postEvent(headers);
    expect(r.status).toBe(415);
    expect(r.body.code).toBe('LN_ERR_EVENT_UNSUPPORTED_MEDIA_TYPE');
  });

  it.each([
    ['a cross-site text/plain POST', { 'content-type': 'text/plain', origin: 'https://evil.example' }],
    ['a cross-site form POST', { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }],
    ['an Origin not allowed', { ...JSON_TYPE, origin: 'https://evil.example' }],
    ['an opaque Origin (sandboxed page)', { ...JSON_TYPE, origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', { ...JSON_TYPE, 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site (another port of this host)', { ...JSON_TYPE, 'sec-fetch-site': 'same-site' }],
    [
      'a binary-mode event from another site',
      { 'content-type': 'text/plain', 'ce-specversion': '1.0', 'ce-id': 'b', 'ce-type': 't', 'ce-source': '/s', origin: 'https://evil.example' },
    ],
  ])('refuses %s with 403', async (_what, headers) => {
    const r = await postEvent(headers);
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('LN_ERR_EVENT_CROSS_SITE');
  });

  it('refuses a DNS-rebound Host on the loopback listener, and takes loopback names with any port', async () => {
    const rebound = await postEvent({ ...JSON_TYPE, host: 'rebind.evil.example:8080' });
    expect(rebound.status).toBe(403);
    expect(rebound.body.code).toBe('LN_ERR_EVENT_CROSS_SITE');
    expect(rebound.body.message).toContain('rebind.evil.example');
    expect((await send(host.ingressUrl, 'GET', '/health', { host: 'rebind.evil.example' })).status).toBe(403);
    for (const name of ['localhost:1', '127.0.0.1', '127.9.8.7:80', '[::1]:9', 'LOCALHOST']) {
      expect((await postEvent({ ...JSON_TYPE, host: name })).status, name).toBe(200);
    }
  });

  it('takes an allowed Origin, its own origin, same-origin fetches and clients that are not browsers', async () => {
    const own = host.ingressUrl;
    for (const headers of [
      { origin: 'https://allowed.example' },
      { origin: 'https://allowed.example', 'sec-fetch-site': 'cross-site' },
      { origin: own, 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
      {},
    ]) {
      const r = await postEvent({ 'content-type': 'application/cloudevents+json; charset=utf-8', ...headers });
      expect(r.status, JSON.stringify(headers)).toBe(200);
      expect(r.body.results[0].events[0].data).toEqual({ ok: true });
    }
    const batch = await postEvent({ 'content-type': 'application/cloudevents-batch+json' }, `[${EVENT}]`);
    expect(batch.status).toBe(200);
    expect(batch.body.events).toHaveLength(1);
  });

  it('takes a CloudEvents binary-mode event with any data type: the body is the data', async () => {
    const r = await postEvent(
      { 'content-type': 'text/plain', 'ce-specversion': '1.0', 'ce-id': 'bin-1', 'ce-type': 'binary.test', 'ce-source': '/test', accept: 'application/json' },
      'hello, binary',
    );
    expect(r.status).toBe(200);
    expect(r.body.results[0].events[0]).toMatchObject({ id: 'bin-1-echo', datacontenttype: 'text/plain', data: 'hello, binary' });
    const missing = await postEvent({ 'content-type': 'text/plain', 'ce-specversion': '1.0', 'ce-type': 't', 'ce-source': '/s' }, 'x');
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('LN_ERR_EVENT_INVALID');
  });

  it('applies a change of ingress.allowedOrigins in the config file without a restart', async () => {
    writeFileSync(configFile, JSON.stringify({ ingress: { allowedOrigins: ['https://later.example'] } }));
    let status = 0;
    for (let i = 0; i < 200 && status !== 200; i++) {
      status = (await postEvent({ ...JSON_TYPE, origin: 'https://later.example' })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
    expect((await postEvent({ ...JSON_TYPE, origin: 'https://allowed.example' })).status).toBe(403);
  });
});

describe('the admin listener refuses rebound Hosts and other sites', () => {
  it('refuses a rebound Host on the API (token or not) and on the console files', async () => {
    for (const path of ['/v1/health', '/console/']) {
      const r = await admin('GET', path, { host: `rebind.evil.example:${new URL(host.adminUrl).port}` });
      expect(r.status, path).toBe(403);
      expect(r.body.code).toBe('LN_ERR_ADMIN_CROSS_SITE');
    }
  });

  it("refuses another site's page calling the API, and takes the console's own calls", async () => {
    const evil = await admin('POST', '/v1/components/echo/invoke', { ...JSON_TYPE, origin: 'https://evil.example' }, EVENT);
    expect(evil.status).toBe(403);
    expect(evil.body.code).toBe('LN_ERR_ADMIN_CROSS_SITE');
    const fromConsole = await admin('POST', '/v1/components/echo/invoke', { ...JSON_TYPE, origin: host.adminUrl, 'sec-fetch-site': 'same-origin' }, EVENT);
    expect(fromConsole.status).toBe(200);
  });
});

describe(`JSON nested 5000 levels deep gets a coded 400 naming the limit (${MAX_JSON_DEPTH})`, () => {
  const deep = deepEvent(5000);

  it('on POST /events', async () => {
    const r = await postEvent(JSON_TYPE, deep);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('LN_ERR_EVENT_TOO_DEEP');
    expect(r.body.message).toContain(String(MAX_JSON_DEPTH));
  });

  it('on POST /v1/components/:name/invoke', async () => {
    const r = await admin('POST', '/v1/components/echo/invoke', JSON_TYPE, deep);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('LN_ERR_ADMIN_TOO_DEEP');
    expect(r.body.message).toContain(String(MAX_JSON_DEPTH));
  });

  it('on pipeline runs', async () => {
    const r = await admin('POST', '/v1/pipelines/deep/runs', JSON_TYPE, `{"event":${deep},"wait":true}`);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('LN_ERR_ADMIN_TOO_DEEP');
  });

  it('takes JSON exactly at the limit on all three', async () => {
    const atLimit = deepEvent(MAX_JSON_DEPTH);
    expect((await postEvent(JSON_TYPE, atLimit)).status).toBe(200);
    expect((await postEvent(JSON_TYPE, deepEvent(MAX_JSON_DEPTH + 1))).body.code).toBe('LN_ERR_EVENT_TOO_DEEP');
    expect((await admin('POST', '/v1/components/echo/invoke', JSON_TYPE, atLimit)).status).toBe(200);
    const run = await admin('POST', '/v1/pipelines/deep/runs', JSON_TYPE, `{"event":${deepEvent(MAX_JSON_DEPTH - 1)},"wait":true}`);
    expect(run.status).toBe(200);
    expect(run.body.status).toBe('succeeded');
  });

  it('keeps binary-mode JSON data that is too deep as text, so the pipeline it triggers still runs', async () => {
    const r = await postEvent(
      {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'deep-bin',
        'ce-type': 'deep.binary',
        'ce-source': '/test',
        accept: 'application/json',
      },
      deepData(5000),
    );
    expect(r.status).toBe(200);
    expect(r.body.pipelines).toHaveLength(1);
    expect(typeof r.body.results[0].events[0].data).toBe('string');
    expect((await host.api('GET', '/health')).status).toBe(200);
  });
});
