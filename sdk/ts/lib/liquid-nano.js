// @liquid-nano/guest: the guest library for TypeScript and JavaScript plugins (componentize-js).
// `lnano build` bundles it into the plugin when the plugin imports `@liquid-nano/guest`; its types
// are in liquid-nano.d.ts. It depends on nothing but TextEncoder/TextDecoder (built into
// componentize-js's StarlingMonkey runtime).

/**
 * What an export throws to return `err(payload)` from a WIT `result`: componentize-js lifts the
 * `payload` of a thrown object as the error value.
 */
export class ResultError extends Error {
  /** @param {unknown} payload the WIT error value, e.g. `{ tag: 'failed', val: 'why' }` */
  constructor(payload) {
    const p = /** @type {{ tag?: unknown, val?: unknown }} */ (payload);
    super(typeof p?.val === 'string' ? p.val : typeof p?.tag === 'string' ? p.tag : String(payload));
    this.name = 'ResultError';
    this.payload = payload;
  }
}

/** `ok(value)`: what an export returns for success (the value itself; here for symmetry). */
export function ok(value) {
  return value;
}

/** `err(payload)`: ends the export with `err(payload)`. Use as `return err(failed('why'))`. */
export function err(payload) {
  throw new ResultError(payload);
}

/** The `types.error` cases. */
export const invalidEvent = (/** @type {string} */ message) => ({ tag: 'invalid-event', val: message });
export const unsupported = (/** @type {string} */ message) => ({ tag: 'unsupported', val: message });
export const unavailable = (/** @type {string} */ message) => ({ tag: 'unavailable', val: message });
export const failed = (/** @type {string} */ message) => ({ tag: 'failed', val: message });

/**
 * Calls an import that returns a WIT `result` (and throws its `err`), returning the result as a
 * value: `{ tag: 'ok', val }` or `{ tag: 'err', val }`. Other exceptions pass through.
 */
export function attempt(fn) {
  try {
    return { tag: 'ok', val: fn() };
  } catch (e) {
    if (e && typeof e === 'object' && 'payload' in e) return { tag: 'err', val: e.payload };
    throw e;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The event's data as UTF-8 text. */
export function textOf(event) {
  return decoder.decode(event.data);
}

/** The event's data parsed as JSON; data that is not JSON ends the call with `err(invalid-event)`. */
export function jsonOf(event) {
  try {
    return JSON.parse(textOf(event));
  } catch (e) {
    return err(invalidEvent(`data is not JSON: ${e instanceof Error ? e.message : String(e)}`));
  }
}

/** UTF-8 bytes of `text`, for `data`. */
export function textBytes(text) {
  return encoder.encode(text);
}

/** UTF-8 bytes of `JSON.stringify(value)`, for `data`. */
export function jsonBytes(value) {
  return encoder.encode(JSON.stringify(value));
}

/**
 * A new event: `fields` over defaults (empty data and extensions, no time or content type).
 * `id`, `type` and `source` are required.
 */
export function event(fields) {
  return {
    time: undefined,
    datacontenttype: undefined,
    data: new Uint8Array(0),
    extensions: [],
    ...fields,
  };
}
