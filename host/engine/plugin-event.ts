import { isUtf8 } from 'node:buffer';
import { LnError } from '../errors/ln-error.js';
import { jsonTextTooDeep } from '../support/json-depth.js';

/** An event as the plugin world's `event` record surfaces in JS (jco's conventions). */
export interface PluginEvent {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly time: string | undefined;
  readonly datacontenttype: string | undefined;
  readonly data: Uint8Array;
  readonly extensions: ReadonlyArray<readonly [string, string]>;
}

/** The CloudEvents-style JSON envelope clients send and receive. */
export type JsonEnvelope = Record<string, unknown>;

const CORE_ATTRIBUTES = new Set(['id', 'type', 'source', 'time', 'datacontenttype', 'data', 'data_base64', 'specversion']);
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const MAX_ATTRIBUTE_CHARS = 4096;
/** Encodes `data` strings: one allocation, a buffer of its own (a `Buffer.from` may be a view into Node's shared pool). */
const UTF8 = new TextEncoder();

function attribute(envelope: JsonEnvelope, key: string, required: boolean): string | undefined {
  const value = envelope[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || (required && value.length === 0)) {
    throw new LnError('LN_ERR_EVENT_INVALID', { reason: `"${key}" must be a ${required ? 'non-empty ' : ''}string` });
  }
  if (value.length > MAX_ATTRIBUTE_CHARS) {
    throw new LnError('LN_ERR_EVENT_INVALID', { reason: `"${key}" is longer than ${MAX_ATTRIBUTE_CHARS} characters` });
  }
  return value;
}

/**
 * Validates a CloudEvents-style JSON envelope and converts it to the plugin world's `event`.
 * `data` that is a string is sent as its UTF-8 bytes, other JSON values as their JSON text
 * (datacontenttype defaults to application/json then); `data_base64` as the decoded bytes.
 * Other string attributes whose names are valid CloudEvents extension names become extensions.
 * `specversion` may be left out; when given it must be "1.0".
 *
 * @throws LnError `LN_ERR_EVENT_INVALID` naming the attribute
 */
export function envelopeToEvent(envelope: unknown): PluginEvent {
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    throw new LnError('LN_ERR_EVENT_INVALID', { reason: 'the event must be a JSON object' });
  }
  const env = envelope as JsonEnvelope;
  if (env.specversion !== undefined && env.specversion !== '1.0') {
    throw new LnError('LN_ERR_EVENT_INVALID', {
      reason: `"specversion" must be "1.0" (CloudEvents 1.0) when given, got ${JSON.stringify(env.specversion).slice(0, 40)}`,
    });
  }
  const id = attribute(env, 'id', true)!;
  const type = attribute(env, 'type', true)!;
  const source = attribute(env, 'source', true)!;
  const time = attribute(env, 'time', false);
  if (time !== undefined && Number.isNaN(Date.parse(time))) {
    throw new LnError('LN_ERR_EVENT_INVALID', { reason: '"time" must be an RFC 3339 timestamp' });
  }
  let datacontenttype = attribute(env, 'datacontenttype', false);
  let data: Uint8Array = new Uint8Array(0);
  if (env.data !== undefined && env.data_base64 !== undefined) {
    throw new LnError('LN_ERR_EVENT_INVALID', { reason: 'give "data" or "data_base64", not both' });
  }
  if (typeof env.data_base64 === 'string') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(env.data_base64)) {
      throw new LnError('LN_ERR_EVENT_INVALID', { reason: '"data_base64" is not base64' });
    }
    // A copy: the decoded Buffer may be a view into Node's shared pool, which postMessage would copy whole.
    data = Uint8Array.prototype.slice.call(Buffer.from(env.data_base64, 'base64'));
  } else if (env.data_base64 !== undefined) {
    throw new LnError('LN_ERR_EVENT_INVALID', { reason: '"data_base64" must be a string' });
  } else if (typeof env.data === 'string') {
    data = UTF8.encode(env.data);
  } else if (env.data !== undefined) {
    data = UTF8.encode(JSON.stringify(env.data));
    datacontenttype ??= 'application/json';
  }
  const extensions: Array<[string, string]> = [];
  // for-in over own keys (Object.entries' order and keys, without an array per attribute).
  for (const key in env) {
    if (!Object.hasOwn(env, key) || CORE_ATTRIBUTES.has(key)) continue;
    const value = env[key];
    if (!EXTENSION_NAME.test(key) || typeof value !== 'string') {
      throw new LnError('LN_ERR_EVENT_INVALID', { reason: `unknown attribute "${key}" (extensions are lowercase alphanumeric names with string values)` });
    }
    extensions.push([key, value]);
  }
  return { id, type, source, time, datacontenttype, data, extensions };
}

/**
 * Converts a plugin's event back into a JSON envelope: JSON data (by datacontenttype) is parsed,
 * other valid UTF-8 becomes a string (JSON nested deeper than `MAX_JSON_DEPTH` too, so nothing
 * downstream recurses through it), anything else `data_base64`.
 */
export function eventToEnvelope(event: PluginEvent): JsonEnvelope {
  const out: JsonEnvelope = { specversion: '1.0', id: event.id, type: event.type, source: event.source };
  if (event.time !== undefined) out.time = event.time;
  if (event.datacontenttype !== undefined) out.datacontenttype = event.datacontenttype;
  const bytes = Buffer.from(event.data.buffer, event.data.byteOffset, event.data.byteLength);
  if (bytes.length > 0) {
    // Valid UTF-8 without a byte order mark is text (a BOM-prefixed payload stays base64, as when
    // this was "decodes, BOM dropped, and re-encodes to the same bytes").
    const text = isUtf8(bytes) && !hasUtf8Bom(bytes) ? bytes.toString('utf8') : undefined;
    if (text !== undefined && /json/i.test(event.datacontenttype ?? '') && !jsonTextTooDeep(text)) {
      try {
        out.data = JSON.parse(text);
      } catch {
        out.data = text;
      }
    } else if (text !== undefined) {
      out.data = text;
    } else {
      out.data_base64 = bytes.toString('base64');
    }
  }
  for (const [k, v] of event.extensions) if (!(k in out)) out[k] = v;
  return out;
}

function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}
