// Issue 14.3: which addresses a granted host name may reach, and how the resolution step in the
// shim's I/O thread reports them. The end-to-end proof (a real guest, a real loopback server)
// is in test/security/http-capability.test.ts.
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { resolveGrants } from '../../../host/capabilities/grant-resolver.js';
import { refusedDestination } from '../../../host/capabilities/http/http-destination.js';
import { resolveAndPin } from '../../../host/capabilities/http/http-dns-extension.js';
import { specialRange } from '../../../host/capabilities/http/ip-ranges.js';
import { OPEN_POLICY, parsePolicy } from '../../../host/capabilities/policy.js';
import { codeOf } from '../../helpers/errors.js';

const RESOLVER = new URL('../../helpers/fixed-resolver.mjs', import.meta.url).href;
const v4 = (address: string) => ({ address, family: 4 });

describe('specialRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['fd00::1', 'private'],
    ['fc00::1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['not-an-address', 'reserved'],
    ['', 'reserved'],
  ])('%s is %s', (address, range) => {
    expect(specialRange(address)).toBe(range);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:2800:220:1::1', '::ffff:8.8.8.8'])('%s is public', (address) => {
    expect(specialRange(address)).toBeNull();
  });
});

describe('refusedDestination', () => {
  it('a name may reach public addresses only, and every address of the answer counts', () => {
    expect(refusedDestination('api.example.com', [v4('93.184.216.34')], false)).toBeNull();
    expect(refusedDestination('api.example.com', [v4('93.184.216.34'), v4('10.0.0.5')], false)).toEqual({ address: '10.0.0.5', range: 'private' });
    expect(refusedDestination('api.example.com', [], false)).toEqual({ address: '', range: 'reserved' });
  });

  it('localhost may reach loopback (only); allowPrivateNetworks opens every range but metadata', () => {
    expect(refusedDestination('localhost', [v4('127.0.0.1'), { address: '::1', family: 6 }], false)).toBeNull();
    expect(refusedDestination('localhost', [v4('10.0.0.1')], false)).toEqual({ address: '10.0.0.1', range: 'private' });
    expect(refusedDestination('svc.internal', [v4('10.0.0.1'), v4('127.0.0.1'), v4('169.254.1.1'), v4('100.64.0.1')], true)).toBeNull();
    expect(refusedDestination('svc.internal', [v4('169.254.169.254')], true)).toEqual({ address: '169.254.169.254', range: 'metadata' });
    expect(refusedDestination('svc.internal', [v4('bogus')], true)).toEqual({ address: 'bogus', range: 'reserved' });
  });
});

describe('resolveAndPin', () => {
  const options = { privateNetworks: false, resolver: RESOLVER, timeoutMs: 30_000 };

  it('reports a refused address, pins an allowed answer and turns a failed lookup into DNS-error', async () => {
    expect(await resolveAndPin('rebind.test', options)).toEqual({ tag: 'refused', refusal: { address: '127.0.0.1', range: 'loopback' } });
    expect(await resolveAndPin('rebind.test', { ...options, privateNetworks: true })).toEqual({ tag: 'pinned' });
    expect(await resolveAndPin('localhost', options)).toEqual({ tag: 'pinned' });
    expect(await resolveAndPin('unknown.test', options)).toEqual({
      tag: 'failed',
      error: { tag: 'DNS-error', val: { rcode: 'ENOTFOUND', infoCode: undefined } },
    });
  });

  it('a resolver that never answers ends in DNS-timeout', async () => {
    const hang = `data:text/javascript,${encodeURIComponent('export default () => new Promise(() => {});')}`;
    expect(await resolveAndPin('slow.test', { ...options, resolver: hang, timeoutMs: 1 })).toEqual({ tag: 'failed', error: { tag: 'DNS-timeout' } });
  });
});

describe('policy.http.allowPrivateNetworks', () => {
  const resolveHttp = (policy: typeof OPEN_POLICY, resolver?: string) =>
    resolveGrants(
      { http: { allow: ['svc.internal'] } },
      { name: 'probe', baseDir: tmpdir(), dataDir: tmpdir(), policy, source: 'manifest.json', ...(resolver ? { resolver } : {}) },
    ).wasi.http;

  it('is off by default and reaches the grant when the policy turns it on; the resolver option is passed down', () => {
    expect(resolveHttp(OPEN_POLICY)).toMatchObject({ allowPrivateNetworks: false });
    expect(resolveHttp(OPEN_POLICY)).not.toHaveProperty('resolver');
    const policy = parsePolicy({ http: { allowPrivateNetworks: true } }, '/etc/lnano.json', tmpdir());
    expect(policy.httpAllowPrivateNetworks).toBe(true);
    expect(resolveHttp(policy, RESOLVER)).toMatchObject({ allowPrivateNetworks: true, resolver: RESOLVER });
  });

  it('must be a boolean', () => {
    expect(codeOf(() => parsePolicy({ http: { allowPrivateNetworks: 'yes' } }, '/etc/lnano.json', tmpdir()))).toBe('LN_ERR_CONFIG_INVALID');
  });
});
