/**
 * CloudEvents' HTTP protocol binding (1.0) as the ingress speaks it: which request bodies it
 * takes, in which mode, and how an answer goes back in the mode the request used.
 *
 * The mode, from the headers, as the binding decides it:
 * - structured: `application/cloudevents+json`, one envelope (whatever `ce-*` headers come too);
 * - batch: `application/cloudevents-batch+json`, an array of envelopes;
 * - binary: a `ce-specversion` header with any other content type (`application/json`
 *   included) or none: attributes in `ce-*` headers, the body is the data, `Content-Type` its
 *   `datacontenttype`;
 * - plain `application/json` without `ce-specversion`: one envelope or an array (the ingress's
 *   own JSON form).
 *
 * JSON bodies are UTF-8: a `charset` other than `utf-8` is refused with 415, like any other
 * media type (`text/plain`, forms, multipart, no type at all: what a web page may send without
 * asking). Binary-mode data is bytes, whatever their charset.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { envelopeToEvent, type JsonEnvelope, type PluginEvent } from '../engine/plugin-event.js';
import { LnError } from '../errors/ln-error.js';

/** The media types of JSON envelopes (structured or batch). */
export const JSON_TYPES: ReadonlySet<string> = new Set(['application/json', 'application/cloudevents+json', 'application/cloudevents-batch+json']);

/** How a request carries its events. */
export type IngressMode = 'structured' | 'batch' | 'json' | 'binary';

const MODE_OF_TYPE: Readonly<Record<string, IngressMode>> = {
  'application/json': 'json',
  'application/cloudevents+json': 'structured',
  'application/cloudevents-batch+json': 'batch',
};

const unsupported = (type: string | undefined): LnError =>
  new LnError('LN_ERR_EVENT_UNSUPPORTED_MEDIA_TYPE', { type: type === undefined ? '(none)' : JSON.stringify(type.slice(0, 80)) });

/**
 * The mode of a `POST /events` request, from its headers.
 *
 * @throws LnError `LN_ERR_EVENT_UNSUPPORTED_MEDIA_TYPE` for a body that is none of them, or JSON in another charset than UTF-8
 */
export function ingressMode(headers: IncomingHttpHeaders): IngressMode {
  const type = headers['content-type'];
  let mode = type === undefined ? undefined : MODE_OF_TYPE[type]; // the usual exact type: no split, no copies
  let params: string[] = [];
  if (mode === undefined && type !== undefined) {
    const [essence, ...rest] = type.split(';');
    mode = MODE_OF_TYPE[essence!.trim().toLowerCase()];
    params = rest;
  }
  // The CloudEvents types are structured (or batch) mode whatever else is sent; any other type with ce-specversion is binary mode.
  if (headers['ce-specversion'] !== undefined && (mode === undefined || mode === 'json')) return 'binary';
  if (mode === undefined) throw unsupported(type);
  for (const param of params) {
    const [name, value] = param.split('=', 2).map((s) => s.trim().toLowerCase());
    const charset = value?.replace(/^"|"$/g, '');
    if (name === 'charset' && charset !== 'utf-8' && charset !== 'utf8') throw unsupported(type);
  }
  return mode;
}

/** Binary-mode headers that are not attributes: the body is the data, `Content-Type` its type. */
const NOT_HEADERS = new Set(['data', 'data_base64', 'datacontenttype']);

