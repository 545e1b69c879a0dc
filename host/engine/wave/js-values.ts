/**
 * The JS values of jco's generated bindings (jco-transpile 0.15, `instantiation: 'async'`), and the
 * typed step of WAVE parsing: a WAVE syntax tree checked against a WIT type becomes such a value.
 *
 * jco's conventions, confirmed by reading the lifting/lowering code it generates
 * (`test/unit/engine/wave/wave.test.ts` round-trips through real bindings):
 * - bool → boolean; s8…u32, f32, f64 → number; s64, u64 → bigint; char → a one-code-point string.
 * - list<T> of a numeric T (u8…s64, f32, f64) → the matching typed array (Uint8Array, Int8Array,
 *   Uint16Array, Int16Array, Uint32Array, Int32Array, BigUint64Array, BigInt64Array,
 *   Float32Array, Float64Array); lowering also accepts a plain array. Other lists → Array.
 *   A fixed-length `list<T, N>` → a plain Array of N values.
 * - tuple → Array; record → object keyed by lowerCamelCase field names (`x-coord` → `xCoord`,
 *   `HTTP3` → `http3`), every field present.
 * - variant → `{ tag, val }` with the case name kept as written in WIT (kebab-case); a case without
 *   payload lifts as `{ tag }`. enum → the case name string. flags → an object with a boolean
 *   for every flag, keyed by lowerCamelCase names (lowering reads only those keys).
 * - option<T> → `T | undefined` (lowering also takes null), unless T itself lifts to something
 *   that can be undefined: then `{ tag: 'some', val } | { tag: 'none' }`. So option<option<u32>>
 *   is tagged outside and bare inside, and option<option<option<u32>>> is bare, tagged, bare.
 * - result<T, E> → `{ tag: 'ok' | 'err', val }` (val undefined without payload), except the
 *   result returned by an export: with jco-transpile's default `noComponentErrorWrapping: true`
 *   the binding returns the ok payload and throws the err payload as is (not wrapped in an Error).
 * - own/borrow → resource handles, which WAVE cannot write.
 */
import type { WitPrimitive, WitType } from '../component-types/wit-types.js';
import { clip, WAVE_KEYWORDS, type WaveContext, type WaveNode, waveError } from './wave-parser.js';

/** A value's context: errors point at a node's column unless it starts the value (`valueStart`). */
export interface ValueContext extends WaveContext {
  readonly valueStart: number;
}

/** The WIT spelling of a type, for messages: `u32`, `list<string>`, `result<_, string>`, `point`. */
export function describeType(t: WitType): string {
  switch (t.kind) {
    case 'primitive':
      return t.name;
    case 'list':
      return t.length === undefined ? `list<${describeType(t.element)}>` : `list<${describeType(t.element)}, ${t.length}>`;
    case 'option':
      return `option<${describeType(t.inner)}>`;
    case 'result':
      if (!t.ok && !t.err) return 'result';
      if (!t.err) return `result<${describeType(t.ok as WitType)}>`;
      return `result<${t.ok ? describeType(t.ok) : '_'}, ${describeType(t.err)}>`;
    case 'tuple':
      return `tuple<${t.items.map(describeType).join(', ')}>`;
    case 'record':
    case 'variant':
    case 'enum':
    case 'flags':
      return t.name ?? t.kind;
    case 'own':
      return `own<${t.resource}>`;
    case 'borrow':
      return `borrow<${t.resource}>`;
    case 'unknown':
      return t.description;
  }
}

/** `record point`, or `the record` for an anonymous one. */
function named(t: { kind: string; name: string | null }): string {
  return t.name ? `${t.kind} ${t.name}` : `the ${t.kind}`;
}

/** jco's JS name for a record field or flag: lowerCamelCase of the kebab-case WIT name. */
export function jsFieldName(witName: string): string {
  return witName
    .split('-')
    .map((word, i) => {
      const lower = word.toLowerCase();
      return i === 0 ? lower : lower.charAt(0).toUpperCase() + lower.slice(1);
    })
    .join('');
}

