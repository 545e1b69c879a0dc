/**
 * Hostile clients and guests against a route (issue 18): a 100 MB request body against a 1 MiB
 * cap is refused without being read (declared, and streamed chunked), headers over Node's limit,
 * a guest that traps, one that never answers (504 at its deadline), one whose response is over
 * its cap, a client that stalls its body, one that leaves mid-response. Each time the route keeps
 * serving the next request.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host, parseManifest } from '../../host/index.js';
import { fixture, tempDataDir } from '../helpers/cli.js';
import { send } from '../helpers/http-client.js';

const MiB = 1024 * 1024;

/**
 * What this thread (the host's main thread, where a body would be buffered) holds: JS heap and
 * array buffers. Not RSS: a trapped instance's replacement worker alone adds ~50 MB of RSS.
 */
const held = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
let host: Host;
let base: string;

beforeAll(async () => {
  host = createHost(
    { dataDir: tempDataDir(), listen: '127.0.0.1:0', adminListen: '127.0.0.1:0', adminToken: randomBytes(24).toString('hex'), logLevel: 'fatal' },
    { output: { stdout: new PassThrough(), stderr: new PassThrough() } },
  );
  await host.start();
  base = host.addresses.ingress.url;
  const { digest } = await host.versions.storeArtifact(readFileSync(fixture('http-echo')));
  const manifest = parseManifest(
    { name: 'echo', version: '1.0.0', routes: ['/echo/...'], limits: { maxPayload: '1MiB', maxOutput: '256KiB', timeout: '4s' } },
    'test',
    tmpdir(),
  );
  await host.versions.deploy({ manifest, digest, actor: 'test' });
}, 120_000);

afterAll(async () => {
  await host?.close();
});

/** The route still answers a small echo. */
async function stillServes(): Promise<void> {
  const answer = await send(`${base}/echo/ok`, { method: 'POST', body: [Buffer.from('fine')] });
  expect([answer.status, answer.body.toString().slice(0, 600)]).toEqual([200, 'fine']);
}

interface Upload {
  /** What the client managed to hand to its socket before the server stopped it. */
  sentBytes: number;
  status: number | null;
  body: string;
  error: string | null;
}

/**
 * Streams `total` bytes in 64 KiB chunks (respecting backpressure) to `path`, stopping when the
 * server answers or cuts the connection. `declare`: send a content-length (else chunked).
 */
