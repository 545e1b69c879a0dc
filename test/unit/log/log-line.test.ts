import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../../host/cli/commands/logs.js';
import { levelName, logLineParts } from '../../../host/log/log-line.js';

describe('a kept log line read for people', () => {
  it('names pino levels, and keeps an unknown level as text', () => {
    expect([10, 20, 30, 40, 50, 60].map(levelName)).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
    expect(levelName(35)).toBe('35');
    expect(levelName(undefined)).toBe('');
  });

  it('reads a guest log call, guest output, and a host line about a failure', () => {
    const time = Date.UTC(2026, 11, 8, 1, 2, 3, 456);
    expect(logLineParts({ component: 'echo', level: 30, time, version: '1.0.0', msg: 'guest log', guest: { message: 'hi', fields: { k: 'v' } } })).toEqual({
      time: '2026-12-08T01:02:03.456Z',
      level: 'info',
      version: '1.0.0',
      where: 'guest',
      text: 'hi',
      code: '',
      fields: '{"k":"v"}',
    });
    expect(logLineParts({ component: 'echo', level: 40, guest: { stream: 'stderr', line: 'oops' } })).toMatchObject({
      where: 'stderr',
      text: 'oops',
      time: '',
    });
    expect(logLineParts({ component: 'echo', level: 50, msg: 'call failed', code: 'LN_ERR_GUEST_TRAP' })).toMatchObject({
      where: '',
      text: 'call failed',
      code: 'LN_ERR_GUEST_TRAP',
    });
  });

  it('takes any shape without throwing (a line is what the host wrote, not validated input)', () => {
    for (const odd of [
      { component: 'x' },
      { component: 'x', guest: null },
      { component: 'x', guest: { fields: 'not an object' } },
      { component: 'x', version: 7, code: {} },
    ]) {
      expect(() => logLineParts(odd as Record<string, unknown>)).not.toThrow();
    }
    expect(logLineParts({ component: 'x', version: 7, code: {} })).toMatchObject({ version: '', code: '' });
  });

  it('prints one line as `lnano logs` does', () => {
    const time = Date.UTC(2026, 11, 8, 1, 2, 3, 456);
    expect(formatLogLine({ component: 'echo', level: 30, time, version: '1.0.0', guest: { message: 'hi', fields: { k: 'v' } } })).toBe(
      '2026-12-08T01:02:03.456Z info  [1.0.0] guest hi {"k":"v"}',
    );
    expect(formatLogLine({ component: 'echo', level: 50, msg: 'call failed', code: 'LN_ERR_GUEST_TRAP' })).toBe(' error  call failed LN_ERR_GUEST_TRAP');
  });
});
