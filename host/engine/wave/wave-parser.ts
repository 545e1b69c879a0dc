/**
 * The untyped half of WAVE (WebAssembly Value Encoding): a lexer and a parser that turn text into
 * a syntax tree without knowing the WIT type. `js-values.ts` then checks that tree against a type.
 *
 * Grammar: `crates/wasm-wave/README.md` and `wave_ebnf.md` in bytecodealliance/wasm-tools.
 * Like the reference parser, nesting is capped at {@link MAX_WAVE_DEPTH} levels, so hostile input
 * (`[[[[…`) fails with a clear error instead of overflowing the stack.
 */
import { LnError } from '../../errors/ln-error.js';

/** Deepest nesting of lists, tuples, records, cases, `some(…)`, `ok(…)` accepted in one value. */
export const MAX_WAVE_DEPTH = 100;

/** The WAVE keywords; a case or enum label spelled like one must be written with a `%` prefix. */
export const WAVE_KEYWORDS: ReadonlySet<string> = new Set(['true', 'false', 'inf', 'nan', 'some', 'none', 'ok', 'err']);

interface Span {
  readonly start: number;
  readonly end: number;
}

/** A label with its position; `name` is without the `%` escape. */
export interface WaveLabel extends Span {
  readonly name: string;
}

/** A record entry `name: value`. */
export interface WaveField extends WaveLabel {
  readonly value: WaveNode;
}

/** A parsed WAVE value, before it is checked against a type. `start`/`end` are offsets in the source. */
export type WaveNode = Span &
  (
    | { readonly kind: 'number'; readonly text: string } // includes inf, nan, -inf
    | { readonly kind: 'bool'; readonly value: boolean }
    | { readonly kind: 'char'; readonly value: string }
    | { readonly kind: 'string'; readonly value: string }
    | { readonly kind: 'list' | 'tuple'; readonly items: readonly WaveNode[] }
    | { readonly kind: 'record'; readonly fields: readonly WaveField[] } // `{:}` has no fields
    | { readonly kind: 'flags'; readonly flags: readonly WaveLabel[] }
    | { readonly kind: 'label'; readonly name: string } // an enum case or a case without payload
    | { readonly kind: 'case'; readonly name: string; readonly payload: WaveNode }
    | { readonly kind: 'some'; readonly payload: WaveNode }
    | { readonly kind: 'none' }
    | { readonly kind: 'ok' | 'err'; readonly payload: WaveNode | null }
  );

/**
 * Where errors point: `source` is the whole text positions refer to, `expr` goes into the error's
 * details, `prefix` (such as `argument 2 (b: u32)`) starts the reason.
 */
export interface WaveContext {
  readonly source: string;
  readonly expr: string;
  readonly prefix?: string;
}

const EXPR_DETAIL_CHARS = 120;

/** Shortens text for an error message, so a 1 MB argument does not become a 1 MB message. */
export function clip(text: string, max = 40): string {
  const chars = Array.from(text.length > max * 2 + 8 ? text.slice(0, max * 2 + 8) : text);
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
}

/** Describes a position as `column N`, or `line L, column C` in multi-line text (1-based, in code points). */
export function describePosition(source: string, offset: number): string {
  const before = source.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  const column = Array.from(before.slice(lineStart)).length + 1;
  if (lineStart === 0) return `column ${column}`;
  const line = before.split('\n').length;
  return `line ${line}, column ${column}`;
}

/** Throws `LN_ERR_CONFIG_INVOKE`; `at` (an offset in the source) adds `at column N` to the reason. */
export function waveError(ctx: WaveContext, message: string, at?: number): never {
  const where = at === undefined ? '' : `at ${describePosition(ctx.source, at)}: `;
  const reason = ctx.prefix ? `${ctx.prefix}: ${where}${message}` : `${where}${message}`;
  throw new LnError('LN_ERR_CONFIG_INVOKE', { expr: clip(ctx.expr, EXPR_DETAIL_CHARS), reason });
}

type Punct = '{' | '}' | '(' | ')' | '[' | ']' | ':' | ',';
type Token = Span &
  (
    | { readonly type: Punct | 'eof' }
    | { readonly type: 'number'; readonly text: string }
    | { readonly type: 'label'; readonly name: string; readonly escaped: boolean }
    | { readonly type: 'char' | 'string'; readonly value: string }
  );

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;
const LABEL = /%?(?:[a-z][a-z0-9]*|[A-Z][A-Z0-9]*)(?:-(?:[a-z0-9]+|[A-Z0-9]+))*/y;
const WORD_RUN = /[-+%.\w]*/y;
const STRING_RUN = /[^"\\\n]*/y;
const LONE_SURROGATE = /\p{Cs}/u;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', "'": "'", '"': '"', t: '\t', n: '\n', r: '\r' };

function showChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return cp < 0x21 || (cp >= 0x7f && cp < 0xa0) || /[\s\p{Cf}\p{Cs}]/u.test(ch) ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : `"${ch}"`;
}

