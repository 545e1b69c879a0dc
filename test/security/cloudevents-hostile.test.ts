/**
 * Issue 18 item 4: CloudEvents' HTTP binding on a real host (`createHost`, components/echo-c,
 * which answers each event with one `<type>.echoed` event carrying the same data), over real
 * HTTP: the binary-mode round trip (binary in → binary out), structured and batch modes held to
 * their shapes, and hostile requests — a bad `ce-specversion`, missing attributes, header
 * injection through an attribute, huge headers, JSON in another charset or not UTF-8 — each
 * refused with its code, and the host still serving after.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host, parseManifest } from '../../host/index.js';
import { ROOT, tempDataDir } from '../helpers/cli.js';

let host: Host;
let url: URL;

beforeAll(async () => {
  host = createHost(
    {
      dataDir: tempDataDir(),
      listen: '127.0.0.1:0',
      adminListen: '127.0.0.1:0',
      adminToken: 'c'.repeat(32),
      logLevel: 'silent',
      sandbox: { isolation: 'inline' },
    },
    { output: { stdout: new PassThrough(), stderr: new PassThrough() }, cwd: tmpdir() },
  );
  await host.start();
  const stored = await host.versions.storeArtifact(readFileSync(join(ROOT, 'components', 'echo-c', 'component.wasm')));
  const manifest = parseManifest({ name: 'echo', version: '1.0.0', events: ['reading', 'quiet.*'] }, 'test', tmpdir());
  await host.versions.deploy({ manifest, digest: stored.digest, actor: 'test', approveCapabilities: true });
  url = new URL(`${host.addresses.ingress.url}/events`);
}, 60_000);

afterAll(() => host?.close());

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw POST /events (node:http, so any header can be sent as is). */
function post(headers: Record<string, string>, body: string | Buffer = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const json = (a: Answer): Record<string, unknown> => JSON.parse(a.body.toString()) as Record<string, unknown>;
const BINARY = { 'ce-specversion': '1.0', 'ce-id': 'b1', 'ce-type': 'reading', 'ce-source': '/sensors/7' };

describe('CloudEvents binary mode, round trip', () => {
  it('answers a binary-mode event with the produced event in binary mode: ce- headers, the data as the body', async () => {
    const data = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f]);
    const a = await post({ ...BINARY, 'ce-time': '2026-12-08T00:00:00Z', 'content-type': 'application/octet-stream' }, data);
    expect(a.status).toBe(200);
    expect(a.headers).toMatchObject({
      'ce-specversion': '1.0',
      'ce-id': 'b1-echo',
      'ce-type': 'reading.echoed',
      'ce-source': '/sensors/7',
      'content-type': 'application/octet-stream',
    });
    expect(a.headers['x-request-id']).toBeTypeOf('string');
    expect(a.body.equals(data)).toBe(true); // the bytes, exactly
  });

  it('keeps text and JSON data exactly, with their content type', async () => {
    const text = await post({ ...BINARY, 'content-type': 'text/csv; charset=utf-8' }, 'a,b\n1,é');
    expect([text.status, text.headers['content-type'], text.body.toString()]).toEqual([200, 'text/csv; charset=utf-8', 'a,b\n1,é']);
    const data = await post({ ...BINARY, 'content-type': 'application/json' }, '{"celsius":21.5,"ok":true}');
    expect([data.status, data.headers['ce-type'], JSON.parse(data.body.toString())]).toEqual([200, 'reading.echoed', { celsius: 21.5, ok: true }]);
  });

  it('answers 204 when no plugin produced an event, and the JSON answer when Accept asks for it', async () => {
    const none = await post({ ...BINARY, 'ce-type': 'nobody.listens', 'content-type': 'text/plain' }, 'x');
    expect([none.status, none.body.length]).toEqual([204, 0]);
    const asked = await post({ ...BINARY, 'content-type': 'text/plain', accept: 'application/json' }, 'x');
    expect(asked.status).toBe(200);
    expect(json(asked)).toMatchObject({ id: 'b1', results: [{ plugin: 'echo', ok: true, events: [{ id: 'b1-echo', data: 'x' }] }] });
  });

  it('carries extensions both ways, percent-decoded in and percent-encoded out', async () => {
    const a = await post({ ...BINARY, 'ce-site': 'north%20hall', 'content-type': 'text/plain', accept: 'application/json' }, 'x');
    expect(json(a)).toMatchObject({ results: [{ ok: true }] });
    // echo-c does not copy extensions; the answer's ce- headers are the produced event's own.
    const out = await post({ ...BINARY, 'ce-source': '/caf%C3%A9 "q"', 'content-type': 'text/plain' }, 'x');
    expect(out.headers['ce-source']).toBe('/caf%C3%A9%20%22q%22');
  });
});

