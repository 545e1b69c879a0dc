/// <reference path="../../../sdk/ts/plugin.d.ts" />
// transformer: applies the mutation its manifest `config` describes to a JSON object reading and
// returns it as one event. Steps, in this order (each a JSON object in a config value):
//   rename  {"celsius": "fahrenheit"}   moves a field to a new name
//   scale   {"fahrenheit": 1.8}         multiplies a numeric field
//   offset  {"fahrenheit": 32}          then adds to it (scale 1.8 + offset 32: °C → °F)
//   set     {"unit": "F"}               adds (or replaces) constant fields
//   type    "sensor.transformed"        the output event's type (default: <type>.transformed)
// Fields a step names but the reading lacks are left alone; a scale/offset of a field that is
// not a number is an `invalid-event` error, as is data that is not a JSON object.
import * as config from 'liquid-nano:plugin/config@0.1.0';
import type { Event } from 'liquid-nano:plugin/types@0.1.0';
import { err, jsonBytes, textOf } from '@liquid-nano/guest';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Ends the export with `err({ tag, val })` (the SDK guest library's convention). */
const fail = (tag: 'invalid-event' | 'failed', val: string): never => err({ tag, val });

/** A config value that must be a JSON object (of the given value type), or {} when unset. */
function objectConfig<T>(key: string, valid: (v: unknown) => v is T): Record<string, T> {
  const text = config.get(key);
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('failed', `config "${key}" is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('failed', `config "${key}" must be a JSON object`);
  for (const [k, v] of Object.entries(value)) if (!valid(v)) return fail('failed', `config "${key}.${k}" has the wrong type`);
  return value as Record<string, T>;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isJson = (_v: unknown): _v is Json => true;

function readObject(event: Event): Record<string, Json> {
  let value: unknown;
  try {
    value = JSON.parse(textOf(event));
  } catch {
    return fail('invalid-event', 'data is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('invalid-event', 'data must be a JSON object');
  return value as Record<string, Json>;
}

function numeric(reading: Record<string, Json>, field: string, step: string): number {
  const v = reading[field];
  if (typeof v !== 'number') return fail('invalid-event', `"${field}" is not a number (${step})`);
  return v;
}

function handle(event: Event): Event[] {
  const reading = readObject(event);
  for (const [from, to] of Object.entries(objectConfig('rename', isString))) {
    if (!Object.hasOwn(reading, from)) continue;
    reading[to] = reading[from]!;
    delete reading[from];
  }
  for (const [field, factor] of Object.entries(objectConfig('scale', isNumber))) {
    if (Object.hasOwn(reading, field)) reading[field] = numeric(reading, field, 'scale') * factor;
  }
  for (const [field, add] of Object.entries(objectConfig('offset', isNumber))) {
    if (Object.hasOwn(reading, field)) reading[field] = Math.round((numeric(reading, field, 'offset') + add) * 1e6) / 1e6;
  }
  Object.assign(reading, objectConfig('set', isJson));
  return [{
    id: event.id,
    type: config.get('type') ?? `${event.type}.transformed`,
    source: event.source,
    time: event.time,
    datacontenttype: 'application/json',
    data: jsonBytes(reading),
    extensions: [],
  }];
}

/** The `liquid-nano:plugin/handler@0.1.0` export. */
export const handler = { handle };
