/**
 * CloudEvents' HTTP binding as the ingress speaks it: which request bodies it takes, and the
 * binary mode (attributes in `ce-*` headers, the body is the data, `Content-Type` its type).
 *
 * - structured: `application/cloudevents+json` (or plain `application/json`), one envelope;
 * - batch: `application/cloudevents-batch+json` (or `application/json`), an array of envelopes;
 * - binary: a `ce-specversion` header, any body and content type.
 *
 * Anything else (`text/plain`, forms, multipart, no type at all: what a web page may send
 * without asking) is refused with 415.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { envelopeToEvent, type PluginEvent } from '../engine/plugin-event.js';
import { LnError } from '../errors/ln-error.js';

/** The media types of JSON envelopes (structured or batch). */
export const JSON_TYPES: ReadonlySet<string> = new Set(['application/json', 'application/cloudevents+json', 'application/cloudevents-batch+json']);

/** How a request carries its events: JSON envelopes (structured or batch), or binary mode. */
export type IngressMode = 'json' | 'binary';

/**
 * The mode of a `POST /events` request, from its headers.
 *
 * @throws LnError `LN_ERR_EVENT_UNSUPPORTED_MEDIA_TYPE` for a body that is neither
 */
export function ingressMode(headers: IncomingHttpHeaders): IngressMode {
  if (headers['ce-specversion'] !== undefined) return 'binary';
  const type = headers['content-type'];
  if (type !== undefined && JSON_TYPES.has(type)) return 'json'; // the usual exact type: no split, no copies
  const essence = type?.split(';', 1)[0]?.trim().toLowerCase();
  if (essence !== undefined && JSON_TYPES.has(essence)) return 'json';
  throw new LnError('LN_ERR_EVENT_UNSUPPORTED_MEDIA_TYPE', { type: type === undefined ? '(none)' : JSON.stringify(type.slice(0, 80)) });
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
 * optional `ce-time`, other `ce-<name>` headers as extensions; the body as the data bytes and
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
