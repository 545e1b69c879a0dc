// WAVE ↔ jco JS values (host/engine/wave/wave.ts): every type kind both ways, edge values, exact error
// reasons, hostile input, and a real round trip through bindings jco generates for a WAT component.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WitPrimitive, WitType } from '../../../../host/engine/component-types/wit-types.js';
import { invocationArgsToJs, jsToJson, jsToWave, parseInvocation, waveToJs } from '../../../../host/engine/wave/wave.js';
import type { LnError } from '../../../../host/errors/ln-error.js';

// ---- WIT types used below -----------------------------------------------------------------------
const p = (name: WitPrimitive): WitType => ({ kind: 'primitive', name });
const list = (element: WitType, length?: number): WitType => ({ kind: 'list', element, ...(length === undefined ? {} : { length }) });
const option = (inner: WitType): WitType => ({ kind: 'option', inner });
const result = (ok: WitType | null, err: WitType | null): WitType => ({ kind: 'result', ok, err });
const tuple = (...items: WitType[]): WitType => ({ kind: 'tuple', items });
const [u8, s8, u16, s16, u32, s32, u64, s64, f32, f64] = (['u8', 's8', 'u16', 's16', 'u32', 's32', 'u64', 's64', 'f32', 'f64'] as const).map(p) as [
  WitType,
  WitType,
  WitType,
  WitType,
  WitType,
  WitType,
  WitType,
  WitType,
  WitType,
  WitType,
];
const bool = p('bool');
const char = p('char');
const string = p('string');
const point: WitType = {
  kind: 'record',
  name: 'point',
  fields: [
    { name: 'x', type: u32 },
    { name: 'y', type: u32 },
  ],
};
const entry: WitType = {
  kind: 'record',
  name: 'entry',
  fields: [
    { name: 'x-coord', type: s32 },
    { name: 'label', type: option(string) },
    { name: 'HTTP3', type: bool },
  ],
};
const allOptional: WitType = {
  kind: 'record',
  name: 'opts',
  fields: [
    { name: 'a', type: option(u8) },
    { name: 'b', type: option(u8) },
  ],
};
const shape: WitType = {
  kind: 'variant',
  name: 'shape',
  cases: [
    { name: 'circle', type: f64 },
    { name: 'sq', type: null },
    { name: 'ok', type: string },
    { name: 'named-one', type: option(u8) },
  ],
};
const color: WitType = { kind: 'enum', name: 'color', cases: ['red', 'green'] };
const keywordEnum: WitType = { kind: 'enum', name: 'kw', cases: ['none', 'dark-GREEN'] };
const perms: WitType = { kind: 'flags', name: 'perms', flags: ['read', 'write-all', 'exec'] };
const file: WitType = { kind: 'own', resource: 'file' };

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    const err = e as LnError;
    expect(err.code).toBe('LN_ERR_CONFIG_INVOKE');
    return String(err.details.reason);
  }
  throw new Error('expected an LN_ERR_CONFIG_INVOKE error');
}

