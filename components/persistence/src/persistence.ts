/// <reference path="../../../sdk/ts/plugin.d.ts" />
// persistence: sanitizes a JSON reading and stores it in the kv store.
// - Only the fields its manifest `config` allows are kept ("fields": "a,b,c"); values must be
//   strings (control characters stripped, capped at "maxStringLength", default 256), finite
//   numbers, booleans or null; anything else is dropped.
// - The key is `reading/<source>/<id>` (control characters and '/' in the parts replaced).
// - Returns one `persistence.stored` event: { key, fields, dropped }.
// An event of type `persistence.get` with data {"key": "..."} reads a stored value back as a
// `persistence.value` event ({ key, value } with value null when absent), so operators can check
// what was stored (`lnano invoke persistence --event-type persistence.get --data '{"key":"…"}'`).
import * as config from 'liquid-nano:plugin/config@0.1.0';
import * as kv from 'liquid-nano:plugin/kv@0.1.0';
import type { Event } from 'liquid-nano:plugin/types@0.1.0';
import { err, jsonBytes, textOf } from '@liquid-nano/guest';

type Scalar = string | number | boolean | null;

/** Ends the export with `err({ tag, val })` (the SDK guest library's convention). */
const fail = (tag: 'invalid-event' | 'unavailable' | 'failed', val: string): never => err({ tag, val });
const decoder = new TextDecoder();
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function kvCall<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const payload = (e as { payload?: { tag?: string; val?: string } }).payload;
    return fail('unavailable', `kv ${what}: ${payload?.tag ?? String(e)}${payload?.val ? `: ${payload.val}` : ''}`);
  }
}

function readObject(event: Event): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(textOf(event));
  } catch {
    return fail('invalid-event', 'data is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('invalid-event', 'data must be a JSON object');
  return value as Record<string, unknown>;
}

function sanitize(reading: Record<string, unknown>): { clean: Record<string, Scalar>; dropped: string[] } {
  const allowed = (config.get('fields') ?? '').split(',').map((f) => f.trim()).filter(Boolean);
  const maxString = Math.max(1, Math.min(65536, Number(config.get('maxStringLength') ?? 256) || 256));
  const clean: Record<string, Scalar> = {};
  const dropped: string[] = [];
  for (const [field, value] of Object.entries(reading)) {
    if (!allowed.includes(field)) {
      dropped.push(field.replace(CONTROL, '').slice(0, 64));
      continue;
    }
    if (typeof value === 'string') clean[field] = value.replace(CONTROL, '').slice(0, maxString);
    else if (typeof value === 'number' && Number.isFinite(value)) clean[field] = value;
    else if (typeof value === 'boolean' || value === null) clean[field] = value;
    else dropped.push(field);
  }
  return { clean, dropped: dropped.slice(0, 64) };
}

const keyPart = (s: string): string => s.replace(CONTROL, '').replace(/\//g, '_').slice(0, 100) || '_';

function reply(event: Event, type: string, data: unknown): Event[] {
  return [{
    id: `${event.id}-${type.split('.').pop()}`, type, source: event.source, time: event.time,
    datacontenttype: 'application/json', data: jsonBytes(data), extensions: [],
  }];
}

function handle(event: Event): Event[] {
  const body = readObject(event);
  if (event.type === 'persistence.get') {
    if (typeof body.key !== 'string') return fail('invalid-event', 'persistence.get needs data {"key": "..."}');
    const key = body.key;
    const stored = kvCall('get', () => kv.get(key));
    return reply(event, 'persistence.value', { key, value: stored ? JSON.parse(decoder.decode(stored)) : null });
  }
  const { clean, dropped } = sanitize(body);
  const key = `reading/${keyPart(event.source)}/${keyPart(event.id)}`;
  kvCall('set', () => kv.set(key, jsonBytes(clean)));
  return reply(event, 'persistence.stored', { key, fields: Object.keys(clean), dropped });
}

/** The `liquid-nano:plugin/handler@0.1.0` export. */
export const handler = { handle };
