/**
 * WAVE, the WebAssembly Value Encoding of `wasmtime run --invoke 'f(1, "x")'`, for `--invoke`:
 * WAVE text ↔ the JS values of jco's generated bindings, typed by the WIT model (`wit-types.ts`).
 *
 * The grammar follows `crates/wasm-wave` in bytecodealliance/wasm-tools: integers, floats (`nan`,
 * `inf`, `-inf`), `true`/`false`, `'c'`, `"s"` and `"""` multiline strings with escapes
 * (`\n \t \r \\ \" \' \u{1F600}`), lists `[a, b]`, tuples `(a, b)`, records `{x: 1, y: 2}` (option
 * fields may be omitted; the empty record is `{:}`), cases `red` / `circle(1.5)`, options `some(x)` /
 * `none`, results `ok(x)` / `err(e)` / `ok` / `err`, flags `{read, write}`, `//` comments, trailing
 * commas, `%` before a case or enum label spelled like a keyword. As in the reference, a `some` or
 * `ok` payload may also be written bare ("flat") unless it is itself an option or result:
 * `option<u8>` accepts `5` as `some(5)`. Formatting always writes the explicit form.
 *
 * Parsing is linear in the input and nesting is capped at 100 levels, so hostile input fails
 * with a clear error rather than a stack overflow. JS value conventions: see `js-values.ts`.
 *
 * Every parse error is `LN_ERR_CONFIG_INVOKE` with `details.reason` saying where (`at column N`,
 * for errors not at the start of the value) and what was expected.
 */
import type { WitParam, WitType } from '../component-types/wit-types.js';
import { describeType, nodeToJs } from './js-values.js';
import { formatWave, toJson } from './wave-format.js';
import { parseInvocationSyntax, parseWaveValue, type WaveContext, waveError } from './wave-parser.js';

/**
 * Parses `name(arg, arg, ...)`, the `--invoke` expression, into the function name and the raw
 * WAVE text of each argument (checked for syntax, not yet for types).
 *
 * The name may contain `:` `/` `@` `#` `.` `-` `[` `]`, as in
 * `liquid-nano:plugin/handler@0.1.0#handle` or `[method]x.y`. Whitespace and comments may
 * surround the name and the arguments; a trailing comma is allowed.
 *
 * @throws LnError `LN_ERR_CONFIG_INVOKE` for a malformed expression.
 * @example
 * parseInvocation('add(1, "two")') // → { name: 'add', args: ['1', '"two"'] }
 */
export function parseInvocation(expr: string): { name: string; args: string[] } {
  const { name, args } = parseInvocationSyntax(expr);
  return { name, args: args.map((a) => expr.slice(a.start, a.end)) };
}

/**
 * Parses the arguments of an `--invoke` expression against a function's parameters and returns
 * the JS values to pass to the binding. Trailing `option` parameters may be left out (they are
 * none), as the WAVE spec allows.
 *
 * @throws LnError `LN_ERR_CONFIG_INVOKE`, the reason naming the argument, like
 *   `argument 2 (b: u32): 4294967296 is out of range for u32`.
 * @example
 * invocationArgsToJs('add(1, 2)', add.params) // → [1, 2]
 */
export function invocationArgsToJs(expr: string, params: readonly WitParam[]): unknown[] {
  const { args } = parseInvocationSyntax(expr);
  const ctx: WaveContext = { source: expr, expr };
  const signature = params.map((p) => `${p.name}: ${describeType(p.type)}`).join(', ');
  if (args.length > params.length) {
    const extra = args[params.length];
    waveError(ctx, `expected ${params.length} argument${params.length === 1 ? '' : 's'} (${signature}), found ${args.length}`, extra?.start);
  }
  return params.map((p, i) => {
    const prefix = `argument ${i + 1} (${p.name}: ${describeType(p.type)})`;
    const arg = args[i];
    if (arg) return nodeToJs({ ...ctx, prefix, valueStart: arg.start }, arg.node, p.type);
    if (p.type.kind !== 'option') {
      return waveError(ctx, `missing ${prefix}; the function takes (${signature})`);
    }
    return nodeToJs({ ...ctx, prefix, valueStart: 0 }, { kind: 'none', start: 0, end: 0 }, p.type);
  });
}

/**
 * Parses one WAVE value of WIT type `type` into the JS value jco's generated bindings take for it
 * (see `js-values.ts` for the mapping: bigint for 64-bit integers, typed arrays for numeric lists,
 * `{ tag, val }` for variants and results, …).
 *
 * @throws LnError `LN_ERR_CONFIG_INVOKE` with `details.expr` = the text, for a syntax error, a
 *   value of the wrong type, or a type that has no WAVE form (resources).
 * @example
 * waveToJs('{x: 1, y: 2}', pointType) // → { x: 1, y: 2 }
 */
export function waveToJs(text: string, type: WitType): unknown {
  const ctx: WaveContext = { source: text, expr: text };
  const node = parseWaveValue(ctx);
  return nodeToJs({ ...ctx, valueStart: node.start }, node, type);
}

/**
 * Formats a JS value returned by jco bindings, of WIT type `type`, as canonical WAVE: `, ` between
 * items, record fields in WIT order with none-valued option fields left out (`{:}` if none is
 * left), explicit `some(…)`/`ok(…)`, `%` before keyword-like cases, shortest round-tripping floats,
 * and control/invisible characters in strings escaped as `\u{…}`.
 *
 * Results are accepted as `{ tag: 'ok' | 'err', val }` and also as the bare ok value, since a
 * binding returns an export's result unwrapped: with jco-transpile's default
 * `noComponentErrorWrapping: true` it returns the ok payload and throws the err payload itself.
 * The caller should therefore format a returned result as `{ tag: 'ok', val: returned }` or, when
 * the call threw a non-`Error` value, `{ tag: 'err', val: thrown }`. The bare form is refused when
 * the ok type could itself look like `{ tag: 'ok' | 'err' }` (a nested result, or a variant with
 * an `ok` or `err` case).
 *
 * @param expr - the invocation, only for the message if the value holds a resource.
 * @throws LnError `LN_ERR_CONFIG_INVOKE` if the value holds a resource (WAVE has no form for
 *   one); `LN_ERR_INTERNAL_UNEXPECTED` if the value does not have the shape of `type`.
 * @example
 * jsToWave({ tag: 'circle', val: 1.5 }, shapeType) // → 'circle(1.5)'
 */
export function jsToWave(value: unknown, type: WitType, expr = ''): string {
  return formatWave(value, type, expr);
}

/**
 * Converts a jco JS value of `type` to plain JSON: s64/u64 as numbers when safe, else decimal
 * strings; floats as numbers, or the strings `"nan"`, `"inf"`, `"-inf"`; char as a string; lists
 * (typed arrays too) and tuples as arrays; records as objects keyed by WIT (kebab-case) field
 * names; option none as null (and `{"some": …}` around the payload of an option whose payload is
 * itself an option, so some(none) stays apart from none); results as `{"ok": …}` / `{"err": …}`
 * and variants as `{"<case>": payload}`, null standing for no payload; enums as the case name;
 * flags as the array of set flag names. Results are read as in {@link jsToWave}.
 *
 * @throws LnError as {@link jsToWave}.
 * @example
 * jsToJson(18446744073709551615n, { kind: 'primitive', name: 'u64' }) // → '18446744073709551615'
 */
export function jsToJson(value: unknown, type: WitType, expr = ''): unknown {
  return toJson(value, type, expr);
}