// ---- both directions ----------------------------------------------------------------------------
// [type, WAVE input, JS value jco takes/returns, canonical WAVE written back]
const ROUND_TRIPS: [string, WitType, string, unknown, string][] = [
  ['bool true', bool, 'true', true, 'true'],
  ['bool false', bool, ' false ', false, 'false'],
  ['u8 max', u8, '255', 255, '255'],
  ['s8 min', s8, '-128', -128, '-128'],
  ['u16 max', u16, '65535', 65535, '65535'],
  ['s16 min', s16, '-32768', -32768, '-32768'],
  ['u32 max', u32, '4294967295', 4294967295, '4294967295'],
  ['s32 min', s32, '-2147483648', -2147483648, '-2147483648'],
  ['s32 -0', s32, '-0', 0, '0'],
  ['u64 max', u64, '18446744073709551615', 18446744073709551615n, '18446744073709551615'],
  ['s64 min', s64, '-9223372036854775808', -9223372036854775808n, '-9223372036854775808'],
  ['f64', f64, '1.5', 1.5, '1.5'],
  ['f64 -0', f64, '-0', -0, '-0'],
  ['f64 -0.0', f64, '-0.0', -0, '-0'],
  ['f64 exponent', f64, '6.022e23', 6.022e23, '6.022e+23'],
  ['f64 small', f64, '1E-7', 1e-7, '1e-7'],
  ['f64 integer', f64, '42', 42, '42'],
  ['f64 nan', f64, 'nan', NaN, 'nan'],
  ['f64 inf', f64, 'inf', Infinity, 'inf'],
  ['f64 -inf', f64, '-inf', -Infinity, '-inf'],
  ['f32 shortest', f32, '0.1', Math.fround(0.1), '0.1'],
  ['f32 max', f32, '3.4028235e38', 3.4028234663852886e38, '3.4028235e+38'],
  ['char', char, "'x'", 'x', "'x'"],
  ['char quote', char, "'\\''", "'", "'\\''"],
  ['char double quote', char, `'"'`, '"', `'"'`],
  ['char emoji', char, "'\\u{1F600}'", '😀', "'😀'"],
  ['char nul', char, "'\\u{0}'", '\0', "'\\u{0}'"],
  ['char tab', char, "'\\t'", '\t', "'\\t'"],
  ['string empty', string, '""', '', '""'],
  ['string escapes', string, String.raw`"q\"b\\n\nt\tr\rs\'u\u{2603}"`, 'q"b\\n\nt\tr\rs\'u☃', String.raw`"q\"b\\n\nt\tr\rs'u☃"`],
  ['string bidi and zero-width escaped', string, '"a\u202eb\u200bc"', 'a\u202eb\u200bc', String.raw`"a\u{202e}b\u{200b}c"`],
  ['string control', string, String.raw`"\u{7}\u{7f}"`, '\u0007\u007f', String.raw`"\u{7}\u{7f}"`],
  ['string raw unicode', string, '"WAVE🌊 ü"', 'WAVE🌊 ü', '"WAVE🌊 ü"'],
  [
    'multiline string',
    string,
    '"""\n    Indentation determined\n      by ending delimiter\n  """',
    '  Indentation determined\n    by ending delimiter',
    String.raw`"  Indentation determined\n    by ending delimiter"`,
  ],
  ['multiline escapes and CRLF', string, '"""\r\n  quotes: ""\\" and \\\\\r\n  """', 'quotes: """ and \\', String.raw`"quotes: \"\"\" and \\"`],
  ['multiline empty', string, '"""\n"""', '', '""'],
  ['list<u8>', list(u8), '[1, 2, 255,]', Uint8Array.from([1, 2, 255]), '[1, 2, 255]'],
  ['list<u8> empty', list(u8), '[ ]', new Uint8Array(0), '[]'],
  ['list<s8>', list(s8), '[-1]', Int8Array.from([-1]), '[-1]'],
  ['list<u16>', list(u16), '[7]', Uint16Array.from([7]), '[7]'],
  ['list<s16>', list(s16), '[-7]', Int16Array.from([-7]), '[-7]'],
  ['list<u32>', list(u32), '[4294967295]', Uint32Array.from([4294967295]), '[4294967295]'],
  ['list<s32>', list(s32), '[-2]', Int32Array.from([-2]), '[-2]'],
  ['list<u64>', list(u64), '[18446744073709551615]', BigUint64Array.from([18446744073709551615n]), '[18446744073709551615]'],
  ['list<s64>', list(s64), '[-1]', BigInt64Array.from([-1n]), '[-1]'],
  ['list<f32>', list(f32), '[0.5, nan]', Float32Array.from([0.5, NaN]), '[0.5, nan]'],
  ['list<f64>', list(f64), '[0.5, -inf]', Float64Array.from([0.5, -Infinity]), '[0.5, -inf]'],
  ['list<string>', list(string), '["a", "b,]"]', ['a', 'b,]'], '["a", "b,]"]'],
  ['list<bool>', list(bool), '[true,false]', [true, false], '[true, false]'],
  ['list<char>', list(char), "['a']", ['a'], "['a']"],
  ['list<list<u8>>', list(list(u8)), '[[1], []]', [Uint8Array.from([1]), new Uint8Array(0)], '[[1], []]'],
  ['list<u8, 2> (fixed length)', list(u8, 2), '[1, 2]', [1, 2], '[1, 2]'],
  ['tuple', tuple(u32, string), '(1, "a")', [1, 'a'], '(1, "a")'],
  ['tuple trailing comma', tuple(u32), '(1,)', [1], '(1)'],
  ['record', point, '{y: 2, x: 1}', { x: 1, y: 2 }, '{x: 1, y: 2}'],
  [
    'record camelCase keys, optional field omitted',
    entry,
    '{HTTP3: true, x-coord: -1}',
    { xCoord: -1, label: undefined, http3: true },
    '{x-coord: -1, HTTP3: true}',
  ],
  [
    'record optional field given',
    entry,
    '{x-coord: 0, label: some("l"), HTTP3: false,}',
    { xCoord: 0, label: 'l', http3: false },
    '{x-coord: 0, label: some("l"), HTTP3: false}',
  ],
  ['record %-escaped field name', point, '{%x: 1, y: 2}', { x: 1, y: 2 }, '{x: 1, y: 2}'],
  ['empty record', allOptional, '{:}', { a: undefined, b: undefined }, '{:}'],
  ['record all none', allOptional, '{a: none, b: none}', { a: undefined, b: undefined }, '{:}'],
  ['variant with payload', shape, 'circle(1.5)', { tag: 'circle', val: 1.5 }, 'circle(1.5)'],
  ['variant without payload', shape, 'sq', { tag: 'sq' }, 'sq'],
  ['variant keyword case', shape, '%ok("fine")', { tag: 'ok', val: 'fine' }, '%ok("fine")'],
  ['variant option payload', shape, 'named-one(none)', { tag: 'named-one', val: undefined }, 'named-one(none)'],
  ['enum', color, 'green', 'green', 'green'],
  ['enum keyword case', keywordEnum, '%none', 'none', '%none'],
  ['enum uppercase word', keywordEnum, 'dark-GREEN', 'dark-GREEN', 'dark-GREEN'],
  ['flags', perms, '{write-all, read,}', { read: true, writeAll: true, exec: false }, '{read, write-all}'],
  ['flags empty', perms, '{}', { read: false, writeAll: false, exec: false }, '{}'],
  ['option some', option(u32), 'some(5)', 5, 'some(5)'],
  ['option flat some', option(u32), '5', 5, 'some(5)'],
  ['option none', option(u32), 'none', undefined, 'none'],
  ['option<option> none', option(option(u32)), 'none', { tag: 'none' }, 'none'],
  ['option<option> some(none)', option(option(u32)), 'some(none)', { tag: 'some', val: undefined }, 'some(none)'],
  ['option<option> some(some)', option(option(u32)), 'some(some(1))', { tag: 'some', val: 1 }, 'some(some(1))'],
  ['option<option<option>>> bare, tagged, bare', option(option(option(u32))), 'some(some(none))', { tag: 'some', val: undefined }, 'some(some(none))'],
  ['option<option<option>>> none', option(option(option(u32))), 'none', undefined, 'none'],
  ['option<result>', option(result(u32, null)), 'some(ok(1))', { tag: 'ok', val: 1 }, 'some(ok(1))'],
  ['result ok', result(u32, string), 'ok(1)', { tag: 'ok', val: 1 }, 'ok(1)'],
  ['result flat ok', result(u32, string), '1', { tag: 'ok', val: 1 }, 'ok(1)'],
  ['result err', result(u32, string), 'err("no")', { tag: 'err', val: 'no' }, 'err("no")'],
  ['result<_, string> ok', result(null, string), 'ok', { tag: 'ok', val: undefined }, 'ok'],
  ['result without payloads', result(null, null), 'err', { tag: 'err', val: undefined }, 'err'],
  ['comments and whitespace', list(u8), '[ // first\n 1, // second\n\t2 ]', Uint8Array.from([1, 2]), '[1, 2]'],
];