function describeToken(t: Token): string {
  switch (t.type) {
    case 'eof':
      return 'end of input';
    case 'number':
      return `number ${clip(t.text)}`;
    case 'label':
      return WAVE_KEYWORDS.has(t.name) && !t.escaped ? `keyword ${t.name}` : `label ${t.name}`;
    case 'char':
      return 'a char';
    case 'string':
      return 'a string';
    default:
      return `"${t.type}"`;
  }
}

/** A one-token-lookahead WAVE lexer over `source`, starting at `pos`. */
class Lexer {
  private ahead: Token | null = null;
  /** Where the last token taken with `next()` ended. */
  lastEnd = 0;

  constructor(
    readonly ctx: WaveContext,
    private pos: number,
  ) {}

  private get src(): string {
    return this.ctx.source;
  }

  peek(): Token {
    this.ahead ??= this.lex();
    return this.ahead;
  }

  next(): Token {
    const t = this.peek();
    this.ahead = null;
    this.lastEnd = t.end;
    return t;
  }

  expect(type: Punct | 'eof', after: string): Token {
    const t = this.next();
    if (t.type !== type) {
      waveError(this.ctx, `expected ${type === 'eof' ? 'end of input' : `"${type}"`} ${after}, found ${describeToken(t)}`, t.start);
    }
    return t;
  }

  private skipSpaceAndComments(): void {
    const src = this.src;
    for (;;) {
      const c = src[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (c === '/' && src[this.pos + 1] === '/') {
        const nl = src.indexOf('\n', this.pos);
        this.pos = nl < 0 ? src.length : nl;
      } else return;
    }
  }

  private lex(): Token {
    this.skipSpaceAndComments();
    const src = this.src;
    const start = this.pos;
    if (start >= src.length) return { type: 'eof', start, end: start };
    const c = src[start] as string;
    if ('{}()[]:,'.includes(c)) {
      this.pos++;
      return { type: c as Punct, start, end: this.pos };
    }
    if (c === '-' || (c >= '0' && c <= '9')) return this.lexNumber(start);
    if (c === '%' || /[A-Za-z]/.test(c)) return this.lexLabel(start);
    if (c === "'") return this.lexChar(start);
    if (c === '"') return src.startsWith('"""', start) ? this.lexMultiline(start) : this.lexString(start);
    const ch = String.fromCodePoint(src.codePointAt(start) ?? 0);
    return waveError(this.ctx, `unexpected character ${showChar(ch)}`, start);
  }

  /** The run of name-like characters at `start`, for messages about malformed numbers and labels. */
  private wordAt(start: number): string {
    WORD_RUN.lastIndex = start;
    return WORD_RUN.exec(this.src)?.[0] ?? '';
  }

  private lexNumber(start: number): Token {
    const src = this.src;
    if (src.startsWith('-inf', start) && !/[-\w]/.test(src[start + 4] ?? '')) {
      this.pos = start + 4;
      return { type: 'number', text: '-inf', start, end: this.pos };
    }
    NUMBER.lastIndex = start;
    const m = NUMBER.exec(src);
    const end = start + (m?.[0].length ?? 0);
    if (!m || /[-+.\w]/.test(src[end] ?? '')) {
      const word = this.wordAt(start) || src.slice(start, start + 1);
      waveError(this.ctx, `invalid number "${clip(word)}" (numbers are decimal, like 42, -7, 1.5, 6.02e23, nan, inf, -inf)`, start);
    }
    this.pos = end;
    return { type: 'number', text: m[0], start, end };
  }

  private lexLabel(start: number): Token {
    const src = this.src;
    LABEL.lastIndex = start;
    const m = LABEL.exec(src);
    const end = start + (m?.[0].length ?? 0);
    if (!m || /[-\w%]/.test(src[end] ?? '')) {
      const word = this.wordAt(start) || src.slice(start, start + 1);
      waveError(this.ctx, `invalid label "${clip(word)}" (labels are kebab-case words, each all lowercase or all uppercase, like dark-green)`, start);
    }
    this.pos = end;
    const escaped = m[0].startsWith('%');
    return { type: 'label', name: escaped ? m[0].slice(1) : m[0], escaped, start, end };
  }

  /** Decodes the escape at `at` (which holds a backslash); returns the character and the escape's length. */
  private escape(at: number): [string, number] {
    const src = this.src;
    const c = src[at + 1] ?? '';
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) return [simple, 2];
    if (c === 'u') {
      const m = /^u\{([0-9a-fA-F]{1,6})\}/.exec(src.slice(at + 1, at + 11));
      if (!m?.[1]) waveError(this.ctx, 'invalid escape: \\u must be followed by 1 to 6 hex digits in braces, like \\u{1F600}', at);
      const cp = parseInt(m[1], 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        waveError(this.ctx, `invalid escape \\u{${m[1]}}: not a Unicode scalar value`, at);
      }
      return [String.fromCodePoint(cp), m[0].length + 1];
    }
    const shown = c === '' ? 'at end of input' : `"\\${String.fromCodePoint(src.codePointAt(at + 1) ?? 0)}"`;
    return waveError(this.ctx, `invalid escape ${shown} (expected one of \\\\ \\' \\" \\t \\n \\r \\u{…})`, at);
  }

