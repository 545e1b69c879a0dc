import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { silentLogger } from '../../host/log/logger.js';
import { type AdminRoute, AdminServer } from '../../host/server/admin-server.js';
import { ADMIN_TOKEN_FILE, authorized, resolveAdminToken } from '../../host/server/admin-token.js';
import { codeOf } from '../helpers/errors.js';

const token = 'test-token-0123456789abcdef';
const seen: Array<{ name: string; actor: string }> = [];
const routes: AdminRoute[] = [
  { method: 'GET', path: '/v1/things/:name', handler: (req) => ({ body: { name: req.params.name } }) },
  {
    method: 'POST',
    path: '/v1/things/:name',
    handler: async (req) => {
      const body = await req.json(z.strictObject({ size: z.number().int().positive() }));
      seen.push({ name: req.params.name!, actor: req.actor });
      return { status: 201, body: { name: req.params.name, size: body.size } };
    },
  },
  { method: 'PUT', path: '/v1/blobs', handler: async (req) => ({ body: { bytes: (await req.bytes()).length } }) },
  {
    method: 'GET',
    path: '/v1/boom',
    handler: () => {
      throw new Error('secret internal detail');
    },
  },
];

let server: AdminServer;
let base: string;
beforeAll(async () => {
  server = new AdminServer({ token, routes, logger: silentLogger(), maxJsonBytes: 1024, maxUploadBytes: 64 * 1024 });
  const address = await server.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${address.port}`;
});
afterAll(() => server.close());

async function call(path: string, init: RequestInit & { auth?: string | null } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers = new Headers(init.headers);
  if (init.auth !== null) headers.set('authorization', init.auth ?? `Bearer ${token}`);
  const res = await fetch(`${base}${path}`, { ...init, headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('admin server', () => {
  it('answers an authorized request, with route params decoded', async () => {
    expect(await call('/v1/things/a%20b')).toEqual({ status: 200, body: { name: 'a b' } });
  });

  it.each([
    ['no header', null],
    ['a wrong token', `Bearer ${token}x`],
    ['a prefix of the token', `Bearer ${token.slice(0, 10)}`],
    ['another scheme', `Basic ${token}`],
    ['an empty bearer', 'Bearer '],
  ])('refuses %s with 401 and nothing else', async (_what, auth) => {
    const r = await call('/v1/things/x', { auth });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('LN_ERR_ADMIN_UNAUTHORIZED');
    expect(r.body).not.toHaveProperty('name');
  });

  it('refuses unknown routes (404) and wrong methods (405 with Allow) only after auth', async () => {
    expect((await call('/v1/nope', { auth: null })).status).toBe(401);
    expect((await call('/v1/nope')).body.code).toBe('LN_ERR_ADMIN_NOT_FOUND');
    expect((await call('/v1/blobs', { method: 'DELETE', auth: null })).status).toBe(401);
    const res = await fetch(`${base}/v1/blobs`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('PUT');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.code).toBe('LN_ERR_ADMIN_METHOD_NOT_ALLOWED');
    expect(String(body.message)).toBe('DELETE is not allowed on /v1/blobs (allowed: PUT)');
    const both = await fetch(`${base}/v1/things/x`, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
    expect([both.status, both.headers.get('allow')]).toEqual([405, 'GET, POST']);
  });

  it.each([
    ['malformed JSON', '{"size": ', 'application/json', 400, 'not valid JSON'],
    ['the wrong type', '{"size": "big"}', 'application/json', 400, 'size'],
    ['an unknown field', '{"size": 1, "admin": true}', 'application/json', 400, 'admin'],
    ['no JSON content-type', '{"size": 1}', 'text/plain', 400, 'application/json'],
    ['an oversized body', JSON.stringify({ size: 1, pad: 'x'.repeat(4096) }), 'application/json', 413, 'limit'],
  ])('refuses %s with a coded 4xx', async (_what, body, type, status, mention) => {
    const r = await call('/v1/things/x', { method: 'POST', body, headers: { 'content-type': type } });
    expect(r.status).toBe(status);
    expect(String(r.body.code)).toMatch(/^LN_ERR_ADMIN_/);
    expect(`${String(r.body.message)}`).toContain(mention);
    expect(typeof r.body.requestId).toBe('string');
  });

  it('records the actor header when it is sane', async () => {
    await call('/v1/things/y', { method: 'POST', body: '{"size":2}', headers: { 'content-type': 'application/json', 'x-lnano-actor': 'ci@build-7' } });
    await call('/v1/things/z', {
      method: 'POST',
      body: '{"size":2}',
      headers: { 'content-type': 'application/json', 'x-lnano-actor': 'root; DROP TABLE audit' },
    });
    expect(seen.slice(-2)).toEqual([
      { name: 'y', actor: 'ci@build-7' },
      { name: 'z', actor: 'admin' },
    ]);
  });

  it('bounds uploads', async () => {
    expect((await call('/v1/blobs', { method: 'PUT', body: new Uint8Array(1000) })).body).toEqual({ bytes: 1000 });
    expect((await call('/v1/blobs', { method: 'PUT', body: new Uint8Array(65 * 1024) })).status).toBe(413);
  });

  it('hides internals of unexpected failures', async () => {
    const r = await call('/v1/boom');
    expect(r.status).toBe(500);
    expect(r.body.code).toBe('LN_ERR_INTERNAL_UNEXPECTED');
    expect(JSON.stringify(r.body)).not.toContain('secret internal detail');
  });
});

describe('admin token', () => {
  it('is generated once into the data dir with mode 0600, then read back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnano-token-'));
    const first = resolveAdminToken(dir, {});
    expect(first.source).toBe('generated');
    expect(statSync(join(dir, ADMIN_TOKEN_FILE)).mode & 0o777).toBe(0o600);
    expect(first.token.length).toBeGreaterThanOrEqual(32);
    const again = resolveAdminToken(dir, {});
    expect(again).toMatchObject({ source: 'file', token: first.token });
    expect(readFileSync(join(dir, ADMIN_TOKEN_FILE), 'utf8').trim()).toBe(first.token);
  });

  it('prefers config, then LNANO_ADMIN_TOKEN; refuses short tokens and a token file others can read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnano-token-'));
    expect(resolveAdminToken(dir, { LNANO_ADMIN_TOKEN: 'from-environment-123' }, 'from-config-12345678').source).toBe('config');
    expect(resolveAdminToken(dir, { LNANO_ADMIN_TOKEN: 'from-environment-123' }).source).toBe('environment');
    expect(codeOf(() => resolveAdminToken(dir, { LNANO_ADMIN_TOKEN: 'short' }))).toBe('LN_ERR_CONFIG_INVALID');
    writeFileSync(join(dir, ADMIN_TOKEN_FILE), 'a-token-that-is-long-enough\n');
    chmodSync(join(dir, ADMIN_TOKEN_FILE), 0o644);
    expect(codeOf(() => resolveAdminToken(dir, {}))).toBe('LN_ERR_CONFIG_INVALID');
  });

  it('compares tokens exactly', () => {
    expect(authorized(`Bearer ${token}`, token)).toBe(true);
    expect(authorized(`bearer   ${token}  `, token)).toBe(true);
    expect(authorized(`Bearer ${token} extra`, token)).toBe(false);
    expect(authorized(undefined, token)).toBe(false);
  });
});
