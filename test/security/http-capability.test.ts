// Outgoing HTTP under attack: a real guest (net-probe, fetch → wasi:http/outgoing-handler)
// against real node:http servers on loopback. Every refusal must reach the guest as an error
// value (never a host exception, never a dead instance), must never reach the refused server,
// and the same guest with the grant must still get through (no over-blocking).

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedGrants, type HttpGrant } from '../../host/capabilities/grants.js';
import type { HttpDenial } from '../../host/capabilities/http/http-outgoing.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { type Component, findExport } from '../../host/engine/component.js';
import { Engine } from '../../host/engine/engine.js';
import { Instance } from '../../host/sandbox/instance.js';
import { fixture } from '../helpers/cli.js';

const CAP = 4096;
/** Fixed DNS answers (rebind.test → 127.0.0.1, ...), loaded in the shim's I/O thread. */
const RESOLVER = new URL('../helpers/fixed-resolver.mjs', import.meta.url).href;

/** A loopback server that counts the requests it receives, by path. */
interface TestServer {
  readonly server: Server;
  readonly port: number;
  readonly hits: Map<string, number>;
  total(): number;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, port, hits, total: () => [...hits.values()].reduce((a, b) => a + b, 0) };
}

let main: TestServer;
let other: TestServer;
let granted2: TestServer;
let component: Component;
const instances: Instance[] = [];

beforeAll(async () => {
  other = await listen((_req, res) => res.end('other'));
  granted2 = await listen((req, res) => res.end(`second ${req.url}`));
  main = await listen((req, res) => {
    switch (req.url) {
      case '/hello':
        res.end('hello');
        break;
      case '/over-with-length':
        res.end('x'.repeat(CAP + 1));
        break;
      case '/exact-chunked':
        res.write('y'.repeat(CAP - 100));
        res.end('y'.repeat(100));
        break;
      case '/over-chunked':
        res.write('z'.repeat(CAP));
        res.end('z');
        break;
      case '/huge-head':
        // A HEAD answer announcing a body far over the cap, but carrying none.
        res.writeHead(200, { 'content-length': String(CAP * 100) }).end();
        break;
      case '/hang':
        break; // never answers
      case '/stall':
        res.writeHead(200);
        res.write('partial'); // headers and a first chunk, then nothing
        break;
      case '/to-other-port':
        res.writeHead(302, { location: `http://127.0.0.1:${other.port}/stolen` }).end();
        break;
      case '/to-other-name':
        res.writeHead(302, { location: `http://localhost:${main.port}/hello` }).end();
        break;
      case '/to-same':
        res.writeHead(302, { location: '/hello' }).end();
        break;
      case '/whoami':
        res.end(`host ${req.headers.host}`);
        break;
      case '/to-rebind':
        res.writeHead(302, { location: `http://rebind.test:${main.port}/whoami` }).end();
        break;
      case '/to-granted':
        res.writeHead(307, { location: `http://127.0.0.1:${granted2.port}/landed` }).end();
        break;
      default:
        res.writeHead(404).end();
    }
  });
  component = await new Engine().load(readFileSync(fixture('net-probe')), 'net-probe');
});

afterAll(async () => {
  await Promise.all(instances.map((i) => i.dispose()));
  for (const s of [main, other, granted2]) {
    s?.server.closeAllConnections();
    s?.server.close();
  }
});

interface Probe {
  readonly instance: Instance;
  readonly denials: HttpDenial[];
  call(name: string, ...args: unknown[]): Promise<{ ok: boolean; value: unknown }>;
  fetch(url: string): Promise<{ ok: true; status: number; bytes: number; body: string; hops: number } | { ok: false; error: string }>;
}

function grant(overrides: Partial<HttpGrant> = {}): HttpGrant {
  return { allow: [`127.0.0.1:${main.port}`], maxResponseBytes: CAP, timeoutMs: 30_000, maxRequestsPerCall: 8, ...overrides };
}