describe('WAVE ↔ jco values, every type kind', () => {
  it.each(ROUND_TRIPS)('%s', (_name, type, text, js, canonical) => {
    const parsed = waveToJs(text, type);
    expect(parsed).toStrictEqual(js);
    expect(jsToWave(parsed, type)).toBe(canonical);
    expect(waveToJs(canonical, type)).toStrictEqual(js);
  });

  it('keeps -0 and the f32 rounding', () => {
    expect(Object.is(waveToJs('-0', f64), -0)).toBe(true);
    expect(waveToJs('16777217', f32)).toBe(16777216);
    expect(jsToWave(Math.fround(1 / 3), f32)).toBe('0.33333334');
  });

  it('formats the bare ok value an export returns as well as the { tag, val } form', () => {
    expect(jsToWave(5, result(u32, string))).toBe('ok(5)');
    expect(jsToWave(undefined, result(null, string))).toBe('ok');
    expect(jsToWave({ tag: 'err', val: 'bad' }, result(u32, string))).toBe('err("bad")');
    expect(jsToWave({ tag: 'ok', val: { tag: 'err', val: 'x' } }, result(result(u32, string), string))).toBe('ok(err("x"))');
    expect(jsToWave({ x: 1, y: 2 }, result(point, null))).toBe('ok({x: 1, y: 2})');
  });

  it('refuses a bare ok value that could be mistaken for { tag, val }', () => {
    const err = (() => {
      try {
        jsToWave(7, result(result(u32, null), null));
      } catch (e) {
        return e as LnError;
      }
    })();
    expect(err?.code).toBe('LN_ERR_INTERNAL_UNEXPECTED');
    expect(err?.details.reason).toBe("cannot format a value of type result<result<u32>>: got number 7 (expected { tag: 'ok' | 'err', val })");
  });

  it('accepts plain arrays for numeric lists and null for none when formatting', () => {
    expect(jsToWave([1, 2], list(u8))).toBe('[1, 2]');
    expect(jsToWave([1n], list(u64))).toBe('[1]');
    expect(jsToWave(null, option(u8))).toBe('none');
  });

  it('reports a value of the wrong shape as an internal error with its path', () => {
    const err = (() => {
      try {
        jsToWave({ x: 1, y: 'two' }, point);
      } catch (e) {
        return e as LnError;
      }
    })();
    expect(err?.code).toBe('LN_ERR_INTERNAL_UNEXPECTED');
    expect(err?.details.reason).toBe('cannot format a value of type u32 at .y: got the string "two"');
  });

  it('cannot show resources', () => {
    expect(reasonOf(() => jsToWave(1, file, 'open()'))).toBe('the result holds a resource (own<file>), which WAVE and JSON cannot show');
    expect(reasonOf(() => jsToJson(1, file))).toBe('the result holds a resource (own<file>), which WAVE and JSON cannot show');
  });
});

