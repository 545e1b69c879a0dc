/**
 * Formatting of the JS values jco's bindings return: as WAVE text (`formatWave`) and as plain
 * JSON (`toJson`). Both walk the value along its WIT type; conventions are listed in `js-values.ts`.
 */
import { LnError } from '../../errors/ln-error.js';
import type { WitType } from '../component-types/wit-types.js';
import { describeType, INT_RANGES, jsFieldName, needsEscape, optionIsBare } from './js-values.js';
import { clip } from './wave-parser.js';

/** A walk along a value: the path (for messages; numbers are list indexes) and the `expr` resource errors report. */
interface Walk {
  readonly path: (string | number)[];
  readonly expr: string;
}

function describeJs(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'string') return `the string "${clip(v)}"`;
  if (typeof v === 'object') return `an object with keys ${clip(Object.keys(v).join(', ')) || '(none)'}`;
  return `${typeof v} ${clip(String(v))}`;
}

/** The JS value does not have the shape jco gives values of this type: a host bug, not user input. */
function wrongShape(w: Walk, t: WitType, v: unknown, detail = ''): never {
  const at = w.path.length ? ` at ${w.path.map((s) => (typeof s === 'number' ? `[${s}]` : s)).join('')}` : '';
  throw new LnError('LN_ERR_INTERNAL_UNEXPECTED', {
    reason: `cannot format a value of type ${describeType(t)}${at}: got ${describeJs(v)}${detail}`,
  });
}