  private lexChar(start: number): Token {
    const src = this.src;
    let at = start + 1;
    let value: string;
    const c = src[at];
    if (c === undefined) return waveError(this.ctx, "unterminated char (missing closing ')", start);
    if (c === '\\') {
      const [ch, len] = this.escape(at);
      value = ch;
      at += len;
    } else {
      if (c === "'") waveError(this.ctx, "empty char ''", start);
      if (c === '\n') waveError(this.ctx, "a char cannot be a raw line break; write '\\n'", start);
      value = String.fromCodePoint(src.codePointAt(at) ?? 0);
      if (LONE_SURROGATE.test(value)) waveError(this.ctx, 'a char must be a Unicode scalar value, found a lone surrogate', at);
      at += value.length;
    }
    if (src[at] !== "'") {
      const close = src.indexOf("'", at);
      waveError(
        this.ctx,
        close < 0 || src.slice(at, close).includes('\n')
          ? "unterminated char (missing closing ')"
          : 'a char holds exactly one character; use a "string" for more',
        start,
      );
    }
    this.pos = at + 1;
    return { type: 'char', value, start, end: this.pos };
  }

  /** Decodes `src[from, to)` of one string line, which must hold no raw `"` or line break. */
  private decodeRun(from: number, to: number, stopAtQuote: boolean): { value: string; end: number } {
    const src = this.src;
    const parts: string[] = [];
    let at = from;
    while (at < to) {
      STRING_RUN.lastIndex = at;
      const run = STRING_RUN.exec(src)?.[0] ?? '';
      const runEnd = Math.min(at + run.length, to);
      const piece = src.slice(at, runEnd);
      if (LONE_SURROGATE.test(piece)) {
        waveError(this.ctx, 'strings must be Unicode scalar values, found a lone surrogate', at + piece.search(LONE_SURROGATE));
      }
      parts.push(piece);
      at = runEnd;
      if (at >= to) break;
      const c = src[at];
      if (c === '\\') {
        const [ch, len] = this.escape(at);
        if (at + len > to) waveError(this.ctx, 'invalid escape at end of line', at);
        parts.push(ch);
        at += len;
      } else if (c === '"' && stopAtQuote) {
        break;
      } else if (c === '"') {
        parts.push('"');
        at++;
      } else {
        break; // a raw line break, reported by the caller
      }
    }
    return { value: parts.join(''), end: at };
  }

  private lexString(start: number): Token {
    const src = this.src;
    const { value, end } = this.decodeRun(start + 1, src.length, true);
    if (src[end] === '\n') waveError(this.ctx, 'a string cannot contain a raw line break; write \\n or use a """ multiline string', end);
    if (src[end] !== '"') waveError(this.ctx, 'unterminated string (missing closing ")', start);
    this.pos = end + 1;
    return { type: 'string', value, start, end: this.pos };
  }