describe('jsToJson', () => {
  const CASES: [string, WitType, unknown, unknown][] = [
    ['u64 safe', u64, 42n, 42],
    ['u64 max', u64, 18446744073709551615n, '18446744073709551615'],
    ['s64 min', s64, -9223372036854775808n, '-9223372036854775808'],
    ['f64 nan/inf', list(f64), Float64Array.from([NaN, Infinity, -Infinity, 0.5]), ['nan', 'inf', '-inf', 0.5]],
    ['list<u8>', list(u8), Uint8Array.from([1, 2]), [1, 2]],
    ['list<u64>', list(u64), BigUint64Array.from([1n, 2n ** 63n]), [1, '9223372036854775808']],
    ['char', char, '😀', '😀'],
    ['tuple', tuple(u32, string), [1, 'a'], [1, 'a']],
    ['record (WIT field names)', entry, { xCoord: 1, label: undefined, http3: true }, { 'x-coord': 1, label: null, HTTP3: true }],
    ['option none', option(u8), undefined, null],
    ['option some', option(u8), 3, 3],
    ['option<option> some(none)', option(option(u8)), { tag: 'some', val: undefined }, { some: null }],
    ['option<option> none', option(option(u8)), { tag: 'none' }, null],
    ['result ok', result(u32, string), { tag: 'ok', val: 1 }, { ok: 1 }],
    ['result bare ok', result(u32, string), 1, { ok: 1 }],
    ['result err without payload', result(u32, null), { tag: 'err', val: undefined }, { err: null }],
    ['variant', shape, { tag: 'circle', val: 2 }, { circle: 2 }],
    ['variant without payload', shape, { tag: 'sq' }, { sq: null }],
    ['enum', color, 'red', 'red'],
    ['flags', perms, { read: true, writeAll: true, exec: false }, ['read', 'write-all']],
  ];
  it.each(CASES)('%s', (_name, type, js, expected) => {
    expect(jsToJson(js, type)).toStrictEqual(expected);
  });
});