/** Whether jco represents this option as `T | undefined` (true) or as `{ tag: 'some' | 'none' }`. */
export function optionIsBare(t: WitType & { kind: 'option' }): boolean {
  return !(t.inner.kind === 'option' && optionIsBare(t.inner));
}

type TypedArrayCtor = { from(values: Iterable<number | bigint>): ArrayLike<number | bigint> };

/** The typed array jco uses for a list of each numeric primitive. */
export const TYPED_ARRAYS: Partial<Record<WitPrimitive, TypedArrayCtor>> = {
  u8: Uint8Array,
  s8: Int8Array,
  u16: Uint16Array,
  s16: Int16Array,
  u32: Uint32Array,
  s32: Int32Array,
  u64: BigUint64Array as unknown as TypedArrayCtor,
  s64: BigInt64Array as unknown as TypedArrayCtor,
  f32: Float32Array,
  f64: Float64Array,
};

/** Inclusive ranges of the integer primitives. */
export const INT_RANGES: Partial<Record<WitPrimitive, readonly [bigint, bigint]>> = {
  u8: [0n, 255n],
  s8: [-128n, 127n],
  u16: [0n, 65535n],
  s16: [-32768n, 32767n],
  u32: [0n, 4294967295n],
  s32: [-2147483648n, 2147483647n],
  u64: [0n, 18446744073709551615n],
  s64: [-9223372036854775808n, 9223372036854775807n],
};

/** A `some`/`ok` payload may be written bare ("flat") unless it is itself an option or result. */
function flattenable(t: WitType): boolean {
  return t.kind !== 'option' && t.kind !== 'result';
}

function describeNode(n: WaveNode): string {
  switch (n.kind) {
    case 'number':
      return clip(n.text);
    case 'bool':
      return String(n.value);
    case 'char':
      return 'a char';
    case 'string':
      return 'a string';
    case 'list':
      return 'a list';
    case 'tuple':
      return 'a tuple';
    case 'record':
      return 'a record';
    case 'flags':
      return n.flags.length ? 'flags' : '{}';
    case 'label':
      return `the label ${n.name}`;
    case 'case':
      return `the case ${n.name}(…)`;
    case 'some':
      return 'some(…)';
    case 'none':
      return 'none';
    case 'ok':
    case 'err':
      return n.payload ? `${n.kind}(…)` : n.kind;
  }
}

/** The keyword a node was written as, if any (`true`, `nan`, `some`, …). */
function keywordOf(n: WaveNode): string | null {
  if (n.kind === 'bool') return String(n.value);
  if (n.kind === 'number' && (n.text === 'inf' || n.text === 'nan')) return n.text;
  if (n.kind === 'some' || n.kind === 'none' || n.kind === 'ok' || n.kind === 'err') return n.kind;
  return null;
}

function fail(ctx: ValueContext, n: WaveNode, message: string): never {
  return waveError(ctx, message, n.start === ctx.valueStart ? undefined : n.start);
}

function mismatch(ctx: ValueContext, n: WaveNode, t: WitType, hint = ''): never {
  return fail(ctx, n, `expected ${describeType(t)}, found ${describeNode(n)}${hint}`);
}

function expectedOneOf(names: readonly string[]): string {
  const shown = names.slice(0, 20).join(', ');
  return names.length > 20 ? `${shown}, …` : shown;
}

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

