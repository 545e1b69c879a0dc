import { describe, expect, it } from 'vitest';
import { AllowList, requestTarget, type WasiScheme } from '../../../host/capabilities/http/request-authority.js';

const HTTP: WasiScheme = { tag: 'HTTP' };
const HTTPS: WasiScheme = { tag: 'HTTPS' };

describe('requestTarget: what a guest request may look like', () => {
  it('normalizes scheme, case and default ports', () => {
    expect(requestTarget(HTTP, 'API.Example.COM')).toEqual({ scheme: 'http', host: 'api.example.com', port: 80 });
    expect(requestTarget(HTTPS, 'api.example.com')).toEqual({ scheme: 'https', host: 'api.example.com', port: 443 });
    expect(requestTarget(undefined, 'api.example.com:8443')).toEqual({ scheme: 'https', host: 'api.example.com', port: 8443 });
    expect(requestTarget(HTTP, '127.0.0.1:8080')).toEqual({ scheme: 'http', host: '127.0.0.1', port: 8080 });
    expect(requestTarget(HTTP, 'localhost')).toEqual({ scheme: 'http', host: 'localhost', port: 80 });
  });

  it.each([
    ['no authority', HTTP, undefined],
    ['an empty authority', HTTP, ''],
    ['another scheme', { tag: 'other', val: 'ftp' } as WasiScheme, 'example.com'],
    ['userinfo', HTTP, 'user@example.com'],
    ['userinfo with password', HTTP, 'user:pw@example.com'],
    ['userinfo hiding the real host', HTTP, 'allowed.com@evil.com'],
    ['an IPv6 literal', HTTP, '[::1]:8080'],
    ['a bare IPv6 address', HTTP, '::1'],
    ['a trailing dot', HTTP, 'example.com.'],
    ['a trailing dot with port', HTTP, 'example.com.:80'],
    ['a leading dot', HTTP, '.example.com'],
    ['an empty label', HTTP, 'a..example.com'],
    ['a label starting with -', HTTP, '-a.example.com'],
    ['a label ending with -', HTTP, 'a-.example.com'],
    ['a 64-byte label', HTTP, `${'a'.repeat(64)}.com`],
    ['a 254-byte name', HTTP, `${'a.'.repeat(126)}com`],
    ['an underscore', HTTP, 'a_b.example.com'],
    ['a percent escape', HTTP, 'example%2ecom'],
    ['a space', HTTP, 'example.com '],
    ['a newline', HTTP, 'example.com\n'],
    ['a NUL byte', HTTP, 'example.com\0.evil.com'],
    ['a backslash', HTTP, 'example.com\\@evil.com'],
    ['a slash', HTTP, 'example.com/x'],
    ['a question mark', HTTP, 'example.com?x'],
    ['a fragment', HTTP, 'example.com#x'],
    ['a wildcard', HTTP, '*.example.com'],
    ['unicode', HTTP, 'exämple.com'],
    ['a fullwidth dot', HTTP, 'example\uff0ecom'],
    ['port 0', HTTP, 'example.com:0'],
    ['port 65536', HTTP, 'example.com:65536'],
    ['a port with a leading zero', HTTP, 'example.com:080'],
    ['a signed port', HTTP, 'example.com:+80'],
    ['an empty port', HTTP, 'example.com:'],
    ['two ports', HTTP, 'example.com:80:81'],
    ['a hex port', HTTP, 'example.com:0x50'],
    ['a short IPv4 form', HTTP, '127.1'],
    ['a decimal IPv4 form', HTTP, '2130706433'],
    ['a hex IPv4 form', HTTP, '0x7f000001'],
    ['a hex octet', HTTP, '0x7f.0.0.1'],
    ['an octal octet', HTTP, '0177.0.0.1'],
    ['an octet over 255', HTTP, '256.0.0.1'],
    ['five octets', HTTP, '1.2.3.4.5'],
    ['a numeric last label', HTTP, 'example.123'],
    ['a hex-looking last label', HTTP, 'example.0xff'],
  ])('refuses %s', (_label, scheme, authority) => {
    expect(requestTarget(scheme, authority as string | undefined)).toBeNull();
  });
});

describe('AllowList: patterns against requests', () => {
  it("a bare host allows only the scheme's default port", () => {
    const list = new AllowList(['api.example.com']);
    expect(list.allows(HTTP, 'api.example.com')).toBe(true);
    expect(list.allows(HTTP, 'api.example.com:80')).toBe(true);
    expect(list.allows(HTTPS, 'api.example.com')).toBe(true);
    expect(list.allows(undefined, 'api.example.com')).toBe(true);
    expect(list.allows(HTTP, 'api.example.com:443')).toBe(false);
    expect(list.allows(HTTPS, 'api.example.com:80')).toBe(false);
    expect(list.allows(HTTP, 'api.example.com:8080')).toBe(false);
  });

  it('host:port allows that port only, on either scheme', () => {
    const list = new AllowList(['127.0.0.1:8080']);
    expect(list.allows(HTTP, '127.0.0.1:8080')).toBe(true);
    expect(list.allows(HTTPS, '127.0.0.1:8080')).toBe(true);
    expect(list.allows(HTTP, '127.0.0.1:8081')).toBe(false);
    expect(list.allows(HTTP, '127.0.0.1')).toBe(false);
    expect(list.allows(HTTP, 'localhost:8080')).toBe(false);
    expect(list.allows(HTTP, '127.1:8080')).toBe(false);
    expect(list.allows(HTTP, '2130706433:8080')).toBe(false);
  });

  it('*.domain allows subdomains at any depth, not the domain or look-alikes', () => {
    const list = new AllowList(['*.example.com:8443']);
    expect(list.allows(HTTPS, 'a.example.com:8443')).toBe(true);
    expect(list.allows(HTTPS, 'A.B.Example.Com:8443')).toBe(true);
    expect(list.allows(HTTPS, 'example.com:8443')).toBe(false);
    expect(list.allows(HTTPS, 'badexample.com:8443')).toBe(false);
    expect(list.allows(HTTPS, 'example.com.evil.com:8443')).toBe(false);
    expect(list.allows(HTTPS, 'a.example.com.:8443')).toBe(false);
    expect(list.allows(HTTPS, 'a.example.com')).toBe(false);
    expect(list.allows(HTTPS, 'user@a.example.com:8443')).toBe(false);
  });

  it('compares case-insensitively on both sides', () => {
    const list = new AllowList(['API.Example.com']);
    expect(list.allows(HTTPS, 'api.EXAMPLE.com')).toBe(true);
  });

  it('an empty list and malformed patterns allow nothing', () => {
    expect(new AllowList([]).allows(HTTP, 'example.com')).toBe(false);
    const bad = new AllowList(['http://example.com', 'user@example.com', 'example.com.', '*', '*.', 'example.com:0', '']);
    for (const authority of ['example.com', 'example.com:80', 'user@example.com', 'a.example.com']) {
      expect(bad.allows(HTTP, authority)).toBe(false);
    }
    // A bad pattern does not stop the good ones next to it.
    expect(new AllowList(['***', 'ok.example.com']).allows(HTTPS, 'ok.example.com')).toBe(true);
  });

  it('never allows a request it cannot read, whatever the patterns', () => {
    const list = new AllowList(['*.com', 'localhost', '127.0.0.1']);
    for (const authority of [undefined, '', 'a.com.', 'user@a.com', '127.1', '[::1]', 'a.com:99999']) {
      expect(list.allows(HTTP, authority)).toBe(false);
    }
    expect(list.allows({ tag: 'other', val: 'gopher' }, 'a.com')).toBe(false);
  });
});
