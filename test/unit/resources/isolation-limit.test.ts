// `limits.isolation` (issue 15): a manifest may ask for a worker of its own or for the main
// thread (`inline`), `auto` leaves it to the host config, the operator policy sets a floor for
// every component, and anything else is refused with a coded error.
import { describe, expect, it } from 'vitest';
import { closedGrants } from '../../../host/capabilities/grants.js';
import { LIMIT_DEFAULTS, parseLimits, parseLimitsPolicy, resolveLimits } from '../../../host/resources/limits.js';
import { callBudgets, isolationFor } from '../../../host/resources/metering.js';
import { errorOf } from '../../helpers/errors.js';

const manifest = (section: unknown) => ({ section: parseLimits(section, 'lnano.json'), source: 'lnano.json' });

describe('limits.isolation', () => {
  it('defaults to auto (the host choice), and a manifest can ask for its own worker or for inline', () => {
    expect(LIMIT_DEFAULTS.isolation).toBe('auto');
    expect(resolveLimits([manifest({})]).isolation).toBe('auto');
    expect(callBudgets(LIMIT_DEFAULTS).isolation).toBeUndefined();
    expect(isolationFor(LIMIT_DEFAULTS, closedGrants('p'))).toBeUndefined();
    const own = resolveLimits([manifest({ isolation: 'worker' })]);
    expect(own.isolation).toBe('worker');
    expect(callBudgets(own).isolation).toBe('worker');
    const inline = resolveLimits([manifest({ isolation: 'inline' })]);
    expect(callBudgets(inline).isolation).toBe('inline');
    expect(isolationFor(inline, closedGrants('p'))).toBe('inline');
  });

  it('a policy of "shared" keeps every component off the main thread; "inline" in a policy restricts nothing', () => {
    const policy = parseLimitsPolicy({ isolation: 'shared' }, 'policy.json');
    expect(resolveLimits([manifest({ isolation: 'inline' })], policy).isolation).toBe('shared');
    expect(resolveLimits([manifest({})], policy).isolation).toBe('shared');
    expect(resolveLimits([manifest({ isolation: 'worker' })], policy).isolation).toBe('worker');
    expect(resolveLimits([manifest({ isolation: 'inline' })], parseLimitsPolicy({ isolation: 'inline' }, 'policy.json')).isolation).toBe('inline');
  });

  it('a policy of "worker" applies to every component, even one asking to share', () => {
    const policy = parseLimitsPolicy({ isolation: 'worker' }, 'policy.json');
    expect(resolveLimits([manifest({ isolation: 'shared' })], policy).isolation).toBe('worker');
    expect(resolveLimits([manifest({ isolation: 'shared' })], parseLimitsPolicy({}, 'policy.json')).isolation).toBe('shared');
  });

  it('an unknown value is a manifest error', () => {
    expect(errorOf(() => parseLimits({ isolation: 'process' }, 'lnano.json')).code).toBe('LN_ERR_MANIFEST_INVALID');
  });

  it('grants that can block the thread (filesystem, outgoing HTTP) get a worker of their own', () => {
    const base = closedGrants('p');
    const fs = { ...base, wasi: { ...base.wasi, preopens: [{ host: '/tmp', guest: '/data', readOnly: true }] } };
    const http = { ...base, wasi: { ...base.wasi, http: { allow: ['example.com'], maxResponseBytes: 1024, timeoutMs: 1000, maxRequestsPerCall: 1 } } };
    expect(isolationFor({ isolation: 'shared' }, base)).toBe('shared');
    expect(isolationFor(LIMIT_DEFAULTS, fs)).toBe('worker');
    expect(isolationFor({ isolation: 'inline' }, fs)).toBe('worker');
    expect(isolationFor({ isolation: 'inline' }, http)).toBe('worker');
    expect(isolationFor(LIMIT_DEFAULTS, http)).toBe('worker');
    expect(isolationFor({ isolation: 'worker' }, base)).toBe('worker');
  });
});