function toNumber(ctx: ValueContext, n: WaveNode, t: WitType & { kind: 'primitive' }): number | bigint {
  if (n.kind !== 'number') return mismatch(ctx, n, t);
  const range = INT_RANGES[t.name];
  if (range) {
    if (!INTEGER.test(n.text)) return fail(ctx, n, `expected an integer for ${t.name}, found ${clip(n.text)}`);
    // No 64-bit integer has more than 20 digits; skip parsing hostile megabyte-long numbers.
    // Up to 32 bits, Number is exact and much faster than BigInt.
    const wide = t.name === 'u64' || t.name === 's64';
    const value = n.text.length > 24 ? null : wide ? BigInt(n.text) : Number(n.text);
    if (value === null || value < range[0] || value > range[1]) return fail(ctx, n, `${clip(n.text)} is out of range for ${t.name}`);
    return value === 0 ? 0 : value; // -0 is 0 for integers
  }
  if (n.text === 'nan') return NaN;
  if (n.text === 'inf' || n.text === '-inf') return n.text === 'inf' ? Infinity : -Infinity;
  const v = Number(n.text);
  const stored = t.name === 'f32' ? Math.fround(v) : v;
  if (!Number.isFinite(stored)) return fail(ctx, n, `${clip(n.text)} is out of range for ${t.name}`);
  return stored;
}

function primitiveToJs(ctx: ValueContext, n: WaveNode, t: WitType & { kind: 'primitive' }): unknown {
  switch (t.name) {
    case 'bool':
      return n.kind === 'bool' ? n.value : mismatch(ctx, n, t, ' (write true or false)');
    case 'char':
      return n.kind === 'char' ? n.value : mismatch(ctx, n, t, n.kind === 'string' ? " (chars use single quotes: 'x')" : '');
    case 'string':
      return n.kind === 'string' ? n.value : mismatch(ctx, n, t, n.kind === 'char' ? ' (strings use double quotes: "x")' : '');
    default:
      return toNumber(ctx, n, t);
  }
}

/** Converts a WAVE syntax tree of WIT type `t` to the value jco's bindings take for `t`. */
export function nodeToJs(ctx: ValueContext, n: WaveNode, t: WitType): unknown {
  switch (t.kind) {
    case 'primitive':
      return primitiveToJs(ctx, n, t);
    case 'list': {
      if (n.kind !== 'list') return mismatch(ctx, n, t, ' (lists are written [a, b])');
      if (t.length !== undefined && n.items.length !== t.length) {
        return fail(ctx, n, `expected exactly ${t.length} elements for ${describeType(t)}, found ${n.items.length}`);
      }
      const values = n.items.map((item) => nodeToJs(ctx, item, t.element));
      const typed = t.length === undefined && t.element.kind === 'primitive' ? TYPED_ARRAYS[t.element.name] : undefined;
      return typed ? typed.from(values as Iterable<number | bigint>) : values;
    }
    case 'tuple': {
      if (n.kind !== 'tuple') return mismatch(ctx, n, t, ' (tuples are written (a, b))');
      if (n.items.length !== t.items.length) {
        return fail(ctx, n, `expected ${t.items.length} values for ${describeType(t)}, found ${n.items.length}`);
      }
      return n.items.map((item, i) => nodeToJs(ctx, item, t.items[i] as WitType));
    }
    case 'option': {
      let payload: WaveNode | null;
      if (n.kind === 'none') payload = null;
      else if (n.kind === 'some') payload = n.payload;
      else if (flattenable(t.inner)) payload = n;
      else return mismatch(ctx, n, t, ' (write some(…) or none)');
      const value = payload === null ? undefined : nodeToJs(ctx, payload, t.inner);
      if (optionIsBare(t)) return value;
      return payload === null ? { tag: 'none' } : { tag: 'some', val: value };
    }
    case 'result': {
      if (n.kind === 'ok' || n.kind === 'err') {
        const payloadType = n.kind === 'ok' ? t.ok : t.err;
        if (payloadType && !n.payload) return fail(ctx, n, `${n.kind} needs a payload of type ${describeType(payloadType)}, like ${n.kind}(…)`);
        if (!payloadType && n.payload) return fail(ctx, n, `${n.kind} takes no payload in ${describeType(t)}`);
        return { tag: n.kind, val: payloadType && n.payload ? nodeToJs(ctx, n.payload, payloadType) : undefined };
      }
      if (t.ok && flattenable(t.ok)) return { tag: 'ok', val: nodeToJs(ctx, n, t.ok) };
      return mismatch(ctx, n, t, ' (write ok(…) or err(…))');
    }
    case 'record':
      return recordToJs(ctx, n, t);
    case 'variant': {
      const [name, payload] = caseOf(
        ctx,
        n,
        t,
        t.cases.map((c) => c.name),
      );
      const c = t.cases.find((k) => k.name === name);
      if (!c) return fail(ctx, n, `unknown variant case "${name}" (expected one of ${expectedOneOf(t.cases.map((k) => k.name))})`);
      if (c.type && !payload) return fail(ctx, n, `case ${name} of ${named(t)} needs a payload of type ${describeType(c.type)}, like ${name}(…)`);
      if (!c.type && payload) return fail(ctx, n, `case ${name} of ${named(t)} takes no payload`);
      return c.type && payload ? { tag: name, val: nodeToJs(ctx, payload, c.type) } : { tag: name };
    }
    case 'enum': {
      const [name, payload] = caseOf(ctx, n, t, t.cases);
      if (payload) return fail(ctx, n, `enum cases take no payload, found ${name}(…)`);
      if (!t.cases.includes(name)) return fail(ctx, n, `unknown enum case "${name}" (expected one of ${expectedOneOf(t.cases)})`);
      return name;
    }
    case 'flags': {
      if (n.kind !== 'flags') return mismatch(ctx, n, t, ' (flags are written {a, b} or {})');
      const out: Record<string, boolean> = {};
      for (const f of t.flags) out[jsFieldName(f)] = false;
      for (const f of n.flags) {
        if (!t.flags.includes(f.name)) {
          waveError(ctx, `unknown flag "${f.name}" (expected one of ${expectedOneOf(t.flags)})`, f.start);
        }
        out[jsFieldName(f.name)] = true;
      }
      return out;
    }
    case 'own':
    case 'borrow':
      return fail(ctx, n, `a resource (${describeType(t)}) cannot be written as a WAVE value, so this function cannot be called with --invoke`);
    case 'unknown':
      return fail(ctx, n, `values of type ${t.description} are not supported`);
  }
}