describe('structured and batch modes keep their shapes', () => {
  const event = { specversion: '1.0', id: 's1', type: 'quiet.one', source: '/s', data: { n: 1 } };

  it('takes one envelope as application/cloudevents+json and an array as application/cloudevents-batch+json', async () => {
    const one = await post({ 'content-type': 'application/cloudevents+json' }, JSON.stringify(event));
    expect([one.status, json(one).id]).toEqual([200, 's1']);
    const batch = await post({ 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify([event, { ...event, id: 's2' }]));
    expect(batch.status).toBe(200);
    expect((json(batch).events as Array<{ id: string }>).map((e) => e.id)).toEqual(['s1', 's2']);
  });

  it('refuses an array as structured and an object as batch, with 400', async () => {
    const arr = await post({ 'content-type': 'application/cloudevents+json' }, JSON.stringify([event]));
    expect([arr.status, json(arr).code]).toEqual([400, 'LN_ERR_EVENT_INVALID']);
    const obj = await post({ 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify(event));
    expect([obj.status, json(obj).code]).toEqual([400, 'LN_ERR_EVENT_INVALID']);
  });
});

describe('hostile CloudEvents requests', () => {
  it.each([
    ['ce-specversion 0.3', { ...BINARY, 'ce-specversion': '0.3' }],
    ['ce-specversion twice', { ...BINARY, 'ce-specversion': '1.0, 1.0' }],
    ['no ce-id', { 'ce-specversion': '1.0', 'ce-type': 'reading', 'ce-source': '/s' }],
    ['no ce-source', { 'ce-specversion': '1.0', 'ce-id': 'x', 'ce-type': 'reading' }],
    ['an empty ce-type', { ...BINARY, 'ce-type': '' }],
    ['a bad ce-time', { ...BINARY, 'ce-time': 'yesterday' }],
    ['data in a header', { ...BINARY, 'ce-data': '{"x":1}' }],
    ['an extension name that is not lowercase alphanumeric', { ...BINARY, 'ce-site_name': 'x' }],
    ['an attribute over 4096 characters', { ...BINARY, 'ce-type': 't'.repeat(5000) }],
  ])('refuses %s with 400 LN_ERR_EVENT_INVALID', async (_what, headers) => {
    const a = await post({ ...headers, 'content-type': 'text/plain' }, 'x');
    expect([a.status, json(a).code]).toEqual([400, 'LN_ERR_EVENT_INVALID']);
  });

  it('refuses JSON in another charset with 415 and JSON that is not UTF-8 with 400', async () => {
    const body = JSON.stringify({ id: 'c1', type: 'quiet.x', source: '/s', data: 'caf\u00e9' });
    for (const type of ['application/json; charset=iso-8859-1', 'application/cloudevents+json; charset=utf-16']) {
      const a = await post({ 'content-type': type }, body);
      expect([a.status, json(a).code], type).toEqual([415, 'LN_ERR_EVENT_UNSUPPORTED_MEDIA_TYPE']);
    }
    const latin1 = Buffer.from(body, 'latin1'); // é as the single byte 0xe9: not UTF-8
    const a = await post({ 'content-type': 'application/json' }, latin1);
    expect([a.status, json(a).code]).toEqual([400, 'LN_ERR_EVENT_INVALID']);
    expect(String(json(a).message)).toContain('UTF-8');
  });

  it('refuses ce- headers without ce-specversion on a body that is not JSON, with 415', async () => {
    const a = await post({ 'ce-id': 'x', 'ce-type': 'reading', 'ce-source': '/s', 'content-type': 'text/plain' }, 'x');
    expect([a.status, json(a).code]).toEqual([415, 'LN_ERR_EVENT_UNSUPPORTED_MEDIA_TYPE']);
  });

  it('cannot inject a header line through an attribute: percent-encoded CR LF stays data', async () => {
    // Raw CR LF cannot even be sent (node:http refuses it); the binding's percent-encoding can.
    const a = await post({ ...BINARY, 'ce-source': '/s%0D%0ASet-Cookie:%20pwned=1', 'content-type': 'text/plain' }, 'x');
    expect(a.status).toBe(200);
    expect(a.headers['set-cookie']).toBeUndefined();
    expect(a.headers['ce-source']).toBe('/s%0D%0ASet-Cookie:%20pwned=1');
  });

  it('refuses huge headers before any route runs (431), and keeps serving', async () => {
    const a = await post({ ...BINARY, 'ce-big': 'x'.repeat(20_000), 'content-type': 'text/plain' }, 'x').catch(() => ({
      status: 431,
      headers: {},
      body: Buffer.alloc(0),
    }));
    expect(a.status).toBe(431);
    const many: Record<string, string> = { ...BINARY, 'content-type': 'text/plain' };
    for (let i = 0; i < 3000; i++) many[`ce-x${i}`] = 'v';
    const b = await post(many, 'x').catch(() => ({ status: 431, headers: {}, body: Buffer.alloc(0) }));
    expect(b.status).toBe(431);
    const ok = await post({ ...BINARY, 'content-type': 'text/plain' }, 'still here');
    expect([ok.status, ok.body.toString()]).toEqual([200, 'still here']);
  });
});