async function probe(http: HttpGrant | null): Promise<Probe> {
  const base = closedGrants('net-probe');
  const denials: HttpDenial[] = [];
  const instance = await Instance.start(component, {
    linker: linkerSpec({ ...base, wasi: { ...base.wasi, http } }),
    onNotify: (m) => {
      if (m.topic === 'http-denied') denials.push(m.payload as HttpDenial);
    },
  });
  instances.push(instance);
  const call: Probe['call'] = async (name, ...args) => {
    const target = findExport(component.shape, name);
    if (!target) throw new Error(`net-probe has no export ${name}`);
    const outcome = await instance.call(target, args);
    return { ok: !outcome.errResult, value: outcome.value };
  };
  return {
    instance,
    denials,
    call,
    async fetch(url) {
      const r = await call('fetch-url', url);
      return r.ok
        ? { ok: true, ...(JSON.parse(r.value as string) as { status: number; bytes: number; body: string; hops: number }) }
        : { ok: false, error: r.value as string };
    },
  };
}

describe('outgoing HTTP: the allow-list', () => {
  it('a granted host:port gets status and body through', async () => {
    const p = await probe(grant());
    const before = main.hits.get('/hello') ?? 0;
    expect(await p.fetch(`http://127.0.0.1:${main.port}/hello`)).toMatchObject({ ok: true, status: 200, body: 'hello', bytes: 5 });
    expect(main.hits.get('/hello')).toBe(before + 1);
    expect(p.denials).toEqual([]);
  });

  it('without a grant every request is denied and never leaves the host', async () => {
    const p = await probe(null);
    const before = main.total();
    const r = await p.fetch(`http://127.0.0.1:${main.port}/hello`);
    expect(r.ok).toBe(false);
    expect(main.total()).toBe(before);
    expect(p.denials).toEqual([{ reason: 'no-grant', scheme: 'http', authority: `127.0.0.1:${main.port}` }]);
    expect(p.instance.alive).toBe(true);
  });

  it('a host that is not granted is denied, even when it names the same server', async () => {
    const p = await probe(grant());
    const before = main.total();
    expect((await p.fetch(`http://localhost:${main.port}/hello`)).ok).toBe(false);
    expect((await p.fetch('http://example.invalid/')).ok).toBe(false);
    expect(main.total()).toBe(before);
    expect(p.denials).toEqual([
      { reason: 'not-allowed', scheme: 'http', authority: `localhost:${main.port}` },
      { reason: 'not-allowed', scheme: 'http', authority: 'example.invalid' },
    ]);
    // The same instance, with the same grant, still reaches the granted authority.
    expect(await p.fetch(`http://127.0.0.1:${main.port}/hello`)).toMatchObject({ ok: true, body: 'hello' });
  });

  it('a granted host on another port is denied and that port never sees the request', async () => {
    const p = await probe(grant());
    const r = await p.fetch(`http://127.0.0.1:${other.port}/direct`);
    expect(r.ok).toBe(false);
    expect(other.total()).toBe(0);
    expect(p.denials).toEqual([{ reason: 'not-allowed', scheme: 'http', authority: `127.0.0.1:${other.port}` }]);
  });

  it('https to a host granted for one port is checked on 443', async () => {
    const p = await probe(grant({ allow: ['127.0.0.1'] }));
    expect((await p.fetch(`https://127.0.0.1:${main.port}/hello`)).ok).toBe(false);
    expect(p.denials).toEqual([{ reason: 'not-allowed', scheme: 'https', authority: `127.0.0.1:${main.port}` }]);
  });
});

describe('outgoing HTTP: redirects are checked like first requests', () => {
  it('a redirect to a port that is not granted: the follow-up is denied, the target untouched', async () => {
    const p = await probe(grant());
    const r = await p.fetch(`http://127.0.0.1:${main.port}/to-other-port`);
    expect(r.ok).toBe(false);
    expect((r as { error: string }).error).toMatch(/^hop 1 /);
    expect(main.hits.get('/to-other-port')).toBe(1);
    expect(other.total()).toBe(0);
    expect(p.denials).toEqual([{ reason: 'not-allowed', scheme: 'http', authority: `127.0.0.1:${other.port}` }]);
  });

  it('a redirect to another name of the same server is denied', async () => {
    const p = await probe(grant());
    const hellos = main.hits.get('/hello') ?? 0;
    expect((await p.fetch(`http://127.0.0.1:${main.port}/to-other-name`)).ok).toBe(false);
    expect(main.hits.get('/hello') ?? 0).toBe(hellos);
  });

  it('redirects within the grant are followed', async () => {
    const p = await probe(grant({ allow: [`127.0.0.1:${main.port}`, `127.0.0.1:${granted2.port}`] }));
    expect(await p.fetch(`http://127.0.0.1:${main.port}/to-same`)).toMatchObject({ ok: true, status: 200, body: 'hello', hops: 1 });
    expect(await p.fetch(`http://127.0.0.1:${main.port}/to-granted`)).toMatchObject({ ok: true, status: 200, body: 'second /landed', hops: 1 });
    expect(granted2.hits.get('/landed')).toBe(1);
    expect(p.denials).toEqual([]);
  });
});