/** The case name and payload a node names, for a variant or enum with the given case names. */
function caseOf(ctx: ValueContext, n: WaveNode, t: WitType, cases: readonly string[]): [string, WaveNode | null] {
  if (n.kind === 'label') return [n.name, null];
  if (n.kind === 'case') return [n.name, n.payload];
  const keyword = keywordOf(n);
  if (keyword && cases.includes(keyword)) {
    return fail(ctx, n, `${keyword} is a WAVE keyword; write the case of ${named(t as { kind: string; name: string | null })} as %${keyword}`);
  }
  return mismatch(ctx, n, t);
}

function recordToJs(ctx: ValueContext, n: WaveNode, t: WitType & { kind: 'record' }): unknown {
  if (n.kind === 'flags' && n.flags.length === 0) {
    return fail(ctx, n, `${named(t)} cannot be written {} (that is empty flags); an empty record is written {:}`);
  }
  if (n.kind !== 'record') return mismatch(ctx, n, t, n.kind === 'flags' ? ' (record fields are written name: value)' : '');
  const given = new Map(n.fields.map((f) => [f.name, f]));
  for (const f of n.fields) {
    if (!t.fields.some((wf) => wf.name === f.name)) {
      waveError(ctx, `unknown field "${f.name}" of ${named(t)} (expected one of ${expectedOneOf(t.fields.map((wf) => wf.name))})`, f.start);
    }
  }
  const out: Record<string, unknown> = {};
  for (const wf of t.fields) {
    const f = given.get(wf.name);
    if (f) out[jsFieldName(wf.name)] = nodeToJs(ctx, f.value, wf.type);
    else if (wf.type.kind === 'option') out[jsFieldName(wf.name)] = optionIsBare(wf.type) ? undefined : { tag: 'none' };
    else fail(ctx, n, `missing field "${wf.name}" of ${named(t)}`);
  }
  return out;
}

/** Whether `name` must be written `%name` as a case or enum label. */
export function needsEscape(name: string): boolean {
  return WAVE_KEYWORDS.has(name);
}
