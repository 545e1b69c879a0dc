// Issue 14 item 4: which Host, Origin and Sec-Fetch-Site a listener accepts.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { crossSiteReason, isLoopbackAddress, isLoopbackHost } from '../../../host/server/request-origin.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const loopback = { loopback: true, allowedOrigins: ['https://app.example'] };

describe('loopback names', () => {
  it.each(['localhost', 'localhost:8080', 'LocalHost', '127.0.0.1', '127.255.0.9:1', '[::1]', '[::1]:8080'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each(['evil.example', 'localhost.evil.example', '127.0.0.1.evil.example', '128.0.0.1', '127.0.0.256', '[::2]', '0.0.0.0', '', 'localhost:x'])(
    '%s is not',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
  it('knows loopback listener addresses', () => {
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1'].map(isLoopbackAddress)).toEqual([true, true, true]);
    expect(['0.0.0.0', '::', '192.0.2.1'].map(isLoopbackAddress)).toEqual([false, false, false]);
  });
});

describe('crossSiteReason', () => {
  it('accepts clients that are not browsers, same-origin pages and allowed origins', () => {
    expect(crossSiteReason(req({ host: '127.0.0.1:8080' }), loopback)).toBeNull();
    expect(crossSiteReason(req({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' }), loopback)).toBeNull();
    expect(crossSiteReason(req({ host: '127.0.0.1:8080', origin: 'https://APP.example', 'sec-fetch-site': 'cross-site' }), loopback)).toBeNull();
    expect(crossSiteReason(req({ host: 'localhost', 'sec-fetch-site': 'same-origin' }), loopback)).toBeNull();
    expect(crossSiteReason(req({ host: 'localhost', 'sec-fetch-site': 'none' }), loopback)).toBeNull();
  });

  it('refuses other origins, cross-site fetches and rebound Hosts, saying why', () => {
    expect(crossSiteReason(req({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8081' }), loopback)).toContain('Origin');
    expect(crossSiteReason(req({ host: 'localhost', 'sec-fetch-site': 'same-site' }), loopback)).toContain('same-site');
    expect(crossSiteReason(req({ host: 'evil.example', origin: 'http://evil.example' }), loopback)).toContain('DNS rebinding');
  });

  it('takes any Host on a listener that is not loopback (the operator exposed it), but still checks Origin', () => {
    const open = { loopback: false, allowedOrigins: [] };
    expect(crossSiteReason(req({ host: 'edge.example:8080' }), open)).toBeNull();
    expect(crossSiteReason(req({ host: 'edge.example:8080', origin: 'https://evil.example' }), open)).toContain('Origin');
  });
});
