import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isErrorCode } from '../../../host/errors/codes.js';
import { isLnError, LnError, toLnError } from '../../../host/errors/ln-error.js';

const AREAS = ['CONFIG', 'MANIFEST', 'LOAD', 'LINK', 'CAP', 'BUDGET', 'GUEST', 'VERSION', 'EVENT', 'ADMIN', 'INTERNAL'];

describe('error registry', () => {
  it('docs/errors.md lists exactly the registered codes', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\|\s*`(LN_ERR_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('every code is LN_ERR_<AREA>_<PROBLEM> with a known area, a message, a fix and a status', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      const area = /^LN_ERR_([A-Z]+)_[A-Z_]+$/.exec(code)?.[1];
      expect(AREAS, code).toContain(area);
      expect(spec.message.length, code).toBeGreaterThan(5);
      expect(spec.fix.length, code).toBeGreaterThan(5);
      expect(spec.status >= 400 && spec.status < 600, code).toBe(true);
      expect([1, 2], code).toContain(spec.exit);
    }
  });

  it('includes the codes the design requires', () => {
    for (const code of [
      'LN_ERR_BUDGET_TIME',
      'LN_ERR_BUDGET_MEMORY',
      'LN_ERR_BUDGET_FUEL',
      'LN_ERR_CAP_DENIED',
      'LN_ERR_LINK_IMPORT_MISSING',
      'LN_ERR_GUEST_TRAP',
      'LN_ERR_LOAD_INVALID',
    ]) {
      expect(isErrorCode(code), code).toBe(true);
    }
  });

  it('renders templates from details and survives a JSON round trip', () => {
    const err = new LnError('LN_ERR_LOAD_TOO_LARGE', { subject: 'x.wasm', size: 10, limit: 5 });
    expect(err.message).toBe('The component "x.wasm" is 10 bytes, over the limit of 5 bytes');
    const copy = LnError.fromJSON(JSON.parse(JSON.stringify(err)));
    expect(copy.code).toBe('LN_ERR_LOAD_TOO_LARGE');
    expect(copy.message).toBe(err.message);
    expect(isLnError(copy)).toBe(true);
  });

  it('turns malformed or foreign errors into internal errors', () => {
    expect(LnError.fromJSON({ code: 'LN_ERR_NOPE' }).code).toBe('LN_ERR_INTERNAL_UNEXPECTED');
    expect(LnError.fromJSON(null).code).toBe('LN_ERR_INTERNAL_UNEXPECTED');
    expect(toLnError(new TypeError('x')).code).toBe('LN_ERR_INTERNAL_UNEXPECTED');
    expect(ERROR_CODES.LN_ERR_INTERNAL_UNEXPECTED.expose).toBe(false);
  });
});
