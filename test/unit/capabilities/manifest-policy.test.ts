import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeCapabilities, parseCapabilities } from '../../../host/capabilities/capability-manifest.js';
import { type GrantContext, KV_DATABASE_FILE, resolveGrants } from '../../../host/capabilities/grant-resolver.js';
import { authorityCovers, authorityMatches, parseAuthorityPattern } from '../../../host/capabilities/http/authority.js';
import { OPEN_POLICY, parsePolicy } from '../../../host/capabilities/policy.js';
import { codeOf, errorOf } from '../../helpers/errors.js';

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'lnano-grants-')));
const allowed = join(tmp, 'allowed');
const other = join(tmp, 'other');
mkdirSync(join(allowed, 'data'), { recursive: true });
mkdirSync(other);
writeFileSync(join(tmp, 'file.txt'), 'x');
symlinkSync(other, join(allowed, 'sneaky'));

function ctx(over: Partial<GrantContext> = {}): GrantContext {
  return { name: 'probe', baseDir: tmp, dataDir: join(tmp, '.lnano'), policy: OPEN_POLICY, source: 'manifest.json', ...over };
}

describe('authority patterns', () => {
  it.each([
    ['api.example.com', { wildcard: false, host: 'api.example.com', port: null }],
    ['API.Example.COM:8443', { wildcard: false, host: 'api.example.com', port: 8443 }],
    ['*.example.com', { wildcard: true, host: 'example.com', port: null }],
    ['127.0.0.1:8080', { wildcard: false, host: '127.0.0.1', port: 8080 }],
    ['[::1]:9000', { wildcard: false, host: '[::1]', port: 9000 }],
  ])('parses %s', (text, expected) => {
    expect(parseAuthorityPattern(text)).toEqual(expected);
  });

  it.each([
    '',
    'http://a.com',
    'user@a.com',
    'a.com/path',
    'a.com:0',
    'a.com:65536',
    'a.com:',
    'a..com',
    'a.com.',
    '-a.com',
    'a*.com',
    'x.*.com',
    '*.1.2.3.4',
    '999.1.1.1',
    '1.2.3',
    'a.com:80:80',
    '[::1',
    'a com',
    'a.com?x',
    'a%2ecom',
    'ä.com',
  ])('refuses %j', (text) => {
    expect(() => parseAuthorityPattern(text)).toThrow();
  });

  it('a bare host means the default port of the scheme only; wildcards match subdomains only', () => {
    const bare = parseAuthorityPattern('api.example.com');
    expect(authorityMatches(bare, 'api.example.com', 443, 'https')).toBe(true);
    expect(authorityMatches(bare, 'api.example.com', 80, 'http')).toBe(true);
    expect(authorityMatches(bare, 'api.example.com', 8443, 'https')).toBe(false);
    expect(authorityMatches(bare, 'evil-api.example.com', 443, 'https')).toBe(false);
    const wild = parseAuthorityPattern('*.example.com');
    expect(authorityMatches(wild, 'a.b.example.com', 443, 'https')).toBe(true);
    expect(authorityMatches(wild, 'example.com', 443, 'https')).toBe(false);
    expect(authorityMatches(wild, 'notexample.com', 443, 'https')).toBe(false);
  });

  it('coverage: a policy pattern bounds the grants it covers and no others', () => {
    const cover = (outer: string, inner: string): boolean => authorityCovers(parseAuthorityPattern(outer), parseAuthorityPattern(inner));
    expect(cover('*.example.com', 'api.example.com')).toBe(true);
    expect(cover('*.example.com', '*.eu.example.com')).toBe(true);
    expect(cover('*.example.com', '*.example.com')).toBe(true);
    expect(cover('*.example.com', 'example.com')).toBe(false);
    expect(cover('*.example.com', 'api.example.com:8443')).toBe(false);
    expect(cover('api.example.com', '*.example.com')).toBe(false);
    expect(cover('api.example.com:8080', 'api.example.com:8080')).toBe(true);
  });
});

