/**
 * wasi:http/proxy components on routes of the ingress listener (issue 18), with a component
 * built outside this project's SDK (test/fixtures/components/http-echo: plain componentize-js):
 * exact echo of method, path with query, authority, scheme, headers, body and trailers; the
 * route table (exact and prefix routes, the ingress's own paths untouched); conflicts refused at
 * deploy; the outgoing HTTP allow-list applied to the component's own requests; a hot swap and
 * a rollback under load without a failed request.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host, parseManifest } from '../../host/index.js';
import { fixture, tempDataDir } from '../helpers/cli.js';
import { codeOfAsync } from '../helpers/errors.js';
import { send } from '../helpers/http-client.js';

const ECHO = fixture('http-echo');
const PLUGIN = fixture('counter-c');

let host: Host;
let base: string;
let digest: string;

function manifest(name: string, version: string, extra: Record<string, unknown> = {}) {
  return parseManifest({ name, version, routes: ['/echo/...'], limits: { maxPayload: '1MiB', timeout: '10s' }, ...extra }, 'test', tmpdir());
}

beforeAll(async () => {
  host = createHost(
    { dataDir: tempDataDir(), listen: '127.0.0.1:0', adminListen: '127.0.0.1:0', adminToken: randomBytes(24).toString('hex'), logLevel: 'error' },
    { output: { stdout: new PassThrough(), stderr: new PassThrough() } },
  );
  await host.start();
  base = host.addresses.ingress.url;
  digest = (await host.versions.storeArtifact(readFileSync(ECHO))).digest;
  await host.versions.deploy({ manifest: manifest('echo', '1.0.0'), digest, actor: 'test', approveCapabilities: true });
}, 120_000);

afterAll(async () => {
  await host?.close();
});

describe('a wasi:http/proxy component on a route', () => {
  it('gets method, path with query, authority, scheme, headers, body and trailers exactly, and its answer streams back', async () => {
    const body = [randomBytes(70_000), Buffer.from('\u0000 middle \r\n'), randomBytes(200_001)];
    const answer = await send(`${base}/echo/a/b?x=1&y=%20z&x=2`, {
      method: 'POST',
      headers: { 'x-one': 'first', 'x-multi': ['a', 'b'], 'content-type': 'application/octet-stream' },
      body,
      trailers: { 'x-checksum': 'abc123', 'x-count': '3' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.equals(Buffer.concat(body))).toBe(true);
    expect(answer.headers['x-echo-method']).toBe('POST');
    expect(answer.headers['x-echo-path']).toBe('/echo/a/b?x=1&y=%20z&x=2');
    expect(answer.headers['x-echo-scheme']).toBe('http');
    expect(answer.headers['x-echo-authority']).toBe(new URL(base).host);
    expect(answer.headers['x-echo-h-x-one']).toBe('first');
    // Repeated headers arrive as separate fields, in order.
    const multi = answer.rawHeaders.flatMap((v, i) => (i % 2 === 0 && v === 'x-echo-h-x-multi' ? [answer.rawHeaders[i + 1]] : []));
    expect(multi).toEqual(['a', 'b']);
    // Hop-by-hop headers never reach the guest; the host comes as the authority.
    expect(answer.headers['x-echo-h-transfer-encoding']).toBeUndefined();
    expect(answer.headers['x-echo-h-connection']).toBeUndefined();
    expect(answer.headers['x-echo-h-host']).toBeUndefined();
    expect(answer.trailers).toEqual({ 'x-echo-t-x-checksum': 'abc123', 'x-echo-t-x-count': '3' });
    expect(answer.headers['x-request-id']).toBeTruthy();
    // The request is on the diagnostics timeline, under its request id.
    const timeline = await fetch(`${host.addresses.admin.url}/v1/timeline?component=echo`, { headers: { authorization: `Bearer ${host.adminToken}` } });
    const entries = ((await timeline.json()) as { entries: Array<Record<string, unknown>> }).entries;
    expect(entries.find((e) => e.eventId === answer.headers['x-request-id'])).toMatchObject({
      eventType: 'http.request',
      source: 'POST /echo/a/b',
      plugin: 'echo',
      version: '1.0.0',
      status: 'ok',
    });
  });

  it('passes every method, an empty body and the prefix itself', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PURGE']) {
      // node:http sends a DELETE's or OPTIONS's body unframed unless it is given a length.
      const body = method === 'GET' ? [] : [Buffer.from(method)];
      const answer = await send(`${base}/echo`, { method, body, headers: { 'content-length': String(body[0]?.length ?? 0) } });
      expect([answer.status, answer.headers['x-echo-method'], answer.body.toString()]).toEqual([200, method, method === 'GET' ? '' : method]);
    }
    const head = await send(`${base}/echo/x`, { method: 'HEAD' });
    expect([head.status, head.headers['x-echo-method'], head.body.length]).toEqual([200, 'HEAD', 0]);
  });

  it('leaves other paths to the ingress: /events, /health, a sibling path, dot segments', async () => {
    expect((await send(`${base}/health`)).status).toBe(200);
    const sibling = await send(`${base}/echoes`);
    expect([sibling.status, JSON.parse(sibling.body.toString()).code]).toEqual([404, 'LN_ERR_EVENT_NOT_FOUND']);
    for (const path of ['/echo/../events', '/echo/%2e%2E/health', '/echo/%2e/x']) {
      const answer = await send(`${base}${path}`);
      expect(answer.headers['x-echo-method'], path).toBeUndefined();
      // The ingress's router resolves the dot segments itself (/events answers a GET with 405,
      // /health with 200): never the component.
      expect([200, 404, 405], path).toContain(answer.status);
    }
  });

  it('refuses routes that overlap another component or the ingress, and routes on the wrong kind of component', async () => {
    const deploy = (name: string, routes: string[], d = digest) =>
      codeOfAsync(host.versions.deploy({ manifest: manifest(name, '1.0.0', { routes }), digest: d, actor: 'test', approveCapabilities: true }));
    expect(await deploy('other', ['/echo/sub/...'])).toBe('LN_ERR_VERSION_ROUTE_CONFLICT');
    expect(await deploy('other', ['/echo'])).toBe('LN_ERR_VERSION_ROUTE_CONFLICT');
    expect(await deploy('other', ['/...'])).toBe('LN_ERR_VERSION_ROUTE_CONFLICT');
    expect(await deploy('other', ['/events'])).toBe('LN_ERR_VERSION_ROUTE_CONFLICT');
    expect(await deploy('other', [])).toBe('LN_ERR_VERSION_DEPLOY_FAILED');
    const plugin = (await host.versions.storeArtifact(readFileSync(PLUGIN))).digest;
    expect(await deploy('plugin', ['/p'], plugin)).toBe('LN_ERR_VERSION_DEPLOY_FAILED');
    expect(() => manifest('x', '1.0.0', { routes: ['/a/...', '/a/b'] })).toThrow(/overlap/);
    for (const bad of ['a', '/a/../b', '/a/', '/a/.../b', '/a b', '/%2e']) {
      expect(() => manifest('x', '1.0.0', { routes: [bad] }), bad).toThrow(expect.objectContaining({ code: 'LN_ERR_MANIFEST_INVALID' }));
    }
    // A route next to it is fine, and served.
    await host.versions.deploy({ manifest: manifest('other', '1.0.0', { routes: ['/other'] }), digest, actor: 'test', approveCapabilities: true });
    expect((await send(`${base}/other?q`)).headers['x-echo-path']).toBe('/other?q');
    expect((await send(`${base}/other/x`)).status).toBe(404);
  }, 60_000);

  it("applies the outgoing HTTP allow-list to the component's own requests", async () => {
    const upstream: Server = createServer((_req, res) => res.end('up'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const authority = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    try {
      const denied = await send(`${base}/echo/fetch?authority=${authority}`);
      expect(denied.body.toString()).toBe('error HTTP-request-denied');
      await host.versions.deploy({
        manifest: manifest('echo', '1.1.0', { capabilities: { http: { allow: [authority] } } }),
        digest,
        actor: 'test',
        approveCapabilities: true,
      });
      expect((await send(`${base}/echo/fetch?authority=${authority}`)).body.toString()).toBe('status 200');
      // Another authority stays refused.
      expect((await send(`${base}/echo/fetch?authority=127.0.0.1:9`)).body.toString()).toBe('error HTTP-request-denied');
    } finally {
      upstream.close();
    }
  }, 60_000);

  it('swaps and rolls back under load without a failed request', async () => {
    let stop = false;
    const outcomes: string[] = [];
    const client = async (id: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const payload = Buffer.from(`client ${id} request ${i}`);
        try {
          const answer = await send(`${base}/echo/load`, { method: 'POST', body: [payload] });
          outcomes.push(answer.status === 200 && answer.body.equals(payload) ? 'ok' : `status ${answer.status}: ${answer.body.toString().slice(0, 200)}`);
        } catch (err) {
          outcomes.push(`error ${(err as Error).message}`);
        }
      }
    };
    const clients = Array.from({ length: 6 }, (_, i) => client(i));
    await new Promise((r) => setTimeout(r, 300));
    await host.versions.deploy({ manifest: manifest('echo', '2.0.0'), digest, actor: 'test', approveCapabilities: true });
    await new Promise((r) => setTimeout(r, 300));
    await host.versions.deploy({ manifest: manifest('echo', '3.0.0'), digest, actor: 'test', strategy: 'canary', canaryWeight: 50, approveCapabilities: true });
    await new Promise((r) => setTimeout(r, 300));
    await host.versions.promote('echo', 'test', 'test');
    await new Promise((r) => setTimeout(r, 300));
    await host.versions.rollback('echo', { actor: 'test', reason: 'test' });
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(clients);
    expect(outcomes.length).toBeGreaterThan(20);
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
    const status = host.versions.status('echo');
    expect(status.active?.version).toBe('2.0.0');
  }, 120_000);
});
