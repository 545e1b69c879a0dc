// Types for the parts of `liquid-nano:plugin@0.1.0` (wit/plugin.wit) this plugin uses, in jco's
// JS mapping: records are objects with camelCase fields, `option<T>` is `T | undefined`,
// `list<u8>` is a Uint8Array, variants are `{ tag, val }`, enums are kebab-case strings.
// At build time esbuild leaves the `liquid-nano:plugin/*` imports in place and componentize-js
// binds them to the component's imports.

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