describe('manifest capabilities section', () => {
  it('accepts the documented shape and defaults mounts to read-only', () => {
    const section = parseCapabilities(
      {
        env: { LEVEL: 'info' },
        fs: [{ host: './data', guest: '/data' }],
        http: { allow: ['api.example.com'], maxResponse: '1MiB', timeout: '5s' },
        kv: { namespace: 'telemetry', maxKeys: 10 },
      },
      'm.json',
    );
    expect(section.fs?.[0]?.mode).toBe('ro');
  });

  it.each([
    [{ network: true }, 'capabilities'],
    [{ env: { '1BAD': 'x' } }, 'capabilities.env'],
    [{ fs: [{ host: '/x', guest: 'relative' }] }, 'capabilities.fs.0.guest'],
    [{ fs: [{ host: '/x', guest: '/a/../b' }] }, 'capabilities.fs.0.guest'],
    [{ fs: [{ host: '/x', guest: '/d', mode: 'rwx' }] }, 'capabilities.fs.0.mode'],
    [{ fs: [{ host: '/x', guest: '/d', extra: 1 }] }, 'capabilities.fs.0'],
    [{ http: { allow: ['http://a.com'] } }, 'capabilities.http.allow.0'],
    [{ http: { allow: [] } }, 'capabilities.http.allow'],
    [{ kv: { namespace: '../x' } }, 'capabilities.kv.namespace'],
    [
      {
        fs: [
          { host: '/x', guest: '/d' },
          { host: '/y', guest: '/d/' },
        ],
      },
      'two mounts',
    ],
  ])('refuses %j naming %s', (value, key) => {
    const err = errorOf(() => parseCapabilities(value, 'm.json'));
    expect(err.code).toBe('LN_ERR_MANIFEST_INVALID');
    expect(err.message).toContain(key);
  });

  it('merges flags over a manifest: env overrides, mounts by guest path, http allow lists union', () => {
    const merged = mergeCapabilities(
      { env: { A: '1', B: '2' }, fs: [{ host: '/a', guest: '/d', mode: 'ro' }], http: { allow: ['a.com'] } },
      { env: { B: '3' }, fs: [{ host: '/b', guest: '/d', mode: 'rw' }], http: { allow: ['b.com'] } },
    );
    expect(merged).toEqual({ env: { A: '1', B: '3' }, fs: [{ host: '/b', guest: '/d', mode: 'rw' }], http: { allow: ['a.com', 'b.com'] } });
  });
});

