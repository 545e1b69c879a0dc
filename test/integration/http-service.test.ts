// Issue 16, item 4: the HTTP layer on fastify, through `inject()` (no listener): request ids in
// and out, 405 with Allow, 415, per-route and live body limits, zod-validated bodies, coded errors
// logged with their request id on the host's pino logger.
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { PluginEvent } from '../../host/engine/plugin-event.js';
import { silentLogger } from '../../host/log/logger.js';
import { type AdminRoute, AdminServer, defineRoute } from '../../host/server/admin-server.js';
import { type EventDispatcher, IngressServer } from '../../host/server/ingress-server.js';

/** The dispatcher the ingress needs, answering each event with its type (what a plugin would route). */
class TypeEcho implements EventDispatcher {
  readonly names = ['type-echo'];
  readonly seen: PluginEvent[] = [];
  async dispatch(event: PluginEvent): Promise<{ results: unknown[] }> {
    this.seen.push(event);
    return { results: [{ plugin: 'type-echo', type: event.type }] };
  }
}

const EVENT = JSON.stringify({ id: 'e1', type: 'demo.thing', source: '/test', data: { a: 1 } });
const JSON_TYPE = { 'content-type': 'application/json' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const logged: Array<Record<string, unknown>> = [];
const plugins = new TypeEcho();
const limits = { maxBodyBytes: 1024 };
const ingress = new IngressServer({
  plugins,
  logger: pino({ base: null }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) }),
  get maxBodyBytes() {
    return limits.maxBodyBytes;
  },
});

const token = 'inject-token-0123456789abcdef';
const auth = { authorization: `Bearer ${token}` };
const routes: AdminRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/v1/sizes/:name',
    body: z.strictObject({ size: z.number().int().positive(), unit: z.enum(['B', 'KiB']).default('B') }),
    // `req.body` is the schema's output type: `size` is a number here, `unit` defaulted.
    handler: (req) => ({ status: 201, body: { name: req.params.name, bytes: req.body.size * (req.body.unit === 'KiB' ? 1024 : 1) } }),
  }),
  { method: 'PUT', path: '/v1/uploads', body: 'bytes', handler: (req) => ({ body: { bytes: req.bytes().length } }) },
  { method: 'POST', path: '/v1/notes', handler: (req) => ({ body: { bytes: req.bytes().length } }) },
  {
    method: 'GET',
    path: '/v1/ticks',
    handler: (req) => {
      const res = req.stream();
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end('{"tick":1}\n');
    },
  },
];
const admin = new AdminServer({ token, routes, logger: silentLogger(), maxJsonBytes: 512, maxUploadBytes: 4096 });

afterAll(async () => {
  await ingress.close();
  await admin.close();
});

describe('request ids', () => {
  it('keeps a sane incoming X-Request-Id and sends it back, on answers and errors', async () => {
    const ok = await ingress.inject({ method: 'POST', url: '/events', headers: { ...JSON_TYPE, 'x-request-id': 'trace-42:a/b' }, payload: EVENT });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['x-request-id']).toBe('trace-42:a/b');
    expect(ok.json()).toMatchObject({ requestId: 'trace-42:a/b', id: 'e1', results: [{ type: 'demo.thing' }] });
    const refused = await ingress.inject({ method: 'POST', url: '/events', headers: { 'content-type': 'text/plain', 'x-request-id': 'abc' }, payload: EVENT });
    expect([refused.statusCode, refused.headers['x-request-id'], refused.json().requestId]).toEqual([415, 'abc', 'abc']);
  });

  it.each([
    ['none', undefined],
    ['one with a space', 'a b'],
    ['one with a quote', 'a"b'],
    ['one too long', 'x'.repeat(129)],
  ])('generates a UUID for %s', async (_what, id) => {
    const res = await ingress.inject({ method: 'GET', url: '/health', headers: id === undefined ? {} : { 'x-request-id': id } });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['x-request-id'])).toMatch(UUID);
  });

  it('is on a stream the route took over, and on the admin API', async () => {
    const res = await admin.inject({ method: 'GET', url: '/v1/ticks', headers: { ...auth, 'x-request-id': 'tick-1' } });
    expect([res.statusCode, res.headers['x-request-id'], res.body]).toEqual([200, 'tick-1', '{"tick":1}\n']);
  });

  it('is in the log line of a failure the client does not see', async () => {
    const broken = new IngressServer({
      plugins: { names: [], dispatch: () => Promise.reject(new Error('disk on fire')) },
      logger: pino({ base: null }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) }),
    });
    const res = await broken.inject({ method: 'POST', url: '/events', headers: { ...JSON_TYPE, 'x-request-id': 'fire-1' }, payload: EVENT });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('disk on fire');
    expect(logged.find((l) => l.requestId === 'fire-1')).toMatchObject({ msg: 'request failed', err: { message: 'disk on fire' } });
    await broken.close();
  });
});

