/**
 * The WIT type model the host uses to describe a component's imports and exports.
 *
 * It is produced by decoding a component's binary type information
 * (`component-type-reader.ts`) and consumed by `lnano inspect` (printing WIT), by
 * `--invoke` (WAVE values ↔ the JS values of jco's generated bindings, `wave.ts`) and, later,
 * by the capability manager's link check.
 *
 * Names are WIT names (kebab-case) exactly as the component spells them.
 */

/** Primitive value types. */
export type WitPrimitive = 'bool' | 's8' | 'u8' | 's16' | 'u16' | 's32' | 'u32' | 's64' | 'u64' | 'f32' | 'f64' | 'char' | 'string';

/** A WIT value type. Named types (record, variant, enum, flags, resource) carry their name. */
export type WitType =
  | { readonly kind: 'primitive'; readonly name: WitPrimitive }
  | { readonly kind: 'list'; readonly element: WitType; readonly length?: number }
  | { readonly kind: 'option'; readonly inner: WitType }
  | { readonly kind: 'result'; readonly ok: WitType | null; readonly err: WitType | null }
  | { readonly kind: 'tuple'; readonly items: readonly WitType[] }
  | { readonly kind: 'record'; readonly name: string | null; readonly fields: readonly WitField[] }
  | { readonly kind: 'variant'; readonly name: string | null; readonly cases: readonly WitCase[] }
  | { readonly kind: 'enum'; readonly name: string | null; readonly cases: readonly string[] }
  | { readonly kind: 'flags'; readonly name: string | null; readonly flags: readonly string[] }
  | { readonly kind: 'own'; readonly resource: string }
  | { readonly kind: 'borrow'; readonly resource: string }
  /** Anything the decoder understands only partly (future types, streams, futures, error-context). */
  | { readonly kind: 'unknown'; readonly description: string };

/** A record field. */
export interface WitField {
  readonly name: string;
  readonly type: WitType;
}

/** A variant case; `type` is null for a case without payload. */
export interface WitCase {
  readonly name: string;
  readonly type: WitType | null;
}

/** A function parameter. */
export interface WitParam {
  readonly name: string;
  readonly type: WitType;
}

/** A function signature. `result` is null for a function that returns nothing. */
export interface WitFunction {
  readonly name: string;
  readonly params: readonly WitParam[];
  readonly result: WitType | null;
  /** A component-model async (WASI 0.3) function; absent for a synchronous one. */
  readonly async?: true;
}

/** A named type exported by an interface (record, variant, enum, flags, alias, resource). */
export interface WitTypeExport {
  readonly name: string;
  readonly type: WitType | { readonly kind: 'resource'; readonly name: string };
}

/**
 * One import or export of a component.
 * - `interface`: a whole instance such as `wasi:cli/environment@0.2.3`, with its functions and types.
 * - `function`: a world-level function such as `export add: func(...)`.
 * - `type`: a world-level type.
 * - `other`: a core module, a component or a value, rare in practice.
 */
export type WorldItem =
  | {
      readonly kind: 'interface';
      readonly name: string;
      readonly functions: readonly WitFunction[];
      readonly types: readonly WitTypeExport[];
    }
  | { readonly kind: 'function'; readonly name: string; readonly func: WitFunction }
  | { readonly kind: 'type'; readonly name: string; readonly type: WitTypeExport['type'] }
  | { readonly kind: 'other'; readonly name: string; readonly description: string };

/** Everything a component imports and exports, with types. */
export interface ComponentShape {
  readonly imports: readonly WorldItem[];
  readonly exports: readonly WorldItem[];
}