function unsupported(w: Walk, t: WitType): never {
  const what =
    t.kind === 'own' || t.kind === 'borrow'
      ? `the result holds a resource (${describeType(t)}), which WAVE and JSON cannot show`
      : `values of type ${describeType(t)} are not supported`;
  throw new LnError('LN_ERR_CONFIG_INVOKE', { expr: clip(w.expr, 120), reason: what });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function isList(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/** Whether an ok value of this type could itself look like `{ tag: 'ok' | 'err', val }`. */
function okMayLookTagged(t: WitType | null): boolean {
  if (!t) return false;
  if (t.kind === 'result') return true;
  if (t.kind === 'variant') return t.cases.some((c) => c.name === 'ok' || c.name === 'err');
  if (t.kind === 'option') return optionIsBare(t) && okMayLookTagged(t.inner);
  return false;
}

/**
 * Reads a result: the `{ tag, val }` form, or (for an export's return value, which jco unwraps)
 * the bare ok payload. When the ok payload could itself look like `{ tag: 'ok' | 'err' }` (a
 * nested result, a variant with an `ok`/`err` case), only the tagged form is accepted.
 */
function readResult(w: Walk, t: WitType & { kind: 'result' }, v: unknown): ['ok' | 'err', unknown] {
  if (isObject(v) && (v.tag === 'ok' || v.tag === 'err') && Object.keys(v).every((k) => k === 'tag' || k === 'val')) {
    return [v.tag, v.val];
  }
  if (okMayLookTagged(t.ok)) return wrongShape(w, t, v, " (expected { tag: 'ok' | 'err', val })");
  return ['ok', v];
}

/** Reads an option; returns null for none, else a one-element array holding the payload. */
function readOption(w: Walk, t: WitType & { kind: 'option' }, v: unknown): [unknown] | null {
  if (optionIsBare(t)) return v === undefined || v === null ? null : [v];
  if (isObject(v) && v.tag === 'none') return null;
  if (isObject(v) && v.tag === 'some') return [v.val];
  return wrongShape(w, t, v, " (expected { tag: 'some', val } or { tag: 'none' })");
}

function readVariant(w: Walk, t: WitType & { kind: 'variant' }, v: unknown): [string, WitType | null, unknown] {
  const c = isObject(v) ? t.cases.find((k) => k.name === v.tag) : undefined;
  if (!c || !isObject(v)) return wrongShape(w, t, v, ` (expected { tag, val } with tag one of ${t.cases.map((k) => k.name).join(', ')})`);
  return [c.name, c.type, v.val];
}

/** Reads an integer (a number, or a bigint for any width) and checks its range. */
function readInteger(w: Walk, t: WitType & { kind: 'primitive' }, v: unknown): number | bigint {
  const range = INT_RANGES[t.name] as readonly [bigint, bigint];
  const ok = typeof v === 'number' ? Number.isInteger(v) && v >= range[0] && v <= range[1] : typeof v === 'bigint' && v >= range[0] && v <= range[1];
  return ok ? (v as number | bigint) : wrongShape(w, t, v);
}

/** Walks into a child: pushes its path step, runs `fn`, pops. (No `finally`: an error ends the walk.) */
function within<T>(w: Walk, step: string | number, fn: () => T): T {
  w.path.push(step);
  const out = fn();
  w.path.pop();
  return out;
}

// ---- WAVE ---------------------------------------------------------------------------------------

const MUST_ESCAPE = /[\\"'\n\r\t\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const LONE_SURROGATE = /\p{Cs}/u;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Escapes text for a WAVE string (`quote` `"`) or char (`'`): backslash, the quote, tab, line
 * breaks, and invisible or control characters (bidi overrides, zero-width marks) as `\u{…}`, so
 * guest output cannot rewrite the terminal.
 */
function escapeText(s: string, quote: '"' | "'"): string {
  return s.replace(MUST_ESCAPE, (ch) => {
    if (ch === '"' || ch === "'") return ch === quote ? `\\${ch}` : ch;
    return SHORT_ESCAPES[ch] ?? `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`;
  });
}

/** The shortest decimal that reads back as the same f32/f64; `nan`, `inf`, `-inf`, `-0` spelled out. */
export function formatFloat(v: number, f32: boolean): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  if (f32) {
    for (let digits = 1; digits <= 9; digits++) {
      const shortest = Number(v.toPrecision(digits));
      if (Math.fround(shortest) === v) return String(shortest);
    }
  }
  return String(v);
}

function caseLabel(name: string): string {
  return needsEscape(name) ? `%${name}` : name;
}

function writeWave(w: Walk, t: WitType, v: unknown, out: string[]): void {
  switch (t.kind) {
    case 'primitive':
      switch (t.name) {
        case 'bool':
          if (typeof v !== 'boolean') wrongShape(w, t, v);
          out.push(v ? 'true' : 'false');
          return;
        case 'f32':
        case 'f64':
          if (typeof v !== 'number') wrongShape(w, t, v);
          out.push(formatFloat(v, t.name === 'f32'));
          return;
        case 'char':
          if (typeof v !== 'string' || Array.from(v).length !== 1 || LONE_SURROGATE.test(v)) wrongShape(w, t, v);
          out.push(`'${escapeText(v, "'")}'`);
          return;
        case 'string':
          if (typeof v !== 'string' || LONE_SURROGATE.test(v)) wrongShape(w, t, v);
          out.push(`"${escapeText(v, '"')}"`);
          return;
        default:
          out.push(String(readInteger(w, t, v)));
          return;
      }
    case 'list':
    case 'tuple': {
      const types = t.kind === 'tuple' ? t.items : null;
      const length = t.kind === 'tuple' ? t.items.length : t.length;
      if (!isList(v) || (length !== undefined && v.length !== length)) return wrongShape(w, t, v);
      out.push(t.kind === 'tuple' ? '(' : '[');
      for (let i = 0; i < v.length; i++) {
        if (i > 0) out.push(', ');
        w.path.push(i);
        writeWave(w, types ? (types[i] as WitType) : (t as { element: WitType }).element, v[i], out);
        w.path.pop();
      }
      out.push(t.kind === 'tuple' ? ')' : ']');
      return;
    }
    case 'option': {
      const some = readOption(w, t, v);
      if (!some) {
        out.push('none');
        return;
      }
      out.push('some(');
      within(w, '.some', () => writeWave(w, t.inner, some[0], out));
      out.push(')');
      return;
    }
    case 'result': {
      const [tag, val] = readResult(w, t, v);
      const payloadType = tag === 'ok' ? t.ok : t.err;
      out.push(tag);
      if (payloadType) {
        out.push('(');
        within(w, `.${tag}`, () => writeWave(w, payloadType, val, out));
        out.push(')');
      }
      return;
    }
    case 'record': {
      if (!isObject(v)) return wrongShape(w, t, v);
      out.push('{');
      let written = 0;
      for (const f of t.fields) {
        const fv = v[jsFieldName(f.name)];
        if (f.type.kind === 'option' && readOption(w, f.type, fv) === null) continue;
        out.push(written++ ? ', ' : '', `${f.name}: `);
        within(w, `.${f.name}`, () => writeWave(w, f.type, fv, out));
      }
      out.push(written ? '}' : ':}');
      return;
    }
    case 'variant': {
      const [name, payloadType, val] = readVariant(w, t, v);
      out.push(caseLabel(name));
      if (payloadType) {
        out.push('(');
        within(w, `.${name}`, () => writeWave(w, payloadType, val, out));
        out.push(')');
      }
      return;
    }
    case 'enum':
      if (typeof v !== 'string' || !t.cases.includes(v)) return wrongShape(w, t, v);
      out.push(caseLabel(v));
      return;
    case 'flags': {
      if (!isObject(v)) return wrongShape(w, t, v);
      out.push(`{${t.flags.filter((f) => Boolean(v[jsFieldName(f)])).join(', ')}}`);
      return;
    }
    default:
      return unsupported(w, t);
  }
}

/** Formats a jco value of type `t` as WAVE; see `jsToWave` in `wave.ts`. */
export function formatWave(value: unknown, t: WitType, expr: string): string {
  const out: string[] = [];
  writeWave({ path: [], expr }, t, value, out);
  return out.join('');
}

// ---- JSON ---------------------------------------------------------------------------------------

function floatToJson(v: number): number | string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return v;
}

function json(w: Walk, t: WitType, v: unknown): unknown {
  switch (t.kind) {
    case 'primitive':
      switch (t.name) {
        case 'bool':
          return typeof v === 'boolean' ? v : wrongShape(w, t, v);
        case 'f32':
        case 'f64':
          return typeof v === 'number' ? floatToJson(v) : wrongShape(w, t, v);
        case 'char':
        case 'string':
          return typeof v === 'string' ? v : wrongShape(w, t, v);
        default: {
          const n = readInteger(w, t, v);
          return typeof n === 'number' || (n >= Number.MIN_SAFE_INTEGER && n <= Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
        }
      }
    case 'list':
    case 'tuple': {
      const length = t.kind === 'tuple' ? t.items.length : t.length;
      if (!isList(v) || (length !== undefined && v.length !== length)) return wrongShape(w, t, v);
      const items: unknown[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) {
        w.path.push(i);
        items[i] = json(w, t.kind === 'tuple' ? (t.items[i] as WitType) : t.element, v[i]);
        w.path.pop();
      }
      return items;
    }
    case 'option': {
      const some = readOption(w, t, v);
      if (!some) return null;
      const inner = within(w, '.some', () => json(w, t.inner, some[0]));
      // option<option<T>>: keep some(none) apart from none.
      return t.inner.kind === 'option' ? { some: inner } : inner;
    }
    case 'result': {
      const [tag, val] = readResult(w, t, v);
      const payloadType = tag === 'ok' ? t.ok : t.err;
      return { [tag]: payloadType ? within(w, `.${tag}`, () => json(w, payloadType, val)) : null };
    }
    case 'record': {
      if (!isObject(v)) return wrongShape(w, t, v);
      const out: Record<string, unknown> = {};
      for (const f of t.fields) out[f.name] = within(w, `.${f.name}`, () => json(w, f.type, v[jsFieldName(f.name)]));
      return out;
    }
    case 'variant': {
      const [name, payloadType, val] = readVariant(w, t, v);
      return { [name]: payloadType ? within(w, `.${name}`, () => json(w, payloadType, val)) : null };
    }
    case 'enum':
      return typeof v === 'string' && t.cases.includes(v) ? v : wrongShape(w, t, v);
    case 'flags':
      return isObject(v) ? t.flags.filter((f) => Boolean(v[jsFieldName(f)])) : wrongShape(w, t, v);
    default:
      return unsupported(w, t);
  }
}

/** Converts a jco value of type `t` to plain JSON; see `jsToJson` in `wave.ts`. */
export function toJson(value: unknown, t: WitType, expr: string): unknown {
  return json({ path: [], expr }, t, value);
}
