/**
 * The console's server side against a real version manager and admin server: its files served
 * without a token and with strict headers (and nothing else from disk), and its two routes —
 * grants of serving versions, capability diffs — with hostile bodies refused.
 */

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../host/engine/engine.js';
import { silentLogger } from '../../host/log/logger.js';
import { AdminServer } from '../../host/server/admin-server.js';
import { ConsoleAssets } from '../../host/server/console-assets.js';
import { consoleRoutes } from '../../host/server/console-routes.js';
import { parseManifest } from '../../host/versions/manifest.js';
import { VersionManager } from '../../host/versions/version-manager.js';
import { example } from '../helpers/cli.js';

const token = 'console-test-token-0123456789';
let manager: VersionManager;
let server: AdminServer;
let base = '';

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'lnano-console-'));
  const assets = join(root, 'console');
  mkdirSync(assets);
  writeFileSync(join(assets, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(assets, 'app.js'), 'export {};');
  writeFileSync(join(assets, 'notes.txt'), 'not a console file type');
  writeFileSync(join(root, 'secret'), 'outside the console folder');
  manager = new VersionManager({ dataDir: join(root, 'data'), engine: new Engine({ cacheDir: join(root, 'cache') }) });
  await manager.restore();
  const { digest } = await manager.storeArtifact(new Uint8Array(readFileSync(example('echo-c'))));
  const deploy = (version: string, extra: Record<string, unknown>) =>
    manager.deploy({
      manifest: parseManifest({ name: 'echo', version, ...extra }, 'test', root),
      digest,
      actor: 'test',
      approveCapabilities: true,
    });
  await deploy('1.0.0', { capabilities: { env: { A: '1' } } });
  await deploy('1.1.0', { capabilities: { env: { A: '2', B: 'x' }, kv: {} } });
  const files = ConsoleAssets.load(assets);
  server = new AdminServer({
    token,
    logger: silentLogger(),
    routes: consoleRoutes(manager, { baseDir: root }),
    publicHandler: (req, res) => files.handle(req, res),
  });
  base = `http://127.0.0.1:${(await server.listen(0, '127.0.0.1')).port}`;
}, 60_000);

afterAll(async () => {
  await server?.close();
  await manager?.close();
});

const post = (path: string, body: unknown, auth = true) =>
  fetch(`${base}/v1${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
  });

describe('console files', () => {
  it('serves the page without a token, with the security headers', async () => {
    const res = await fetch(`${base}/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.text()).toContain('<title>console</title>');
    const head = await fetch(`${base}/console/app.js`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
  });

  it.each([
    ['a traversal', '/console/..%2fsecret'],
    ['an encoded traversal', '/console/%2e%2e/secret'],
    ['an unknown name', '/console/nope.js'],
    ['a file of another type', '/console/notes.txt'],
    ['a sub-path', '/console/a/index.html'],
    ['a plain traversal', '/console/../secret'],
  ])('answers %s with 404 and no file content', async (_what, path) => {
    // Sent as is (fetch would normalize the path first).
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      request(`${base}${path}`, { path }, (r) => {
        let text = '';
        r.on('data', (c: Buffer) => {
          text += c.toString();
        });
        r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
      })
        .on('error', reject)
        .end();
    });
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('outside');
  });

  it('sends everything that is not a console file to the token check', async () => {
    expect((await fetch(`${base}/console/`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${base}/v1/grants`)).status).toBe(401);
    expect((await fetch(`${base}/consolex`)).status).toBe(401);
  });
});

describe('console routes', () => {
  it('lists the grants and limits of what serves', async () => {
    const res = await fetch(`${base}/v1/grants`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { grants: Array<{ name: string; version: string; role: string; capabilities: Record<string, unknown> }> };
    expect(body.grants).toEqual([{ name: 'echo', version: '1.1.0', role: 'active', capabilities: { env: { A: '2', B: 'x' }, kv: {} }, limits: {} }]);
  });

  it('diffs the active version with a retained one, and with a manifest about to be deployed', async () => {
    const back = (await (await post('/components/echo/capability-diff', { to: '1.0.0' })).json()) as Record<string, unknown>;
    expect(back).toEqual({
      name: 'echo',
      from: '1.1.0',
      to: '1.0.0',
      needsApproval: false,
      diff: {
        added: [],
        removed: [
          { capability: 'environment', grant: 'B' },
          { capability: 'key-value', grant: 'namespace (the component name)' },
        ],
        changed: [{ capability: 'environment', grant: 'A (new value)' }],
      },
    });
    const next = (await (
      await post('/components/echo/capability-diff', {
        manifest: { name: 'echo', version: '2.0.0', capabilities: { http: { allow: ['api.example.com:443'] } } },
      })
    ).json()) as { diff: { added: unknown[] }; needsApproval: boolean };
    expect(next.needsApproval).toBe(true);
    expect(next.diff.added).toEqual([{ capability: 'outgoing HTTP', grant: 'api.example.com:443' }]);
    // The preview names the owner of a kv namespace as the deploy's diff does (issue 14).
    const kv = (await (
      await post('/components/echo/capability-diff', { manifest: { name: 'echo', version: '2.0.0', capabilities: { kv: { namespace: 'readings' } } } })
    ).json()) as { diff: { added: unknown[] } };
    expect(kv.diff.added).toEqual([{ capability: 'key-value', grant: "namespace readings (unclaimed, becomes echo's)" }]);
  });

  it.each([
    ['neither to nor manifest', {}, 400, 'LN_ERR_ADMIN_BAD_REQUEST'],
    ['both to and manifest', { to: '1.0.0', manifest: { name: 'echo', version: '1.0.0' } }, 400, 'LN_ERR_ADMIN_BAD_REQUEST'],
    ['an unknown key', { to: '1.0.0', evil: true }, 400, 'LN_ERR_ADMIN_BAD_REQUEST'],
    ['a version never deployed', { to: '9.9.9' }, 404, 'LN_ERR_VERSION_NOT_FOUND'],
    ['a manifest for another name', { manifest: { name: 'other', version: '1.0.0' } }, 400, 'LN_ERR_ADMIN_BAD_REQUEST'],
    ['an invalid manifest', { manifest: { name: 'echo', version: '1.0.0', capabilities: { sockets: true } } }, 400, 'LN_ERR_MANIFEST_INVALID'],
    ['a huge version string', { to: 'x'.repeat(5000) }, 400, 'LN_ERR_ADMIN_BAD_REQUEST'],
    ['not JSON', '{to:', 400, 'LN_ERR_ADMIN_BAD_REQUEST'],
  ])('refuses %s with a coded error', async (_what, body, status, code) => {
    const res = await post('/components/echo/capability-diff', body);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { code: string }).code).toBe(code);
  });

  it('diffs a first deploy from nothing, and refuses without the token', async () => {
    const first = (await (
      await post('/components/fresh/capability-diff', { manifest: { name: 'fresh', version: '0.1.0', capabilities: { env: { K: 'v' } } } })
    ).json()) as { from: unknown; needsApproval: boolean };
    expect(first).toMatchObject({ from: null, needsApproval: true });
    expect((await post('/components/echo/capability-diff', { to: '1.0.0' }, false)).status).toBe(401);
  });
});
