// Types of `liquid-nano:plugin@0.1.0` (wit/plugin.wit) in jco's JS mapping, for TypeScript
// plugins built with sdk/tooling/typescript-plugin.mjs: records are objects with camelCase
// fields, `option<T>` is `T | undefined`, `list<u8>` is a Uint8Array, variants are `{ tag, val }`,
// enums are kebab-case strings, and an `err` of a `result` import is thrown (as `{ payload }`).
// esbuild leaves these imports in place; componentize-js binds them to the component's imports.

declare module 'liquid-nano:plugin/types@0.1.0' {
  export type Pair = [string, string];
  export interface Event {
    id: string;
    type: string;
    source: string;
    time?: string;
    datacontenttype?: string;
    data: Uint8Array;
    extensions: Pair[];
  }
  export type Error =
    | { tag: 'invalid-event'; val: string }
    | { tag: 'unsupported'; val: string }
    | { tag: 'unavailable'; val: string }
    | { tag: 'failed'; val: string };
}

declare module 'liquid-nano:plugin/log@0.1.0' {
  import type { Pair } from 'liquid-nano:plugin/types@0.1.0';
  export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';
  export function log(level: Level, message: string, fields: Pair[]): void;
}

declare module 'liquid-nano:plugin/config@0.1.0' {
  import type { Pair } from 'liquid-nano:plugin/types@0.1.0';
  export function get(key: string): string | undefined;
  export function getAll(): Pair[];
}

declare module 'liquid-nano:plugin/kv@0.1.0' {
  /** Each throws `{ payload: { tag: 'denied' | 'quota-exceeded' | 'too-large' | 'internal', val? } }` on error. */
  export function get(key: string): Uint8Array | undefined;
  export function set(key: string, value: Uint8Array): void;
  function del(key: string): boolean;
  export { del as delete };
  export function listKeys(prefix: string, limit: number): string[];
}
