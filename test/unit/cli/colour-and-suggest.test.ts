import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../../host/cli/args.js';
import { colourEnabled, paletteFor, stripAnsi } from '../../../host/cli/colour.js';
import { closest, editDistance } from '../../../host/cli/suggest.js';
import { codeOf } from '../../helpers/errors.js';

const stream = (isTTY: boolean): Writable & { isTTY: boolean } => Object.assign(new Writable({ write: (_c, _e, cb) => cb() }), { isTTY });

describe('colour', () => {
  it.each([
    [true, {}, true],
    [false, {}, false],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true], // no-color.org: only a non-empty value counts
    [true, { TERM: 'dumb' }, false],
    [false, { FORCE_COLOR: '1' }, true],
    [false, { FORCE_COLOR: '' }, true],
    [true, { FORCE_COLOR: '0' }, false],
    [true, { FORCE_COLOR: 'false' }, false],
    [false, { FORCE_COLOR: '1', NO_COLOR: '1' }, true], // as in Node: FORCE_COLOR wins
  ])('tty=%s env=%j → %s', (tty, env, expected) => {
    expect(colourEnabled(stream(tty), env)).toBe(expected);
  });

  it('styles only when enabled', () => {
    expect(paletteFor(stream(false), {}).red('x')).toBe('x');
    const red = paletteFor(stream(true), {}).red('x');
    expect(red).toBe('\u001b[31mx\u001b[39m');
    expect(stripAnsi(red)).toBe('x');
  });
});

describe('did you mean', () => {
  it('measures edits, a swap of neighbours as one', () => {
    expect(editDistance('timeline', 'timeline')).toBe(0);
    expect(editDistance('tiemline', 'timeline')).toBe(1);
    expect(editDistance('deploy', 'depoly')).toBe(1);
    expect(editDistance('ls', 'logs')).toBe(2);
  });

  it('suggests the closest command, a unique prefix, or nothing', () => {
    const commands = ['run', 'inspect', 'serve', 'deploy', 'rollback', 'promote', 'ls', 'status', 'logs', 'timeline', 'pipeline'];
    expect(closest('tiemline', commands)).toBe('timeline');
    expect(closest('stauts', commands)).toBe('status');
    expect(closest('tim', commands)).toBe('timeline');
    expect(closest('xyz', commands)).toBeUndefined();
    expect(closest('p', commands)).toBeUndefined();
  });

  it('names the flag meant in the usage error of a misspelt flag', () => {
    const options = { status: { type: 'string' }, follow: { type: 'boolean', short: 'f' } } as const;
    let message = '';
    try {
      parseCommandArgs('timeline', ['--stauts', 'ok'], options);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('lnano timeline: unknown flag --stauts (did you mean --status?)');
    expect(codeOf(() => parseCommandArgs('timeline', ['-fx'], options))).toBe('LN_ERR_CONFIG_USAGE');
    expect(() => parseCommandArgs('timeline', ['--status'], options)).toThrow('lnano timeline: --status needs a value');
    expect(() => parseCommandArgs('timeline', ['--follow=1'], options)).toThrow('lnano timeline: --follow takes no value');
    expect(() => parseCommandArgs('timeline', ['--status', '--follow'], options)).toThrow(/--status needs a value; for a value that starts with "-"/);
  });
});