describe('grant resolution and the operator policy', () => {
  it('resolves nothing to the closed grants', () => {
    const grants = resolveGrants({}, ctx());
    expect(grants.wasi).toMatchObject({ env: [], args: ['probe'], preopens: [], http: null, stdin: null });
    expect(grants.plugin).toMatchObject({ component: 'probe', config: [], kv: null });
  });

  it('resolves mounts to real paths, kv into the data dir, config sorted', () => {
    const grants = resolveGrants({ fs: [{ host: 'allowed/data', guest: '/data/', mode: 'rw' }], kv: {} }, ctx({ config: { b: '2', a: '1' } }));
    expect(grants.wasi.preopens).toEqual([{ host: join(allowed, 'data'), guest: '/data', readOnly: false }]);
    expect(grants.plugin.kv).toMatchObject({ namespace: 'probe', path: join(tmp, '.lnano', KV_DATABASE_FILE) });
    expect(grants.plugin.config).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('passes an absolute guest cwd through; a relative one is refused', () => {
    expect(resolveGrants({ cwd: '/data' }, ctx()).wasi.cwd).toBe('/data');
    expect(resolveGrants({}, ctx()).wasi.cwd).toBeUndefined();
    expect(errorOf(() => parseCapabilities({ cwd: 'data' }, 'm.json')).message).toContain('capabilities.cwd');
  });

  it('refuses a missing directory or a file as a mount', () => {
    expect(codeOf(() => resolveGrants({ fs: [{ host: 'nope', guest: '/d', mode: 'ro' }] }, ctx()))).toBe('LN_ERR_MANIFEST_INVALID');
    expect(codeOf(() => resolveGrants({ fs: [{ host: 'file.txt', guest: '/d', mode: 'ro' }] }, ctx()))).toBe('LN_ERR_MANIFEST_INVALID');
    expect(codeOf(() => resolveGrants({ fs: [{ host: 'nope', guest: '/d', mode: 'ro' }] }, ctx({ source: 'command line' })))).toBe('LN_ERR_CONFIG_INVALID');
  });

  it('bounds every capability by the policy, naming the capability, the request and the policy line', () => {
    const policy = parsePolicy(
      {
        fs: { roots: ['allowed'], write: false },
        http: { allow: ['*.example.com'] },
        env: { allow: ['LEVEL', 'APP_*'] },
        kv: { maxTotal: '1MiB' },
      },
      '/etc/lnano.json',
      tmp,
    );
    const c = ctx({ policy });
    expect(
      resolveGrants(
        { fs: [{ host: 'allowed/data', guest: '/d', mode: 'ro' }], env: { LEVEL: 'x', APP_MODE: 'y' }, http: { allow: ['api.example.com'] }, kv: {} },
        c,
      ).plugin.kv?.maxTotalBytes,
    ).toBe(1024 * 1024);

    const cases: Array<[Parameters<typeof resolveGrants>[0], string, string]> = [
      [{ fs: [{ host: 'other', guest: '/d', mode: 'ro' }] }, 'filesystem', 'policy.fs.roots'],
      // A symlink inside a root that points out is judged by where it points.
      [{ fs: [{ host: 'allowed/sneaky', guest: '/d', mode: 'ro' }] }, 'filesystem', 'policy.fs.roots'],
      [{ fs: [{ host: 'allowed/data', guest: '/d', mode: 'rw' }] }, 'filesystem', 'policy.fs.write'],
      [{ http: { allow: ['api.evil.com'] } }, 'outgoing HTTP', 'policy.http.allow'],
      [{ http: { allow: ['*.com'] } }, 'outgoing HTTP', 'policy.http.allow'],
      [{ env: { SECRET: 'x' } }, 'environment', 'policy.env.allow'],
      [{ kv: { maxTotal: '2MiB' } }, 'key-value', 'policy.kv.maxTotal'],
    ];
    for (const [section, capability, line] of cases) {
      const err = errorOf(() => resolveGrants(section, c));
      expect(err.code, JSON.stringify(section)).toBe('LN_ERR_CAP_POLICY');
      expect(err.message).toContain(capability);
      expect(String(err.details.policy)).toBe(`${line} in /etc/lnano.json`);
    }
  });

  it('refuses a malformed policy naming the key and file', () => {
    for (const bad of [
      { fs: { roots: ['does-not-exist'] } },
      { http: { allow: ['http://x'] } },
      { deny: ['teleport'] },
      { surprise: 1 },
      { kv: { shared: { '../x': ['a'] } } },
      { kv: { shared: { ns: [] } } },
      { kv: { shared: { ns: 'a' } } },
    ]) {
      const err = errorOf(() => parsePolicy(bad, '/etc/lnano.json', tmp));
      expect(err.code).toBe('LN_ERR_CONFIG_INVALID');
      expect(err.message).toContain('/etc/lnano.json');
      expect(err.message).toMatch(/policy/);
    }
  });

  it('reads policy.kv.shared as namespace → the components it is shared with', () => {
    expect(OPEN_POLICY.kvShared.size).toBe(0);
    const policy = parsePolicy({ kv: { shared: { readings: ['ingest', 'report'] } } }, '/etc/lnano.json', tmp);
    expect([...policy.kvShared]).toEqual([['readings', ['ingest', 'report']]]);
  });
});
