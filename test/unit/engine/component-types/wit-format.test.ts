import { describe, expect, it } from 'vitest';
import { formatWitFunction, formatWitName, formatWitType } from '../../../../host/engine/component-types/wit-format.js';
import type { WitType } from '../../../../host/engine/component-types/wit-types.js';

const u32: WitType = { kind: 'primitive', name: 'u32' };
const string: WitType = { kind: 'primitive', name: 'string' };

describe('formatWitType', () => {
  it('writes built-in generic types', () => {
    expect(formatWitType({ kind: 'list', element: { kind: 'tuple', items: [string, string] } })).toBe('list<tuple<string, string>>');
    expect(formatWitType({ kind: 'list', element: u32, length: 4 })).toBe('list<u32, 4>');
    expect(formatWitType({ kind: 'option', inner: string })).toBe('option<string>');
  });

  it('writes every shape of result', () => {
    expect(formatWitType({ kind: 'result', ok: null, err: null })).toBe('result');
    expect(formatWitType({ kind: 'result', ok: u32, err: null })).toBe('result<u32>');
    expect(formatWitType({ kind: 'result', ok: null, err: string })).toBe('result<_, string>');
    expect(formatWitType({ kind: 'result', ok: u32, err: string })).toBe('result<u32, string>');
  });

  it('writes named types by name and anonymous ones in full', () => {
    const fields = [
      { name: 'type', type: string },
      { name: 'n', type: u32 },
    ];
    expect(formatWitType({ kind: 'record', name: 'event', fields })).toBe('event');
    expect(formatWitType({ kind: 'record', name: null, fields })).toBe('record { %type: string, n: u32 }');
    expect(
      formatWitType({
        kind: 'variant',
        name: null,
        cases: [
          { name: 'a', type: u32 },
          { name: 'b', type: null },
        ],
      }),
    ).toBe('variant { a(u32), b }');
    expect(formatWitType({ kind: 'enum', name: 'level', cases: ['info'] })).toBe('level');
    expect(formatWitType({ kind: 'flags', name: null, flags: ['read', 'write'] })).toBe('flags { read, write }');
  });

  it('writes handles: owned as the resource name, borrowed as borrow<name>', () => {
    expect(formatWitType({ kind: 'own', resource: 'output-stream' })).toBe('output-stream');
    expect(formatWitType({ kind: 'borrow', resource: 'output-stream' })).toBe('borrow<output-stream>');
    expect(formatWitType({ kind: 'unknown', description: 'stream<u8>' })).toBe('stream<u8>');
  });

  it('stops at maxLength', () => {
    let t: WitType = u32;
    for (let i = 0; i < 50; i++) t = { kind: 'option', inner: t };
    expect(formatWitType(t, { maxLength: 20 })).toBe('option<option<option…');
    expect(formatWitType(t)).toBe(`${'option<'.repeat(50)}u32${'>'.repeat(50)}`);
  });
});

describe('formatWitFunction', () => {
  it('writes parameters and the result', () => {
    expect(
      formatWitFunction({
        name: 'add',
        params: [
          { name: 'a', type: u32 },
          { name: 'b', type: u32 },
        ],
        result: u32,
      }),
    ).toBe('func(a: u32, b: u32) -> u32');
    expect(formatWitFunction({ name: 'teardown', params: [], result: null })).toBe('func()');
  });

  it('escapes parameter names that are WIT keywords', () => {
    expect(formatWitName('type')).toBe('%type');
    expect(formatWitName('event')).toBe('event');
    expect(formatWitFunction({ name: 'f', params: [{ name: 'list', type: u32 }], result: null })).toBe('func(%list: u32)');
  });
});