describe('outgoing HTTP: response size, timeouts and the per-call budget', () => {
  it('a body over maxResponseBytes fails for the guest; exactly the cap reads in full; the host is fine', async () => {
    const p = await probe(grant());
    const withLength = await p.fetch(`http://127.0.0.1:${main.port}/over-with-length`);
    expect(withLength.ok).toBe(false);
    const chunked = await p.fetch(`http://127.0.0.1:${main.port}/over-chunked`);
    expect(chunked.ok).toBe(false);
    expect(await p.fetch(`http://127.0.0.1:${main.port}/exact-chunked`)).toMatchObject({ ok: true, status: 200, bytes: CAP });
    expect(p.instance.alive).toBe(true);
    expect(await p.fetch(`http://127.0.0.1:${main.port}/hello`)).toMatchObject({ ok: true, body: 'hello' });
    // The cap, nothing else, stopped them: with room for one more byte both read in full.
    const roomier = await probe(grant({ maxResponseBytes: CAP + 1 }));
    expect(await roomier.fetch(`http://127.0.0.1:${main.port}/over-with-length`)).toMatchObject({ ok: true, bytes: CAP + 1 });
    expect(await roomier.fetch(`http://127.0.0.1:${main.port}/over-chunked`)).toMatchObject({ ok: true, bytes: CAP + 1 });
  });

  it('a HEAD answer is not refused for the content-length it announces', async () => {
    const p = await probe(grant());
    const r = await p.call('fetch-head', `http://127.0.0.1:${main.port}/huge-head`);
    expect(r.ok).toBe(true);
    expect(JSON.parse(r.value as string)).toEqual({ status: 200, contentLength: String(CAP * 100) });
  });

  it('a server that never answers fails the request with a timeout for the guest; the instance lives on', async () => {
    const p = await probe(grant({ timeoutMs: 300 }));
    // No call deadline: only the grant's HTTP timeout can end this call.
    expect((await p.fetch(`http://127.0.0.1:${main.port}/hang`)).ok).toBe(false);
    expect((await p.fetch(`http://127.0.0.1:${main.port}/stall`)).ok).toBe(false);
    expect(p.instance.alive).toBe(true);
    expect(await p.fetch(`http://127.0.0.1:${main.port}/hello`)).toMatchObject({ ok: true, body: 'hello' });
  });

  it('more than maxRequestsPerCall requests in one call are denied; the next call has a fresh budget', async () => {
    const p = await probe(grant({ maxRequestsPerCall: 3 }));
    const url = `http://127.0.0.1:${main.port}/hello`;
    const before = main.hits.get('/hello') ?? 0;
    expect(await p.call('fetch-many', url, 3)).toEqual({ ok: true, value: 3 });
    const over = await p.call('fetch-many', url, 5);
    expect(over.ok).toBe(false);
    expect(over.value).toMatch(/^request 3: /);
    expect(main.hits.get('/hello')).toBe(before + 6);
    expect(p.denials).toEqual([{ reason: 'budget', scheme: 'http', authority: `127.0.0.1:${main.port}` }]);
    expect(await p.call('fetch-many', url, 3)).toEqual({ ok: true, value: 3 });
  });
});

