/**
 * The usage receipt of a call, and the payload-size estimate its `bytesIn`/`bytesOut` (and the
 * payload limits) use.
 */

import type { HostCallSpan } from './host-call-spans.js';

/** What one call cost. Every call outcome carries one; failures carry it in their details. */
export interface Usage {
  /** Wall-clock time from the call being sent to its worker to its result, ms (queueing excluded). */
  readonly durationMs: number;
  /** Instructions the call ran (see `engine/instrument/fuel-pass.ts`); null: not fuel-metered. */
  readonly fuelUsed: number | null;
  /**
   * Size of all the instance's linear memories after the call, bytes. Linear memories never
   * shrink, so this is also the call's peak.
   */
  readonly peakMemoryBytes: number;
  /** Host calls the guest made during the call, by kind (`http`, `kv`, `log`, ...). */
  readonly hostCalls: Readonly<Record<string, number>>;
  /** Estimated size of the arguments, bytes (see `payloadBytes`). */
  readonly bytesIn: number;
  /** Estimated size of the result, bytes (0 when the call failed). */
  readonly bytesOut: number;
  /**
   * Lines of the guest's stdout/stderr the output rate limit dropped during the call (see
   * `OutputGate`); absent when none were.
   */
  readonly outputDropped?: number;
}

/**
 * The part of a receipt the worker measures, and, for a traced call, the host calls it timed
 * (turned into spans on the main thread, not part of the receipt).
 */
export type WorkerUsage = Pick<Usage, 'fuelUsed' | 'peakMemoryBytes' | 'hostCalls' | 'bytesOut' | 'outputDropped'> & {
  readonly hostSpans?: { readonly spans: readonly HostCallSpan[]; readonly dropped: number };
};

/** Usage as flat `LnError` details (host calls as `kind=n` pairs), for failures. */
export function usageDetails(usage: Usage): Record<string, number | string | null> {
  return {
    durationMs: Math.round(usage.durationMs * 1000) / 1000,
    fuelUsed: usage.fuelUsed,
    peakMemoryBytes: usage.peakMemoryBytes,
    hostCalls: Object.entries(usage.hostCalls)
      .map(([k, n]) => `${k}=${n}`)
      .join(','),
    bytesIn: usage.bytesIn,
    bytesOut: usage.bytesOut,
    ...(usage.outputDropped ? { outputDropped: usage.outputDropped } : {}),
  };
}

/**
 * The usage a failure carries in its details (see `usageDetails`), or undefined when it carries
 * none (the call never reached a worker).
 */
export function usageFromDetails(details: Readonly<Record<string, unknown>>): Usage | undefined {
  if (typeof details.durationMs !== 'number') return undefined;
  const hostCalls = Object.fromEntries(
    String(details.hostCalls ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => {
        const [kind, n] = pair.split('=');
        return [kind!, Number(n)];
      }),
  );
  return {
    durationMs: details.durationMs,
    fuelUsed: typeof details.fuelUsed === 'number' ? details.fuelUsed : null,
    peakMemoryBytes: Number(details.peakMemoryBytes ?? 0),
    hostCalls,
    bytesIn: Number(details.bytesIn ?? 0),
    bytesOut: Number(details.bytesOut ?? 0),
    ...(typeof details.outputDropped === 'number' ? { outputDropped: details.outputDropped } : {}),
  };
}

/**
 * Estimates how many bytes a call's arguments or result take, the way the canonical ABI lays
 * them out: strings count their UTF-8 length, byte arrays and typed arrays their byte length,
 * numbers and bigints 8, booleans 1, `null`/`undefined` 0; records count their field names too,
 * and lists and tuples the sum of their items. An object reached twice counts once.
 *
 * Cheap and bounded: it stops as soon as the total passes `limit` (a 100 MB string is refused by
 * its length alone, before any encoding), and walks iteratively, so no input can overflow the stack.
 *
 * @param value - the arguments array or the result
 * @param limit - stop counting once past this; the result is then some number over `limit`
 */
export function payloadBytes(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'object' || value === null) return scalarBytes(value, limit);
  if (Array.isArray(value) && value.length <= 8) {
    // Fast path for the common call: a few scalar arguments (no set, no stack).
    let flat = 0;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'object' && v !== null) return walkBytes(value, limit);
      flat += scalarBytes(v, limit - flat);
    }
    return flat;
  }
  return walkBytes(value, limit);
}

/** Bytes of a value that is not an object (see `payloadBytes`). */
function scalarBytes(v: unknown, room: number): number {
  switch (typeof v) {
    case 'string':
      return v.length > room ? v.length : Buffer.byteLength(v, 'utf8');
    case 'number':
    case 'bigint':
      return 8;
    case 'boolean':
      return 1;
    default:
      return 0;
  }
}

function walkBytes(value: unknown, limit: number): number {
  let total = 0;
  const seen = new Set<object>();
  const stack: object[] = [];
  const add = (v: unknown): void => {
    switch (typeof v) {
      case 'string':
        // UTF-8 never takes fewer bytes than UTF-16 code units: an over-long string needs no encoding.
        total += v.length > limit - total ? v.length : Buffer.byteLength(v, 'utf8');
        break;
      case 'number':
      case 'bigint':
        total += 8;
        break;
      case 'boolean':
        total += 1;
        break;
      case 'object':
        if (v === null || seen.has(v)) break;
        seen.add(v);
        if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) total += v.byteLength;
        else stack.push(v);
        break;
      default:
        break; // undefined, functions, symbols: nothing crosses the boundary for them
    }
  };
  add(value);
  while (stack.length > 0 && total <= limit) {
    const v = stack.pop()!;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length && total <= limit; i++) add(v[i]);
    } else {
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        total += key.length;
        add((v as Record<string, unknown>)[key]);
        if (total > limit) break;
      }
    }
  }
  return total;
}