  /** `"""` + line break + lines + spaces + `"""`; the closing line's spaces are removed from every line. */
  private lexMultiline(start: number): Token {
    const src = this.src;
    const close = src.indexOf('"""', start + 3);
    if (close < 0) return waveError(this.ctx, 'unterminated multiline string (missing closing """)', start);
    let at = start + 3;
    if (src[at] === '\r') at++;
    if (src[at] !== '\n') waveError(this.ctx, 'opening """ must be followed immediately by a line break', start);
    const lastBreak = src.lastIndexOf('\n', close);
    const indent = src.slice(lastBreak + 1, close);
    if (!/^ *$/.test(indent)) waveError(this.ctx, 'closing """ must be on its own line, preceded only by spaces', close);
    const lines: string[] = [];
    let lineStart = at + 1;
    while (lineStart <= lastBreak) {
      const nl = src.indexOf('\n', lineStart);
      if (!src.startsWith(indent, lineStart)) {
        waveError(this.ctx, 'each line of a multiline string must be indented at least as much as the closing """', lineStart);
      }
      const contentEnd = src[nl - 1] === '\r' ? nl - 1 : nl;
      lines.push(this.decodeRun(lineStart + indent.length, contentEnd, false).value);
      lineStart = nl + 1;
    }
    this.pos = close + 3;
    return { type: 'string', value: lines.join('\n'), start, end: this.pos };
  }
}

/** Parses one value (nesting depth `depth`, 1 for a top-level value). */
function parseValue(lx: Lexer, depth: number): WaveNode {
  const t = lx.next();
  if (depth > MAX_WAVE_DEPTH) {
    waveError(lx.ctx, `value nested deeper than ${MAX_WAVE_DEPTH} levels`, t.start);
  }
  const start = t.start;
  switch (t.type) {
    case 'number':
      return { kind: 'number', text: t.text, start, end: t.end };
    case 'char':
    case 'string':
      return { kind: t.type, value: t.value, start, end: t.end };
    case '(': {
      const items = parseSequence(lx, ')', 'tuple item', depth);
      if (items.length === 0) waveError(lx.ctx, 'empty tuple "()" is not a value', start);
      return { kind: 'tuple', items, start, end: lx.lastEnd };
    }
    case '[': {
      const items = parseSequence(lx, ']', 'list element', depth);
      return { kind: 'list', items, start, end: lx.lastEnd };
    }
    case '{':
      return parseRecordOrFlags(lx, start, depth);
    case 'label':
      return parseLabelValue(lx, t, depth);
    default:
      return waveError(lx.ctx, `expected a value, found ${describeToken(t)}`, t.start);
  }
}

function parsePayload(lx: Lexer, depth: number, what: string): WaveNode {
  lx.expect('(', `after ${what}`);
  const payload = parseValue(lx, depth + 1);
  lx.expect(')', `after the payload of ${what}`);
  return payload;
}

function parseLabelValue(lx: Lexer, t: Token & { type: 'label' }, depth: number): WaveNode {
  const start = t.start;
  const keyword = t.escaped ? null : t.name;
  switch (keyword) {
    case 'true':
    case 'false':
      return { kind: 'bool', value: keyword === 'true', start, end: t.end };
    case 'inf':
    case 'nan':
      return { kind: 'number', text: keyword, start, end: t.end };
    case 'some': {
      if (lx.peek().type !== '(') waveError(lx.ctx, 'some needs a payload, like some(1)', start);
      const payload = parsePayload(lx, depth, 'some');
      return { kind: 'some', payload, start, end: lx.lastEnd };
    }
    case 'none':
      if (lx.peek().type === '(') waveError(lx.ctx, 'none takes no payload', lx.peek().start);
      return { kind: 'none', start, end: t.end };
    case 'ok':
    case 'err': {
      if (lx.peek().type !== '(') {
        return { kind: keyword, payload: null, start, end: t.end };
      }
      const payload = parsePayload(lx, depth, keyword);
      return { kind: keyword, payload, start, end: lx.lastEnd };
    }
    default: {
      if (lx.peek().type !== '(') {
        return { kind: 'label', name: t.name, start, end: t.end };
      }
      const payload = parsePayload(lx, depth, `case ${t.name}`);
      return { kind: 'case', name: t.name, payload, start, end: lx.lastEnd };
    }
  }
}

/** Comma-separated values up to `close`; a trailing comma is allowed. The opener was consumed. */
function parseSequence(lx: Lexer, close: ')' | ']', what: string, depth: number): WaveNode[] {
  const items: WaveNode[] = [];
  if (lx.peek().type === close) {
    lx.next();
    return items;
  }
  for (;;) {
    items.push(parseValue(lx, depth + 1));
    const t = lx.next();
    if (t.type === ',' && lx.peek().type === close) {
      lx.next();
      return items;
    }
    if (t.type === close) {
      return items;
    }
    if (t.type !== ',') waveError(lx.ctx, `expected "," or "${close}" after ${what}, found ${describeToken(t)}`, t.start);
  }
}

