/**
 * Fuzzing the admin API (issue 8): a real AdminServer with the real routes over a real version
 * manager (echo-c deployed, with a blue-green standby) on loopback gets mutated JSON bodies for
 * every route that takes one (deploy, rollback, promote, abort, canary, invoke), damaged texts,
 * wrong content types and odd names in the path. Every answer must be JSON with a stable code
 * (or a success), never a 500 `LN_ERR_INTERNAL_*`, and the server keeps serving: its health route
 * answers after every batch and at the end.
 *
 * The seed is printed; `LNANO_FUZZ_SEED=<seed>` replays a failure.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../host/engine/engine.js';
import { isErrorCode } from '../../host/errors/codes.js';
import { LogRing } from '../../host/log/log-ring.js';
import { silentLogger } from '../../host/log/logger.js';
import { adminRoutes } from '../../host/server/admin-routes.js';
import { AdminServer } from '../../host/server/admin-server.js';
import { parseManifest } from '../../host/versions/manifest.js';
import { VersionManager } from '../../host/versions/version-manager.js';
import { hostileValue, type Json, mutateJson, mutateText } from './json-mutator.js';
import { fuzzCount, fuzzSeed, Prng } from './prng.js';

const token = 'fuzz-token-0123456789abcdef';
const dataDir = mkdtempSync(join(tmpdir(), 'lnano-fuzz-admin-'));
let manager: VersionManager;
let server: AdminServer;
let port = 0;
let digest = '';
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

beforeAll(async () => {
  manager = new VersionManager({ dataDir, engine: new Engine({ cacheDir: join(dataDir, 'cache') }), logger: silentLogger() });
  const bytes = new Uint8Array(readFileSync(new URL('../../components/echo-c/component.wasm', import.meta.url)));
  digest = (await manager.storeArtifact(bytes)).digest;
  for (const version of ['1.0.0', '1.1.0']) {
    await manager.deploy({ manifest: parseManifest({ name: 'echo-c', version }, 'fuzz', dataDir), digest, actor: 'fuzz', strategy: 'blue-green' });
  }
  const logs = new LogRing({ write: () => {} });
  server = new AdminServer({
    token,
    logger: silentLogger(),
    routes: adminRoutes(manager, { baseDir: dataDir, metrics: () => '', logs }),
    maxJsonBytes: 64 * 1024,
  });
  port = (await server.listen(0, '127.0.0.1')).port;
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await server?.close();
  await manager?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function send(method: string, path: string, body: string, contentType = 'application/json'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The routes with bodies, each with a valid body to mutate. */
function targets(): Array<{ path: string; body: Json }> {
  return [
    { path: '/v1/deployments', body: { manifest: { name: 'fuzzed', version: '1.0.0', events: ['fuzz.*'] }, digest, strategy: 'immediate', reason: 'fuzz' } },
    {
      path: '/v1/deployments',
      body: { manifest: { name: 'echo-c', version: '1.2.0', limits: { timeout: '1s' } }, digest, strategy: 'canary', canaryWeight: 10 },
    },
    { path: '/v1/components/echo-c/rollback', body: { to: '1.0.0', reason: 'fuzz' } },
    { path: '/v1/components/echo-c/promote', body: { reason: 'fuzz' } },
    { path: '/v1/components/echo-c/abort', body: { reason: 'fuzz' } },
    { path: '/v1/components/echo-c/canary', body: { weight: 50 } },
    { path: '/v1/components/echo-c/invoke', body: { id: '1', type: 'fuzz', source: '/fuzz', data: { a: 1 } } },
  ];
}

const ODD_NAMES = ['echo-c', 'nope', '%2e%2e', '%00', 'a'.repeat(300), '%E2%80%AE', '__proto__', 'constructor', '%ZZ', 'ECHO-C'];

describe('admin API fuzzing', () => {
  it('answers every mutated request with a coded JSON answer and keeps serving', async () => {
    const seed = fuzzSeed();
    console.log(`admin fuzz seed: ${seed} (LNANO_FUZZ_SEED=${seed} to replay)`);
    const rng = new Prng(seed);
    const all = targets();
    const outcomes = new Map<string, number>();
    const bad: string[] = [];
    const count = fuzzCount(1_500);
    for (let i = 0; i < count; i++) {
      const target = rng.pick(all);
      let path = target.path;
      if (path.includes('/echo-c/') && rng.chance(0.2)) path = path.replace('echo-c', rng.pick(ODD_NAMES));
      let body = JSON.stringify(mutateJson(target.body, rng));
      if (rng.chance(0.15)) body = mutateText(body, rng);
      if (rng.chance(0.03)) body = JSON.stringify(hostileValue(rng));
      const contentType = rng.chance(0.03) ? rng.pick(['text/plain', '', 'application/jsonx', 'application/json; charset=utf-16']) : 'application/json';
      const answer = await send('POST', path, body, contentType);
      let code: string;
      try {
        const parsed = JSON.parse(answer.text) as { code?: unknown };
        code =
          answer.status < 300 ? `ok ${answer.status}` : typeof parsed.code === 'string' && isErrorCode(parsed.code) ? parsed.code : `UNCODED ${answer.status}`;
      } catch {
        code = `NOT JSON ${answer.status}`;
      }
      if (code.startsWith('UNCODED') || code.startsWith('NOT JSON') || code.startsWith('LN_ERR_INTERNAL') || answer.status >= 500) {
        if (bad.length < 5) bad.push(`input ${i}: POST ${path} ${body.slice(0, 200)}\n  → ${answer.status} ${answer.text.slice(0, 300)}`);
      }
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      if (i % 250 === 249) expect((await send('GET', '/v1/health', '')).status).toBe(200);
    }
    console.log(`admin fuzz: ${count} requests:`, Object.fromEntries(outcomes));
    expect(bad, `seed ${seed}`).toEqual([]);
    const health = await send('GET', '/v1/health', '');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ status: 'ok' });
    // The mutants reached past validation: some requests succeeded.
    expect([...outcomes.keys()].some((k) => k.startsWith('ok'))).toBe(true);
    expect(outcomes.get('LN_ERR_ADMIN_BAD_REQUEST') ?? 0).toBeGreaterThan(count / 10);
  }, 120_000);
});