describe('parseInvocation', () => {
  const CASES: [string, string, string[]][] = [
    ['add(1, 2)', 'add', ['1', '2']],
    ['noargs()', 'noargs', []],
    ['  spaced ( 1 ,  "two" , )  ', 'spaced', ['1', '"two"']],
    ['liquid-nano:plugin/handler@0.1.0#handle({x: 1, y: [1, 2]})', 'liquid-nano:plugin/handler@0.1.0#handle', ['{x: 1, y: [1, 2]}']],
    ['[method]x.y(some("a, b)"), \'(\')', '[method]x.y', ['some("a, b)")', "'('"]],
    ['f(\n  // a comment\n  1, // one\n  [2] )', 'f', ['1', '[2]']],
    ['f("""\n  multi\n  """)', 'f', ['"""\n  multi\n  """']],
  ];
  it.each(CASES)('%j', (expr, name, args) => {
    expect(parseInvocation(expr)).toEqual({ name, args });
  });

  it('converts arguments against the parameters, with trailing options left out', () => {
    const params = [
      { name: 'a', type: u32 },
      { name: 'b', type: option(string) },
      { name: 'c', type: option(u8) },
    ];
    expect(invocationArgsToJs('f(1)', params)).toEqual([1, undefined, undefined]);
    expect(invocationArgsToJs('f(1, "x", some(2))', params)).toEqual([1, 'x', 2]);
    expect(invocationArgsToJs('f()', [])).toEqual([]);
  });
});