describe('methods', () => {
  it.each([
    ['GET', '/events', 'POST'],
    ['PUT', '/events', 'POST'],
    ['POST', '/health', 'GET'],
    ['DELETE', '/health', 'GET'],
  ] as const)('answers %s %s with 405 and Allow: %s', async (method, url, allow) => {
    const res = await ingress.inject({ method, url });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.json()).toMatchObject({ code: 'LN_ERR_EVENT_METHOD_NOT_ALLOWED', message: `${method} is not allowed on ${url} (allowed: ${allow})` });
  });

  it('answers an unknown path with 404, and refuses other sites before the method', async () => {
    expect((await ingress.inject({ method: 'GET', url: '/nope' })).json()).toMatchObject({ code: 'LN_ERR_EVENT_NOT_FOUND' });
    expect((await ingress.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
    const crossSite = await ingress.inject({ method: 'GET', url: '/events', headers: { origin: 'https://evil.example' } });
    expect([crossSite.statusCode, crossSite.json().code]).toEqual([403, 'LN_ERR_EVENT_CROSS_SITE']);
  });

  it('gives the admin API 405 only after the token', async () => {
    expect((await admin.inject({ method: 'GET', url: '/v1/uploads' })).statusCode).toBe(401);
    const res = await admin.inject({ method: 'GET', url: '/v1/uploads', headers: auth });
    expect([res.statusCode, res.headers.allow, res.json().code]).toEqual([405, 'PUT', 'LN_ERR_ADMIN_METHOD_NOT_ALLOWED']);
  });
});

describe('bodies', () => {
  it('refuses a body that is neither JSON nor binary mode with 415, before reading it, and a missing one too', async () => {
    const form = await ingress.inject({ method: 'POST', url: '/events', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=1' });
    expect([form.statusCode, form.json().code]).toEqual([415, 'LN_ERR_EVENT_UNSUPPORTED_MEDIA_TYPE']);
    const none = await ingress.inject({ method: 'POST', url: '/events' });
    expect([none.statusCode, none.json().code]).toEqual([415, 'LN_ERR_EVENT_UNSUPPORTED_MEDIA_TYPE']);
  });

  it('applies a new ingress body limit on the next request (the limit is live)', async () => {
    const big = JSON.stringify({ id: 'big', type: 't', source: '/s', data: 'x'.repeat(2000) });
    const over = await ingress.inject({ method: 'POST', url: '/events', headers: JSON_TYPE, payload: big });
    expect([over.statusCode, over.json().code, over.json().details]).toEqual([413, 'LN_ERR_EVENT_TOO_LARGE', { limit: 1024 }]);
    limits.maxBodyBytes = 4096;
    try {
      expect((await ingress.inject({ method: 'POST', url: '/events', headers: JSON_TYPE, payload: big })).statusCode).toBe(200);
    } finally {
      limits.maxBodyBytes = 1024;
    }
  });

  it('takes a binary-mode event of any type, with no body at all', async () => {
    const res = await ingress.inject({
      method: 'POST',
      url: '/events',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'b1', 'ce-type': 'bin.empty', 'ce-source': '/s' },
    });
    expect(res.statusCode).toBe(200);
    expect(plugins.seen.at(-1)).toMatchObject({ id: 'b1', type: 'bin.empty' });
  });

  it('validates a declared zod body before the handler, which gets its output', async () => {
    const post = (payload: string, headers: Record<string, string> = JSON_TYPE) =>
      admin.inject({ method: 'POST', url: '/v1/sizes/a%20b', headers: { ...auth, ...headers }, payload });
    const ok = await post('{"size":2,"unit":"KiB"}');
    expect([ok.statusCode, ok.json()]).toEqual([201, { name: 'a b', bytes: 2048 }]);
    expect((await post('{"size":3}')).json()).toEqual({ name: 'a b', bytes: 3 });
    for (const [payload, headers, code, words] of [
      ['{"size":"big"}', JSON_TYPE, 'LN_ERR_ADMIN_BAD_REQUEST', 'size'],
      ['{"size":1,"admin":true}', JSON_TYPE, 'LN_ERR_ADMIN_BAD_REQUEST', 'admin'],
      ['{"size":', JSON_TYPE, 'LN_ERR_ADMIN_BAD_REQUEST', 'not valid JSON'],
      ['{"size":1}', { 'content-type': 'text/plain' }, 'LN_ERR_ADMIN_BAD_REQUEST', 'application/json'],
      [`${'['.repeat(200)}${']'.repeat(200)}`, JSON_TYPE, 'LN_ERR_ADMIN_TOO_DEEP', 'nested deeper'],
    ] as const) {
      const res = await post(payload, headers);
      expect(res.statusCode, payload).toBe(400);
      expect(res.json().code, payload).toBe(code);
      expect(res.json().message, payload).toContain(words);
    }
  });

  it('bounds each route by its own limit: uploads by the upload limit, everything else by the JSON limit', async () => {
    const bytes = (n: number) => Buffer.alloc(n, 1);
    expect((await admin.inject({ method: 'PUT', url: '/v1/uploads', headers: auth, payload: bytes(4000) })).json()).toEqual({ bytes: 4000 });
    const overUpload = await admin.inject({ method: 'PUT', url: '/v1/uploads', headers: auth, payload: bytes(5000) });
    expect([overUpload.statusCode, overUpload.json().details]).toEqual([413, { limit: 4096 }]);
    expect((await admin.inject({ method: 'POST', url: '/v1/notes', headers: auth, payload: bytes(200) })).json()).toEqual({ bytes: 200 });
    const overJson = await admin.inject({ method: 'POST', url: '/v1/notes', headers: auth, payload: bytes(600) });
    expect([overJson.statusCode, overJson.json().code, overJson.json().details]).toEqual([413, 'LN_ERR_ADMIN_TOO_LARGE', { limit: 512 }]);
  });
});

describe('footprint', () => {
  it('validates bodies without loading ajv or the JSON Schema compilers', async () => {
    // Both services validated and answered above; fastify loads its JSON Schema compilers lazily,
    // only when no compilers factory is given.
    expect((await admin.inject({ method: 'POST', url: '/v1/notes', headers: auth, payload: Buffer.alloc(10, 1) })).statusCode).toBe(200);
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(
      loaded.some((f) => f.includes('/node_modules/fastify/')),
      'fastify itself is in the list',
    ).toBe(true);
    for (const pkg of ['ajv', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler']) {
      expect(
        loaded.some((f) => f.includes(`/node_modules/${pkg}/`)),
        pkg,
      ).toBe(false);
    }
  });
});

describe('closing', () => {
  it('finishes the requests in flight before close() resolves', async () => {
    let entered = (): void => {};
    const arrived = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release = (): void => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = new IngressServer({
      logger: silentLogger(),
      plugins: {
        names: ['slow'],
        dispatch: async () => {
          entered();
          await held;
          return { results: ['done'] };
        },
      },
    });
    const { port } = await slow.listen(0, '127.0.0.1');
    const inFlight = fetch(`http://127.0.0.1:${port}/events`, { method: 'POST', headers: JSON_TYPE, body: EVENT });
    await arrived;
    let closed = false;
    const closing = slow.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    // The request is still held: close() cannot have finished.
    expect(closed).toBe(false);
    release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ id: 'e1', results: ['done'] });
    await closing;
    expect(closed).toBe(true);
  });
});
