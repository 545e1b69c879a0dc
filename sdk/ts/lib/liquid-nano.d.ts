// Types of the liquid-nano guest library (liquid-nano.js), for TypeScript plugins.
/// <reference path="../plugin.d.ts" />
declare module '@liquid-nano/guest' {
  import type { Event, Error as PluginError } from 'liquid-nano:plugin/types@0.1.0';

  /** What an export throws to return `err(payload)`; componentize-js lifts `payload`. */
  export class ResultError<E = unknown> extends Error {
    constructor(payload: E);
    readonly payload: E;
  }
  /** The value itself (an export returns `ok(value)` by returning `value`). */
  export function ok<T>(value: T): T;
  /** Ends the export with `err(payload)`: `return err(failed('why'))`. */
  export function err(payload: unknown): never;

  export function invalidEvent(message: string): PluginError;
  export function unsupported(message: string): PluginError;
  export function unavailable(message: string): PluginError;
  export function failed(message: string): PluginError;

  /** A WIT `result` as a value. */
  export type Result<T, E> = { tag: 'ok'; val: T } | { tag: 'err'; val: E };
  /** Calls an import that throws its `err`, returning the result as a value. */
  export function attempt<T, E = unknown>(fn: () => T): Result<T, E>;

  /** The event's data as UTF-8 text. */
  export function textOf(event: Event): string;
  /** The event's data parsed as JSON; not JSON → `err(invalid-event)`. */
  export function jsonOf<T = unknown>(event: Event): T;
  /** UTF-8 bytes of `text`. */
  export function textBytes(text: string): Uint8Array;
  /** UTF-8 bytes of `JSON.stringify(value)`. */
  export function jsonBytes(value: unknown): Uint8Array;
  /** A new event: `fields` over defaults (empty data and extensions, no time or content type). */
  export function event(fields: Pick<Event, 'id' | 'type' | 'source'> & Partial<Event>): Event;
}
