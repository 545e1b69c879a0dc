// Issue 14 item 5: one depth limit for every JSON the host accepts.
import { describe, expect, it } from 'vitest';
import { jsonTextTooDeep, MAX_JSON_DEPTH, parseJson, valueTooDeep } from '../../../host/support/json-depth.js';

const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const refuse = (why: { kind: string }) => new Error(why.kind);

describe('jsonTextTooDeep', () => {
  it('counts objects and arrays, and refuses one level past the limit', () => {
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonTextTooDeep(`${'{"a":'.repeat(4)}[1]}}}}`, 4)).toBe(true);
    expect(jsonTextTooDeep('[[1],[2],{"a":[3]}]', 3)).toBe(false);
  });

  it('skips brackets inside strings, escaped quotes included', () => {
    expect(jsonTextTooDeep(JSON.stringify({ text: '['.repeat(500) }), 2)).toBe(false);
    expect(jsonTextTooDeep(JSON.stringify({ text: `\\"${'{'.repeat(500)}` }), 2)).toBe(false);
    expect(jsonTextTooDeep(`["\\\\",${nested(3)}]`, 3)).toBe(true); // an escaped backslash ends the string's escapes
  });
});

describe('parseJson', () => {
  it("parses, and refuses invalid or too deep text through the caller's error", () => {
    expect(parseJson('{"a":[1]}', refuse)).toEqual({ a: [1] });
    expect(() => parseJson('{nope', refuse)).toThrow('invalid');
    expect(() => parseJson(nested(5000), refuse)).toThrow('tooDeep');
  });
});

describe('valueTooDeep', () => {
  it('walks parsed values (YAML) without running out of stack', () => {
    const deep = JSON.parse(nested(100_000)) as unknown;
    expect(valueTooDeep(deep)).toBe(true);
    expect(valueTooDeep(JSON.parse(nested(MAX_JSON_DEPTH)))).toBe(false);
    expect(valueTooDeep({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(valueTooDeep({ a: [{ b: [] }] }, 3)).toBe(true);
    expect(valueTooDeep('scalar', 0)).toBe(false);
  });
});