function expectLabel(lx: Lexer, what: string): WaveLabel {
  const t = lx.next();
  if (t.type !== 'label') return waveError(lx.ctx, `expected ${what}, found ${describeToken(t)}`, t.start);
  return { name: t.name, start: t.start, end: t.end };
}

function parseRecordOrFlags(lx: Lexer, start: number, depth: number): WaveNode {
  const first = lx.peek();
  if (first.type === ':') {
    lx.next();
    lx.expect('}', 'in the empty record "{:}"');
    return { kind: 'record', fields: [], start, end: lx.lastEnd };
  }
  if (first.type === '}') {
    lx.next();
    return { kind: 'flags', flags: [], start, end: lx.lastEnd };
  }
  const label = expectLabel(lx, 'a field name or a flag name after "{"');
  const isRecord = lx.peek().type === ':';
  const seen = new Set<string>();
  const fields: WaveField[] = [];
  const flags: WaveLabel[] = [];
  let current: WaveLabel = label;
  for (;;) {
    if (seen.has(current.name)) {
      waveError(lx.ctx, `duplicate ${isRecord ? 'field' : 'flag'} "${current.name}"`, current.start);
    }
    seen.add(current.name);
    if (isRecord) {
      lx.expect(':', `after field name "${current.name}"`);
      fields.push({ ...current, value: parseValue(lx, depth + 1) });
    } else {
      flags.push(current);
    }
    const what = isRecord ? 'record field' : 'flag';
    const t = lx.next();
    if (t.type === '}' || (t.type === ',' && lx.peek().type === '}')) {
      if (t.type === ',') lx.next();
      break;
    }
    if (t.type !== ',') waveError(lx.ctx, `expected "," or "}" after ${what}, found ${describeToken(t)}`, t.start);
    current = expectLabel(lx, isRecord ? 'a field name' : 'a flag name');
  }
  return isRecord ? { kind: 'record', fields, start, end: lx.lastEnd } : { kind: 'flags', flags, start, end: lx.lastEnd };
}

/** Parses the whole of `ctx.source` as one WAVE value. */
export function parseWaveValue(ctx: WaveContext): WaveNode {
  const lx = new Lexer(ctx, 0);
  const node = parseValue(lx, 1);
  lx.expect('eof', 'after the value');
  return node;
}

/** One argument of an invocation: its syntax tree and where its text is in the expression. */
export interface InvocationArg {
  readonly node: WaveNode;
  readonly start: number;
  readonly end: number;
}

const NAME_CHARS = /[A-Za-z0-9\-_:/@#.[\]%+]/;

/** Parses `name(arg, …)`: the function name and the parsed arguments with their spans. */
export function parseInvocationSyntax(expr: string): { name: string; args: InvocationArg[] } {
  const ctx: WaveContext = { source: expr, expr };
  let at = 0;
  while (at < expr.length && /\s/.test(expr[at] as string)) at++;
  const nameStart = at;
  while (at < expr.length && NAME_CHARS.test(expr[at] as string)) at++;
  const name = expr.slice(nameStart, at);
  const next = expr[at];
  if (name !== '' && next !== undefined && next !== '(' && !/\s/.test(next)) {
    const ch = String.fromCodePoint(expr.codePointAt(at) ?? 0);
    waveError(ctx, `unexpected character ${showChar(ch)} in function name "${clip(name)}"`, at);
  }
  const lx = new Lexer(ctx, at);
  const open = lx.peek();
  if (name === '') {
    if (open.type === 'eof') waveError(ctx, 'expected a function name, like add(1, 2)', at);
    if (open.type === '(') waveError(ctx, 'expected a function name before "("', at);
    const ch = String.fromCodePoint(expr.codePointAt(at) ?? 0);
    waveError(ctx, `unexpected character ${showChar(ch)} where the function name should start`, at);
  }
  if (open.type !== '(') {
    waveError(ctx, `expected "(" after the function name "${clip(name)}", found ${describeToken(open)}`, open.start);
  }
  lx.next();
  const args: InvocationArg[] = [];
  if (lx.peek().type === ')') {
    lx.next();
  } else {
    for (;;) {
      const node = parseValue(lx, 1);
      args.push({ node, start: node.start, end: node.end });
      const t = lx.next();
      if (t.type === ')') break;
      if (t.type === ',' && lx.peek().type === ')') {
        lx.next();
        break;
      }
      if (t.type !== ',') waveError(ctx, `expected "," or ")" after argument ${args.length}, found ${describeToken(t)}`, t.start);
    }
  }
  lx.expect('eof', 'after the closing ")"');
  return { name, args };
}