describe('errors name the place and what was expected', () => {
  const two = [
    { name: 'a', type: u32 },
    { name: 'b', type: u32 },
  ];
  const CASES: [string, () => unknown, string][] = [
    ['u32 out of range', () => invocationArgsToJs('f(1, 4294967296)', two), 'argument 2 (b: u32): 4294967296 is out of range for u32'],
    ['u64 out of range', () => waveToJs('18446744073709551616', u64), '18446744073709551616 is out of range for u64'],
    ['negative unsigned', () => waveToJs('-1', u8), '-1 is out of range for u8'],
    ['float for an integer', () => waveToJs('1.5', u32), 'expected an integer for u32, found 1.5'],
    ['f32 overflow', () => waveToJs('1e39', f32), '1e39 is out of range for f32'],
    ['f64 overflow', () => waveToJs('1e309', f64), '1e309 is out of range for f64'],
    ['unknown enum case', () => waveToJs('purple', color), 'unknown enum case "purple" (expected one of red, green)'],
    ['enum keyword unescaped', () => waveToJs('none', keywordEnum), 'none is a WAVE keyword; write the case of enum kw as %none'],
    ['missing field', () => waveToJs('{x: 1}', point), 'missing field "y" of record point'],
    ['unknown field', () => waveToJs('{x: 1, y: 2, z: 3}', point), 'at column 14: unknown field "z" of record point (expected one of x, y)'],
    ['duplicate field', () => waveToJs('{x: 1, x: 2}', point), 'at column 8: duplicate field "x"'],
    ['empty record as {}', () => waveToJs('{}', allOptional), 'record opts cannot be written {} (that is empty flags); an empty record is written {:}'],
    ['unknown flag', () => waveToJs('{read, fly}', perms), 'at column 8: unknown flag "fly" (expected one of read, write-all, exec)'],
    ['duplicate flag', () => waveToJs('{read, read}', perms), 'at column 8: duplicate flag "read"'],
    ['unknown variant case', () => waveToJs('square(1)', shape), 'unknown variant case "square" (expected one of circle, sq, ok, named-one)'],
    ['variant keyword unescaped', () => waveToJs('ok("x")', shape), 'ok is a WAVE keyword; write the case of variant shape as %ok'],
    ['variant missing payload', () => waveToJs('circle', shape), 'case circle of variant shape needs a payload of type f64, like circle(…)'],
    ['variant extra payload', () => waveToJs('sq(1)', shape), 'case sq of variant shape takes no payload'],
    ['nested type error', () => waveToJs('[1, "a"]', list(u32)), 'at column 5: expected u32, found a string'],
    ['position on a later line', () => waveToJs('[\n  1,\n  true]', list(u32)), 'at line 3, column 3: expected u32, found true'],
    ['fixed length', () => waveToJs('[1]', list(u8, 2)), 'expected exactly 2 elements for list<u8, 2>, found 1'],
    ['tuple arity', () => waveToJs('(1, 2)', tuple(u8)), 'expected 1 values for tuple<u8>, found 2'],
    ['char for string', () => waveToJs("'a'", string), 'expected string, found a char (strings use double quotes: "x")'],
    ['two chars', () => waveToJs("'ab'", char), 'at column 1: a char holds exactly one character; use a "string" for more'],
    ['unterminated string', () => waveToJs('"abc', string), 'at column 1: unterminated string (missing closing ")'],
    ['raw line break', () => waveToJs('"a\nb"', string), 'at column 3: a string cannot contain a raw line break; write \\n or use a """ multiline string'],
    ['invalid escape', () => waveToJs('"a\\qb"', string), 'at column 3: invalid escape "\\q" (expected one of \\\\ \\\' \\" \\t \\n \\r \\u{…})'],
    ['surrogate escape', () => waveToJs('"\\u{d800}"', string), 'at column 2: invalid escape \\u{d800}: not a Unicode scalar value'],
    ['escape past U+10FFFF', () => waveToJs("'\\u{110000}'", char), 'at column 2: invalid escape \\u{110000}: not a Unicode scalar value'],
    ['multiline without line break', () => waveToJs('"""abc\n"""', string), 'at column 1: opening """ must be followed immediately by a line break'],
    [
      'multiline dedent',
      () => waveToJs('"""\nabc\n  """', string),
      'at line 2, column 1: each line of a multiline string must be indented at least as much as the closing """',
    ],
    ['unclosed list', () => waveToJs('[1, 2', list(u8)), 'at column 6: expected "," or "]" after list element, found end of input'],
    ['double comma', () => waveToJs('[1,,2]', list(u8)), 'at column 4: expected a value, found ","'],
    ['trailing input', () => waveToJs('1 2', u8), 'at column 3: expected end of input after the value, found number 2'],
    ['empty input', () => waveToJs('  ', u8), 'at column 3: expected a value, found end of input'],
    ['bad number', () => waveToJs('0x10', u32), 'at column 1: invalid number "0x10" (numbers are decimal, like 42, -7, 1.5, 6.02e23, nan, inf, -inf)'],
    ['leading zero', () => waveToJs('007', u32), 'at column 1: invalid number "007" (numbers are decimal, like 42, -7, 1.5, 6.02e23, nan, inf, -inf)'],
    [
      'mixed-case label',
      () => waveToJs('Red', color),
      'at column 1: invalid label "Red" (labels are kebab-case words, each all lowercase or all uppercase, like dark-green)',
    ],
    ['some without payload', () => waveToJs('some', option(u8)), 'at column 1: some needs a payload, like some(1)'],
    ['none with payload', () => waveToJs('none(1)', option(u8)), 'at column 5: none takes no payload'],
    ['nested option must be explicit', () => waveToJs('5', option(option(u8))), 'expected option<option<u8>>, found 5 (write some(…) or none)'],
    ['result payload missing', () => waveToJs('err', result(u32, string)), 'err needs a payload of type string, like err(…)'],
    ['result payload unexpected', () => waveToJs('ok(1)', result(null, string)), 'ok takes no payload in result<_, string>'],
    ['empty tuple', () => waveToJs('()', tuple(u8)), 'at column 1: empty tuple "()" is not a value'],
    ['unexpected character', () => waveToJs('$', u8), 'at column 1: unexpected character "$"'],
    ['invisible character', () => waveToJs('\u00a01', u8), 'at column 1: unexpected character U+00A0'],
    ['lone surrogate in a string', () => waveToJs('"a\ud800"', string), 'at column 3: strings must be Unicode scalar values, found a lone surrogate'],
    [
      'resource parameter',
      () => invocationArgsToJs('close(1)', [{ name: 'f', type: file }]),
      'argument 1 (f: own<file>): a resource (own<file>) cannot be written as a WAVE value, so this function cannot be called with --invoke',
    ],
    ['too many arguments', () => invocationArgsToJs('f(1, 2, 3)', two), 'at column 9: expected 2 arguments (a: u32, b: u32), found 3'],
    ['missing argument', () => invocationArgsToJs('f(1)', two), 'missing argument 2 (b: u32); the function takes (a: u32, b: u32)'],
    ['argument type, positioned in the expression', () => invocationArgsToJs('f(1, [2])', two), 'argument 2 (b: u32): expected u32, found a list'],
    [
      'nested argument error',
      () => invocationArgsToJs('f({x: 1, y: -1})', [{ name: 'p', type: point }]),
      'argument 1 (p: point): at column 13: -1 is out of range for u32',
    ],
    ['no name', () => parseInvocation('(1)'), 'at column 1: expected a function name before "("'],
    ['no parenthesis', () => parseInvocation('run'), 'at column 4: expected "(" after the function name "run", found end of input'],
    ['bad name character', () => parseInvocation('ru$n()'), 'at column 3: unexpected character "$" in function name "ru"'],
    ['unclosed call', () => parseInvocation('f(1'), 'at column 4: expected "," or ")" after argument 1, found end of input'],
    ['text after the call', () => parseInvocation('f(1) x'), 'at column 6: expected end of input after the closing ")", found label x'],
  ];
  it.each(CASES)('%s', (_name, fn, reason) => {
    expect(reasonOf(fn)).toBe(reason);
  });

  it('puts the expression in the details, shortened', () => {
    const long = `f("${'a'.repeat(500)}`;
    try {
      parseInvocation(long);
    } catch (e) {
      const err = e as LnError;
      expect(String(err.details.expr).length).toBeLessThanOrEqual(121);
      expect(err.message).toMatch(/^Cannot call "f\("a+…": at column 3: unterminated string/);
    }
  });
});

describe('hostile input', () => {
  it('rejects 10k nested brackets with a clear error, not a stack overflow', () => {
    expect(reasonOf(() => waveToJs('['.repeat(10_000) + ']'.repeat(10_000), list(u8)))).toBe('at column 101: value nested deeper than 100 levels');
    expect(reasonOf(() => parseInvocation(`f(${'some('.repeat(10_000)}`))).toMatch(/value nested deeper than 100 levels$/);
    expect(reasonOf(() => waveToJs('{a: '.repeat(10_000), allOptional))).toMatch(/value nested deeper than 100 levels$/);
  });

  it('accepts 100 levels', () => {
    let type: WitType = u8;
    for (let i = 1; i < 100; i++) type = list(type);
    const text = `${'['.repeat(99)}1${']'.repeat(99)}`;
    expect(jsToWave(waveToJs(text, type), type)).toBe(text);
  });

  it('handles a 1 MB string and a 1 MB number quickly', () => {
    const big = 'x'.repeat(1 << 20);
    const started = performance.now();
    expect(waveToJs(`"${big}\\n"`, string)).toBe(`${big}\n`);
    expect(jsToWave(big, string)).toBe(`"${big}"`);
    expect(reasonOf(() => waveToJs('9'.repeat(1 << 20), u64))).toBe(`${'9'.repeat(40)}… is out of range for u64`);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('handles a 100k-element list', () => {
    const text = `[${Array.from({ length: 100_000 }, (_, i) => i % 256).join(', ')}]`;
    const bytes = waveToJs(text, list(u8)) as Uint8Array;
    expect(bytes.length).toBe(100_000);
    expect(jsToWave(bytes, list(u8))).toBe(text);
  });

  it('escapes terminal control characters coming from a guest', () => {
    expect(jsToWave('\u001b[31mred\u001b[0m\u2028', string)).toBe(String.raw`"\u{1b}[31mred\u{1b}[0m\u{2028}"`);
  });
});

// ---- a real round trip through jco's generated bindings ------------------------------------------
// The core module echoes its (label, counts) record: it stores the four flat values (pointer and
// length of the string, pointer and length of the list) at address 16 and returns that address.
const ECHO_WAT = `(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $next (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 16)))))
    (local.get $p))
  (func (export "test:echo/api#echo") (param i32 i32 i32 i32) (result i32)
    (i32.store offset=0 (i32.const 16) (local.get 0))
    (i32.store offset=4 (i32.const 16) (local.get 1))
    (i32.store offset=8 (i32.const 16) (local.get 2))
    (i32.store offset=12 (i32.const 16) (local.get 3))
    (i32.const 16)))`;
const ECHO_WIT = `package test:echo;
interface api {
  record entry { label: string, counts: list<u32> }
  echo: func(e: entry) -> entry;
}
world echo { export api; }`;
const entryType: WitType = {
  kind: 'record',
  name: 'entry',
  fields: [
    { name: 'label', type: string },
    { name: 'counts', type: list(u32) },
  ],
};

describe('round trip through real jco bindings', () => {
  let dir = '';
  let echo: (e: unknown) => unknown;

  beforeAll(async () => {
    const embedded = await componentEmbed({ binary: await parse(ECHO_WAT), witSource: ECHO_WIT });
    const out = await transpileBytes(await componentNew(embedded), { name: 'echo', instantiation: 'async', emitTypescriptDeclarations: false });
    dir = mkdtempSync(join(tmpdir(), 'ln-wave-'));
    for (const [name, bytes] of Object.entries(out.files)) writeFileSync(join(dir, name), bytes);
    const mod = (await import(pathToFileURL(join(dir, 'echo.js')).href)) as {
      instantiate(get: (path: string) => Promise<WebAssembly.Module>, imports: object): Promise<{ api: { echo(e: unknown): unknown } }>;
    };
    const instance = await mod.instantiate((path) => WebAssembly.compile(readFileSync(join(dir, path))), {});
    echo = instance.api.echo;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('parses the arguments, calls the export and formats what it returns', () => {
    const expr = 'test:echo/api#echo({counts: [1, 2, 4294967295], label: "h\\u{e9}llo \\"w\\"\\n😀"})';
    const { name } = parseInvocation(expr);
    expect(name).toBe('test:echo/api#echo');
    const [arg] = invocationArgsToJs(expr, [{ name: 'e', type: entryType }]);
    expect(arg).toStrictEqual({ label: 'héllo "w"\n😀', counts: Uint32Array.from([1, 2, 4294967295]) });
    const returned = echo(arg);
    expect(returned).toStrictEqual(arg); // jco lifts list<u32> as a Uint32Array too
    expect(jsToWave(returned, entryType)).toBe('{label: "héllo \\"w\\"\\n😀", counts: [1, 2, 4294967295]}');
    expect(jsToJson(returned, entryType)).toStrictEqual({ label: 'héllo "w"\n😀', counts: [1, 2, 4294967295] });
  });
});
