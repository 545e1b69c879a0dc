/// <reference path="../../../sdk/ts/plugin.d.ts" />
// telemetry: statistics of JSON sensor readings. For each top-level numeric field of a reading it
// keeps count, min, max and mean per event `source` in the kv store (key `stats/<source>`, so
// they survive restarts and version swaps), and returns them as one `telemetry.stats` event.
// A value past a threshold of its manifest `config` ("thresholds": {"<field>": {"min": n,
// "max": n}}) logs a `warn` line and adds one `telemetry.alert` event per field after the stats.
// A reading without any numeric field fails with `failed` (nothing to measure): the pipeline's
// retry and fallback take over.
import * as config from 'liquid-nano:plugin/config@0.1.0';
import * as kv from 'liquid-nano:plugin/kv@0.1.0';
import { log } from 'liquid-nano:plugin/log@0.1.0';
import type { Event } from 'liquid-nano:plugin/types@0.1.0';
import { err, jsonBytes, textOf } from '@liquid-nano/guest';

interface FieldStats { count: number; min: number; max: number; mean: number }
interface Threshold { min?: number; max?: number }

/** Ends the export with `err({ tag, val })` (the SDK guest library's convention). */
const fail = (tag: 'invalid-event' | 'unavailable' | 'failed', val: string): never => err({ tag, val });
const decoder = new TextDecoder();
/** Most fields tracked per source (bounds the kv value). */
const MAX_FIELDS = 64;

function thresholds(): Record<string, Threshold> {
  const text = config.get('thresholds');
  if (text === undefined) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, Threshold>;
  } catch { /* reported below */ }
  return fail('failed', 'config "thresholds" must be a JSON object such as {"fahrenheit": {"max": 104}}');
}

function kvCall<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const payload = (e as { payload?: { tag?: string; val?: string } }).payload;
    return fail('unavailable', `kv ${what}: ${payload?.tag ?? String(e)}${payload?.val ? `: ${payload.val}` : ''}`);
  }
}

function handle(event: Event): Event[] {
  let reading: unknown;
  try {
    reading = JSON.parse(textOf(event));
  } catch {
    return fail('invalid-event', 'data is not JSON');
  }
  if (reading === null || typeof reading !== 'object' || Array.isArray(reading)) return fail('invalid-event', 'data must be a JSON object');
  const values = Object.entries(reading as Record<string, unknown>)
    .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]));
  if (values.length === 0) return fail('failed', 'the reading has no numeric field to measure');

  const key = `stats/${event.source}`.slice(0, 200);
  const stored = kvCall('get', () => kv.get(key));
  const stats = (stored ? JSON.parse(decoder.decode(stored)) : {}) as Record<string, FieldStats>;
  for (const [field, value] of values) {
    const s = stats[field];
    if (!s) {
      if (Object.keys(stats).length < MAX_FIELDS) stats[field] = { count: 1, min: value, max: value, mean: value };
      continue;
    }
    s.count += 1;
    s.min = Math.min(s.min, value);
    s.max = Math.max(s.max, value);
    s.mean += (value - s.mean) / s.count;
  }
  kvCall('set', () => kv.set(key, jsonBytes(stats)));

  const out: Event[] = [{
    id: `${event.id}-stats`, type: 'telemetry.stats', source: event.source, time: event.time,
    datacontenttype: 'application/json', data: jsonBytes({ source: event.source, fields: stats }), extensions: [],
  }];
  const limits = thresholds();
  for (const [field, value] of values) {
    const t = limits[field];
    if (!t) continue;
    const passed = typeof t.max === 'number' && value > t.max ? 'max' : typeof t.min === 'number' && value < t.min ? 'min' : undefined;
    if (!passed) continue;
    const threshold = passed === 'max' ? t.max! : t.min!;
    log('warn', 'threshold passed', [['field', field], ['value', String(value)], [passed, String(threshold)], ['source', event.source]]);
    out.push({
      id: `${event.id}-alert-${field}`, type: 'telemetry.alert', source: event.source, time: event.time,
      datacontenttype: 'application/json', data: jsonBytes({ field, value, [passed]: threshold }), extensions: [],
    });
  }
  return out;
}

/** The `liquid-nano:plugin/handler@0.1.0` export. */
export const handler = { handle };