/** A header value, percent-decoded as the binding writes non-ASCII (kept as sent when malformed). */
function headerValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(',') : value;
  if (text === undefined || !text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The event of a binary-mode request: `ce-id`, `ce-type`, `ce-source`, `ce-specversion: 1.0`,
 * optional `ce-time` and `ce-<name>` headers as extensions; the body as the data bytes and
 * `Content-Type` as `datacontenttype`. Validated like a JSON envelope.
 *
 * @throws LnError `LN_ERR_EVENT_INVALID` naming the attribute
 */
export function binaryEvent(headers: IncomingHttpHeaders, body: Buffer): PluginEvent {
  const envelope: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-')) continue;
    const attribute = name.slice(3);
    if (NOT_HEADERS.has(attribute)) {
      throw new LnError('LN_ERR_EVENT_INVALID', { reason: `"${name}" is not a binary-mode header (the body is the data, Content-Type its type)` });
    }
    envelope[attribute] = headerValue(value);
  }
  const type = headers['content-type'];
  if (type !== undefined) envelope.datacontenttype = type;
  return { ...envelopeToEvent(envelope), data: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
}

/** Whether an `Accept` header asks for the JSON answer (`application/json` or `application/cloudevents+json`). */
export function acceptsJsonAnswer(accept: string | undefined): boolean {
  return accept !== undefined && /application\/(cloudevents\+)?json/i.test(accept);
}

/** What one call's outcome shows of what it produced (a `DispatchResult` outcome). */
interface ProducingOutcome {
  readonly ok: boolean;
  readonly events?: readonly JsonEnvelope[];
  readonly emitted: readonly JsonEnvelope[];
}

/**
 * The binary-mode answer to a binary-mode request, or null when the answer must be JSON. The rule:
 * when every plugin that got the event succeeded and routing was not stopped, the events they
 * produced (emitted, then returned) decide: exactly one is answered as a binary-mode event (200,
 * `ce-*` headers, the data as the body, `Content-Type` its `datacontenttype`); none is 204 No
 * Content. Anything else (a failure, several events, `stopOnError`) only the JSON answer can carry.
 */
export function binaryAnswer(routed: { readonly results: readonly ProducingOutcome[]; readonly stopped: unknown }): BinaryAnswer | null {
  if (routed.stopped) return null;
  const produced: JsonEnvelope[] = [];
  for (const outcome of routed.results) {
    if (!outcome.ok) return null;
    produced.push(...outcome.emitted, ...(outcome.events ?? []));
  }
  if (produced.length > 1) return null;
  if (produced.length === 0) return { status: 204, headers: {}, body: null };
  const event = produced[0]!;
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'data' || key === 'data_base64' || key === 'datacontenttype' || typeof value !== 'string') continue;
    headers[`ce-${key}`] = headerEncode(value);
  }
  // Content-Type is an HTTP header of its own, not percent-encoded: one a header line cannot carry is replaced.
  const type = event.datacontenttype;
  headers['content-type'] = typeof type === 'string' && /^[\x20-\x7e]{1,256}$/.test(type) ? type : 'application/octet-stream';
  return { status: 200, headers, body: envelopeData(event) };
}

/** A binary-mode answer: its status, headers and body. */
export interface BinaryAnswer {
  readonly status: 200 | 204;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
}

/**
 * A header value as the binding writes it: space, `"`, `%` and everything outside printable
 * ASCII percent-encoded (UTF-8), so no attribute can break a header line (CR, LF, NUL).
 */
export function headerEncode(value: string): string {
  if (/^[!#-$&-~]*$/.test(value)) return value;
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    // Only space, '"', '%', controls and non-ASCII reach encodeURIComponent, which encodes each of them.
    out += code > 0x20 && code < 0x7f && ch !== '"' && ch !== '%' ? ch : encodeURIComponent(ch);
  }
  return out;
}

/**
 * The data bytes of an envelope made by `eventToEnvelope` (the inverse of its choices): base64
 * decoded; text as UTF-8; JSON data as its JSON text. Under a JSON content type, a string that is
 * itself JSON text is taken as the text `eventToEnvelope` kept unparsed (invalid or too deep JSON).
 */
export function envelopeData(envelope: JsonEnvelope): Buffer {
  if (typeof envelope.data_base64 === 'string') return Buffer.from(envelope.data_base64, 'base64');
  const data = envelope.data;
  if (data === undefined) return Buffer.alloc(0);
  const json = /json/i.test(String(envelope.datacontenttype ?? ''));
  if (typeof data === 'string' && (!json || isJsonText(data))) return Buffer.from(data, 'utf8');
  return Buffer.from(JSON.stringify(data), 'utf8');
}

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
