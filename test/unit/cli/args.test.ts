import { describe, expect, it } from 'vitest';
import { parseCommandArgs, parseDurationMs, parseEnvFlags } from '../../../host/cli/args.js';
import { codeOf } from '../../helpers/errors.js';

describe('cli arguments', () => {
  it('splits guest arguments at --', () => {
    const r = parseCommandArgs<{ json?: boolean }>('run', ['a.wasm', '--json', '--', '--json', 'x'], { json: { type: 'boolean' } });
    expect(r.values.json).toBe(true);
    expect(r.positionals).toEqual(['a.wasm']);
    expect(r.rest).toEqual(['--json', 'x']);
  });

  it('refuses unknown flags and missing values as usage errors', () => {
    expect(codeOf(() => parseCommandArgs('run', ['--nope'], {}))).toBe('LN_ERR_CONFIG_USAGE');
    expect(codeOf(() => parseCommandArgs('run', ['--invoke'], { invoke: { type: 'string' } }))).toBe('LN_ERR_CONFIG_USAGE');
  });

  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['1.5m', 90000],
    ['250', 250],
  ])('duration %s = %d ms', (text, ms) => {
    expect(parseDurationMs(text, '--timeout', 'test')).toBe(ms);
  });

  it.each(['', '0', '-1s', '1h', 'soon', '1e9s'])('refuses duration %j', (text) => {
    expect(codeOf(() => parseDurationMs(text, '--timeout', 'test'))).toBe('LN_ERR_CONFIG_INVALID');
  });

  it('grants only the named variables, passing host values through for bare names', () => {
    expect(parseEnvFlags(['A=1', 'B', 'A=2'], { B: 'host', SECRET: 's' })).toEqual([
      ['A', '2'],
      ['B', 'host'],
    ]);
    expect(codeOf(() => parseEnvFlags(['MISSING'], {}))).toBe('LN_ERR_CONFIG_INVALID');
    expect(codeOf(() => parseEnvFlags(['1BAD=x'], {}))).toBe('LN_ERR_CONFIG_INVALID');
  });
});