describe('outgoing HTTP: a granted name is checked by the address it resolves to (issue 14.3)', () => {
  it('a granted name that resolves to loopback is refused and the server never sees it', async () => {
    const p = await probe(
      grant({ allow: [`rebind.test:${main.port}`, `mapped.test:${main.port}`, `mixed.test:${main.port}`, `metadata.test:${main.port}`], resolver: RESOLVER }),
    );
    const before = main.total();
    for (const name of ['rebind.test', 'mapped.test', 'mixed.test', 'metadata.test']) {
      expect((await p.fetch(`http://${name}:${main.port}/whoami`)).ok).toBe(false);
    }
    expect(main.total()).toBe(before);
    expect(p.denials).toEqual([
      { reason: 'private-address', scheme: 'http', authority: `rebind.test:${main.port}`, address: '127.0.0.1', range: 'loopback' },
      { reason: 'private-address', scheme: 'http', authority: `mapped.test:${main.port}`, address: '::ffff:127.0.0.1', range: 'loopback' },
      { reason: 'private-address', scheme: 'http', authority: `mixed.test:${main.port}`, address: '127.0.0.1', range: 'loopback' },
      { reason: 'private-address', scheme: 'http', authority: `metadata.test:${main.port}`, address: '169.254.169.254', range: 'metadata' },
    ]);
    expect(p.instance.alive).toBe(true);
  });

  it('with policy.http.allowPrivateNetworks the name reaches the address that was checked, under its own Host', async () => {
    const p = await probe(grant({ allow: [`rebind.test:${main.port}`, `metadata.test:${main.port}`], resolver: RESOLVER, allowPrivateNetworks: true }));
    // rebind.test exists only in the injected resolver: a second (system) lookup would fail.
    expect(await p.fetch(`http://rebind.test:${main.port}/whoami`)).toMatchObject({ ok: true, status: 200, body: `host rebind.test:${main.port}` });
    // Cloud metadata stays out of reach by name even then.
    expect((await p.fetch(`http://metadata.test:${main.port}/whoami`)).ok).toBe(false);
    expect(p.denials).toEqual([
      { reason: 'private-address', scheme: 'http', authority: `metadata.test:${main.port}`, address: '169.254.169.254', range: 'metadata' },
    ]);
  });

  it('localhost and IP grants reach loopback; a name the resolver does not know is a DNS error, not a denial', async () => {
    const p = await probe(grant({ allow: [`localhost:${main.port}`, `127.0.0.1:${main.port}`, `unknown.test:${main.port}`], resolver: RESOLVER }));
    expect(await p.fetch(`http://localhost:${main.port}/whoami`)).toMatchObject({ ok: true, body: `host localhost:${main.port}` });
    expect(await p.fetch(`http://127.0.0.1:${main.port}/whoami`)).toMatchObject({ ok: true, body: `host 127.0.0.1:${main.port}` });
    // unknown.test fails to resolve (DNS-error for the guest): an error, but no policy refusal.
    expect((await p.fetch(`http://unknown.test:${main.port}/whoami`)).ok).toBe(false);
    expect(p.denials).toEqual([]);
  });

  it('a redirect to a granted name that resolves to loopback is refused like a first request', async () => {
    const p = await probe(grant({ allow: [`127.0.0.1:${main.port}`, `rebind.test:${main.port}`], resolver: RESOLVER }));
    const whoami = main.hits.get('/whoami') ?? 0;
    const r = await p.fetch(`http://127.0.0.1:${main.port}/to-rebind`);
    expect(r.ok).toBe(false);
    expect((r as { error: string }).error).toMatch(/^hop 1 /);
    expect(main.hits.get('/whoami') ?? 0).toBe(whoami);
    expect(p.denials).toEqual([{ reason: 'private-address', scheme: 'http', authority: `rebind.test:${main.port}`, address: '127.0.0.1', range: 'loopback' }]);
  });
});

describe('outgoing HTTPS to a pinned address keeps the name for TLS', () => {
  it('SNI carries the granted name and the certificate is still checked', async () => {
    const read = (file: string): Buffer => readFileSync(new URL(`../fixtures/tls/${file}`, import.meta.url));
    const context = createSecureContext({ key: read('key.pem'), cert: read('cert.pem') });
    const names: string[] = [];
    const tls = createTlsServer(
      {
        key: read('key.pem'),
        cert: read('cert.pem'),
        SNICallback: (name, done) => {
          names.push(name);
          done(null, context);
        },
      },
      (socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'),
    );
    tls.on('tlsClientError', () => {}); // the client refusing the certificate
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const port = (tls.address() as AddressInfo).port;
    try {
      const p = await probe(grant({ allow: [`rebind.test:${port}`], resolver: RESOLVER, allowPrivateNetworks: true }));
      // rebind.test only exists in the injected resolver: reaching the server at all shows the
      // connection went to the checked address; the self-signed certificate must still fail it.
      expect((await p.fetch(`https://rebind.test:${port}/`)).ok).toBe(false);
      expect(names).toEqual(['rebind.test']);
      expect(p.denials).toEqual([]);
    } finally {
      tls.close();
    }
  });
});