function upload(path: string, total: number, declare: boolean): Promise<Upload> {
  return new Promise((resolve) => {
    const out: Upload = { sentBytes: 0, status: null, body: '', error: null };
    let over = false;
    const finish = (): void => {
      if (over) return;
      over = true;
      resolve(out);
    };
    const headers: Record<string, string> = declare ? { 'content-length': String(total) } : {};
    const req = request(`${base}${path}`, { method: 'POST', headers, agent: false });
    req.on('response', (res) => {
      out.status = res.statusCode ?? 0;
      res.on('data', (c: Buffer) => {
        out.body += c.toString();
      });
      res.on('end', finish);
      res.on('error', (err) => {
        out.error = err.message;
        finish();
      });
      res.on('aborted', () => {
        out.error = 'aborted';
        finish();
      });
    });
    req.on('error', (err) => {
      out.error = err.message;
      // The answer (if any) may still be on its way.
      setTimeout(finish, 200);
    });
    req.on('close', () => setTimeout(finish, 200));
    req.flushHeaders();
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = (): void => {
      while (!over && !req.destroyed && out.sentBytes < total) {
        out.sentBytes += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (out.sentBytes >= total && !req.destroyed) req.end();
    };
    // Give a refusal of the declared length the time to arrive before the body starts.
    setTimeout(pump, 300);
  });
}

describe('a route against hostile input', () => {
  it('refuses a declared 100 MB body against a 1 MiB cap with 413, without reading it', async () => {
    const before = held();
    const result = await upload('/echo/upload', 100 * MiB, true);
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body)).toMatchObject({ code: 'LN_ERR_BUDGET_PAYLOAD', details: { direction: 'request body', limit: MiB, size: 100 * MiB } });
    // The server closed the connection: the client could not push the body through.
    expect(result.sentBytes).toBeLessThan(16 * MiB);
    expect(held() - before).toBeLessThan(32 * MiB);
    await stillServes();
  }, 60_000);

  it('stops a chunked 100 MB body at the cap: the stream is cut, the rest never read, nothing buffered', async () => {
    const before = held();
    const result = await upload('/echo/upload', 100 * MiB, false);
    // The echo answered 200 before the body passed the cap: the only way to refuse it then is to cut.
    expect(result.error ?? `status ${result.status}`).not.toBe('status 200 (complete)');
    expect(result.body.length).toBeLessThanOrEqual(MiB + 64 * 1024);
    expect(result.sentBytes).toBeLessThan(16 * MiB);
    expect(held() - before).toBeLessThan(32 * MiB);
    await stillServes();
  }, 60_000);

  it('leaves headers over 16 KiB to Node (431) and takes many small ones', async () => {
    // Node answers 431 and closes; a client still sending its headers may see only the close.
    const huge = await send(`${base}/echo/h`, { headers: { 'x-big': 'x'.repeat(20_000) } }).then(
      (a) => `status ${a.status}${a.headers['x-echo-method'] ? ' echoed' : ''}`,
      (err: Error) => `closed: ${err.message}`,
    );
    expect(huge).toMatch(/^(status 431|closed: (socket hang up|read ECONNRESET))$/);
    const many: Record<string, string> = {};
    for (let i = 0; i < 100; i++) many[`x-h${i}`] = `v${i}`;
    const answer = await send(`${base}/echo/h`, { headers: many });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-echo-h-x-h99']).toBe('v99');
  });

  it('answers a guest trap with 500 LN_ERR_GUEST_TRAP, and the next request gets a fresh instance', async () => {
    const answer = await send(`${base}/echo/trap`);
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body.toString()).code).toBe('LN_ERR_GUEST_TRAP');
    await stillServes();
  }, 30_000);

  it('answers a guest that never answers with 504 LN_ERR_BUDGET_TIME at its deadline', async () => {
    const started = performance.now();
    const answer = await send(`${base}/echo/spin`);
    expect(answer.status).toBe(504);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ code: 'LN_ERR_BUDGET_TIME', details: { timeoutMs: 4000 } });
    expect(performance.now() - started).toBeGreaterThanOrEqual(3900);
    await stillServes();
  }, 30_000);

  it('cuts a response over its cap (256 KiB) and passes one under it', async () => {
    const small = await send(`${base}/echo/big?bytes=200000`);
    expect([small.status, small.body.length]).toEqual([200, 200_000]);
    const big = await send(`${base}/echo/big?bytes=400000`).then(
      (a) => `complete ${a.body.length}`,
      (err: Error) => `cut: ${err.message}`,
    );
    expect(big).toMatch(/^cut/);
    await stillServes();
  }, 30_000);

  it('stops a guest blocked on a stalled request body at the deadline', async () => {
    const started = performance.now();
    const outcome = await new Promise<string>((resolve) => {
      const req = request(`${base}/echo/stall`, { method: 'POST', headers: { 'content-length': '1000' }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(`ended ${res.statusCode}`));
        res.on('aborted', () => resolve(`cut after ${res.statusCode}`));
        res.on('error', () => resolve(`cut after ${res.statusCode}`));
      });
      req.on('error', (err) => resolve(`error ${err.message}`));
      req.write('only a little');
    });
    expect(outcome).not.toMatch(/^ended 200/);
    expect(performance.now() - started).toBeLessThan(15_000);
    await stillServes();
  }, 30_000);

  it('keeps serving after a client leaves in the middle of a response', async () => {
    await new Promise<void>((resolve) => {
      const req = request(`${base}/echo/big?bytes=250000`, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => resolve());
      req.end();
    });
    await stillServes();
  }, 30_000);
});
