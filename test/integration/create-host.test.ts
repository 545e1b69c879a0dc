/**
 * `createHost(config)` as an embedder uses it, through the package's public entry only
 * (host/index.ts): a host on a temp data dir with ports 0 starts, takes a real component through
 * its admin API and through `host.versions`, answers events on its ingress, closes (twice) and
 * gives its ports back; a second host on the same data dir restores what the first served.
 * Misuse and hostile config get coded errors.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createHost, type Host, type HostConfigInput, type HostOptions, isLnError, parseManifest } from '../../host/index.js';
import { ROOT, tempDataDir } from '../helpers/cli.js';
import { codeOf, codeOfAsync, errorOf } from '../helpers/errors.js';

const ECHO = join(ROOT, 'components', 'echo-c', 'component.wasm');
const TOKEN = randomBytes(24).toString('hex');

/** Every host a test created, closed after it (close is idempotent). */
const hosts: Host[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

/** A host on `dataDir` with ports 0 and a known token; its start-up report is kept in `output()`. */
function newHost(dataDir: string, config: HostConfigInput = {}, cwd = mkdtempSync(join(tmpdir(), 'lnano-embed-cwd-'))): { host: Host; output: () => string } {
  let text = '';
  const stdout = new PassThrough();
  stdout.on('data', (c: Buffer) => {
    text += c.toString();
  });
  const options: HostOptions = { output: { stdout, stderr: new PassThrough() }, cwd };
  const host = createHost({ dataDir, listen: '127.0.0.1:0', adminListen: '127.0.0.1:0', adminToken: TOKEN, logLevel: 'warn', ...config }, options);
  hosts.push(host);
  return { host, output: () => text };
}

/** What POST /events answers for one event (the fields these tests read). */
interface EventAnswer {
  results: Array<{ plugin: string; ok: boolean; events: unknown[] }>;
}

async function postEvent(ingressUrl: string, event: Record<string, unknown>): Promise<{ status: number; body: EventAnswer }> {
  const res = await fetch(`${ingressUrl}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
  return { status: res.status, body: (await res.json()) as EventAnswer };
}

/** A folder holding `components/echo-c` (the example), as `lnano serve` would seed it. */
function withExample(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lnano-embed-components-'));
  cpSync(join(ROOT, 'components', 'echo-c'), join(dir, 'components', 'echo-c'), { recursive: true });
  return dir;
}

/** Whether a TCP port on loopback can be bound again (the host let it go). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** What the echo example answers to event `id` of type `reading` with data `{ t: 1 }`. */
const echoed = (id: string): unknown[] => [
  { specversion: '1.0', id: `${id}-echo`, type: 'reading.echoed', source: '/s/1', datacontenttype: 'application/json', data: { t: 1 } },
];

describe('createHost', () => {
  it('starts, deploys over its admin API, answers events, closes idempotently and frees its ports; a second host restores', async () => {
    const dataDir = tempDataDir();
    // Its working directory has a components/ folder, which `lnano serve` would seed, and an embedder's host does not.
    const { host, output } = newHost(dataDir, {}, withExample());
    expect(errorOf(() => host.addresses).code).toBe('LN_ERR_CONFIG_HOST_STATE');
    const addresses = await host.start();
    expect(addresses.ingress.port).toBeGreaterThan(0);
    expect(addresses.admin.port).not.toBe(addresses.ingress.port);
    expect(addresses.ingress.url).toBe(`http://127.0.0.1:${addresses.ingress.port}`);
    expect(host.addresses).toBe(addresses);
    expect(host.adminToken).toBe(TOKEN);
    expect(output()).toContain(`events:    ${addresses.ingress.url}/events`);
    // An embedder's host seeds nothing it was not given.
    expect(host.events.names).toEqual([]);
    expect(output()).not.toContain('seed');

    // Deploy a real component the way `lnano deploy` does: upload, then deploy by digest.
    const auth = { authorization: `Bearer ${host.adminToken}` };
    const upload = await fetch(`${addresses.admin.url}/v1/artifacts`, { method: 'PUT', headers: auth, body: readFileSync(ECHO) });
    expect(upload.status).toBe(201);
    const { digest } = (await upload.json()) as { digest: string };
    const deployed = await fetch(`${addresses.admin.url}/v1/deployments`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ manifest: { name: 'echo', version: '1.0.0', events: ['reading'] }, digest }),
    });
    expect(deployed.status).toBe(200);
    expect(host.versions.list().map((r) => [r.name, r.active?.version])).toEqual([['echo', '1.0.0']]);

    const answer = await postEvent(addresses.ingress.url, { id: 'e1', type: 'reading', source: '/s/1', data: { t: 1 } });
    expect(answer.status).toBe(200);
    expect(answer.body.results).toEqual([expect.objectContaining({ plugin: 'echo', ok: true, events: echoed('e1') })]);
    // The same event through the embedder's handle on the runtime.
    const direct = await host.events.dispatchEnvelope({ id: 'e2', type: 'reading', source: '/s/1', data: { t: 1 } });
    expect(direct.results.map((r) => [r.plugin, r.ok])).toEqual([['echo', true]]);

    const closing = host.close();
    expect(host.close()).toBe(closing);
    await closing;
    await host.close();
    expect(await portFree(addresses.ingress.port)).toBe(true);
    expect(await portFree(addresses.admin.port)).toBe(true);
    expect(errorOf(() => host.versions).code).toBe('LN_ERR_CONFIG_HOST_STATE');
    expect(await codeOfAsync(host.start())).toBe('LN_ERR_CONFIG_HOST_STATE');

    // A second host on the same data dir serves what the first one did.
    const second = newHost(dataDir);
    const again = await second.host.start();
    expect(second.output()).toContain('restored echo@1.0.0');
    expect(second.host.events.names).toEqual(['echo']);
    const restored = await postEvent(again.ingress.url, { id: 'e3', type: 'reading', source: '/s/1', data: { t: 1 } });
    expect(restored.body.results).toEqual([expect.objectContaining({ plugin: 'echo', ok: true, events: echoed('e3') })]);
    await second.host.close();
  });

  it('seeds the components folder it is given, and deploys through host.versions', async () => {
    const components = join(withExample(), 'components');
    const { host, output } = newHost(tempDataDir(), { components, sandbox: { isolation: 'inline' }, runtime: { maxDepth: 2 } });
    await host.start();
    expect(output()).toMatch(/seeded echo-c@0\.1\.0 \(new\)/);
    expect(output()).toContain('lnano serving 1 plugin(s) [echo-c]');
    expect(host.config.runtime.maxDepth).toBe(2);
    const stored = await host.versions.storeArtifact(readFileSync(ECHO));
    const manifest = parseManifest({ name: 'echo', version: '2.0.0', events: ['*'] }, 'embedder', tmpdir());
    const result = await host.versions.deploy({ manifest, digest: stored.digest, actor: 'embedder', approveCapabilities: true });
    expect([result.name, result.version]).toEqual(['echo', '2.0.0']);
    const answer = await postEvent(host.addresses.ingress.url, { id: 'e4', type: 'reading', source: '/s/1', data: { t: 1 } });
    expect(answer.body.results.map((r) => [r.plugin, r.ok])).toEqual([
      ['echo', true],
      ['echo-c', true],
    ]);
  });

  it('refuses a second start, a second host in the process, and an address in use, then starts cleanly', async () => {
    const first = newHost(tempDataDir());
    const started = await first.host.start();
    expect(await codeOfAsync(first.host.start())).toBe('LN_ERR_CONFIG_HOST_STATE');
    const other = newHost(tempDataDir());
    const refused = await other.host.start().catch((e: unknown) => e);
    expect(isLnError(refused) && refused.code).toBe('LN_ERR_CONFIG_HOST_STATE');
    await first.host.close();

    // The ingress port is taken by someone else: a coded error naming the key, and nothing left open.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const held = (holder.address() as { port: number }).port;
    const clash = newHost(tempDataDir(), { listen: `127.0.0.1:${held}` });
    const err = await clash.host.start().catch((e: unknown) => e);
    expect(isLnError(err) && err.code).toBe('LN_ERR_CONFIG_PORT_IN_USE');
    expect(isLnError(err) && err.details).toMatchObject({ key: 'listen' });
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    // The failed start closed what it had opened: another host starts in this process.
    const last = newHost(tempDataDir());
    await last.host.start();
    expect(await portFree(started.ingress.port)).toBe(true);
  });

  it('answers hostile or mistaken config with LN_ERR_CONFIG_INVALID naming the key', () => {
    const keyOf = (config: unknown): unknown => {
      try {
        createHost(config as HostConfigInput);
      } catch (err) {
        return isLnError(err) ? [err.code, err.details.key] : err;
      }
      return 'ok';
    };
    expect(keyOf(null)).toEqual(['LN_ERR_CONFIG_INVALID', '(config)']);
    expect(keyOf('dataDir=/tmp')).toEqual(['LN_ERR_CONFIG_INVALID', '(config)']);
    expect(keyOf({ listen: 'everywhere' })).toEqual(['LN_ERR_CONFIG_INVALID', 'listen']);
    expect(keyOf({ listen: '127.0.0.1:70000' })).toEqual(['LN_ERR_CONFIG_INVALID', 'listen']);
    expect(keyOf({ dataDir: '' })).toEqual(['LN_ERR_CONFIG_INVALID', 'dataDir']);
    expect(keyOf({ dataDir: 'a\0b' })).toEqual(['LN_ERR_CONFIG_INVALID', 'dataDir']);
    expect(keyOf({ dataDirectory: '/tmp/x' })).toEqual(['LN_ERR_CONFIG_INVALID', 'dataDirectory']);
    expect(keyOf({ runtime: { maxDepth: -1 } })).toEqual(['LN_ERR_CONFIG_INVALID', 'runtime.maxDepth']);
    expect(keyOf({ runtime: 5 })).toEqual(['LN_ERR_CONFIG_INVALID', 'runtime']);
    expect(keyOf({ runtime: { concurrency: { global: 1e9 } } })).toEqual(['LN_ERR_CONFIG_INVALID', 'runtime.concurrency.global']);
    expect(keyOf({ timeoutMs: 'soon' })).toEqual(['LN_ERR_CONFIG_INVALID', 'timeout']);
    expect(keyOf({ timeout: 5000 })).toEqual(['LN_ERR_CONFIG_INVALID', 'timeout']);
    expect(keyOf({ ingress: { maxBodyBytes: -5 } })).toEqual(['LN_ERR_CONFIG_INVALID', 'ingress.maxBodyBytes']);
    expect(keyOf({ ingress: { allowedOrigins: ['javascript:alert(1)'] } })).toEqual(['LN_ERR_CONFIG_INVALID', 'ingress.allowedOrigins']);
    expect(keyOf({ adminToken: 42 })).toEqual(['LN_ERR_CONFIG_INVALID', 'adminToken']);
    expect(keyOf({ policy: { deny: ['teleport'] } })).toEqual(['LN_ERR_CONFIG_INVALID', 'policy.deny']);
    expect(keyOf(JSON.parse('{"__proto__": {"polluted": true}}'))).toEqual(['LN_ERR_CONFIG_INVALID', '__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Valid values in the units HostConfig uses (ms, bytes) are taken as they are.
    const host = createHost({ dataDir: tempDataDir(), timeoutMs: 250, standbyWarmMs: 1000, ingress: { maxBodyBytes: 4096 }, policy: { deny: ['sockets'] } });
    const { timeoutMs, standbyWarmMs, ingress, policy } = host.config;
    expect([timeoutMs, standbyWarmMs, ingress.maxBodyBytes, policy.deny]).toEqual([250, 1000, 4096, ['sockets']]);
    expect(codeOf(() => host.events)).toBe('LN_ERR_CONFIG_HOST_STATE');
  });
});
