// The payload estimate behind usage receipts and payload limits: what it counts, and that it is
// cheap and bounded on hostile values.
import { describe, expect, it } from 'vitest';
import { payloadBytes, usageDetails, usageFromDetails } from '../../../host/sandbox/usage.js';

describe('payloadBytes', () => {
  it('counts UTF-8 bytes, byte lengths, 8 per number, 1 per boolean, record keys', () => {
    expect(payloadBytes(['héllo'])).toBe(6);
    expect(payloadBytes([new Uint8Array(10), new Float64Array(2)])).toBe(26);
    expect(payloadBytes([1, 2n, true, null, undefined])).toBe(17);
    expect(payloadBytes({ id: 'a', tag: 'ok', val: [1, 2] })).toBe(2 + 1 + 3 + 2 + 3 + 16);
  });

  it('stops early past the limit: a 100 MB string is judged by its length', () => {
    const huge = 'x'.repeat(100 * 1024 * 1024);
    expect(payloadBytes([huge], 1024)).toBeGreaterThan(1024);
    expect(payloadBytes([Array.from({ length: 1_000_000 }, () => 1)], 80)).toBeLessThan(200);
  });

  it('terminates on cycles and shared objects, and on deep nesting without recursion', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = a;
    expect(payloadBytes(a)).toBe(1 + 8 + 4);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(payloadBytes(deep)).toBe(8);
  });

  it('flattens a receipt into error details', () => {
    expect(usageDetails({ durationMs: 1.23456, fuelUsed: null, peakMemoryBytes: 65536, hostCalls: { http: 2, kv: 1 }, bytesIn: 3, bytesOut: 0 })).toEqual({
      durationMs: 1.235,
      fuelUsed: null,
      peakMemoryBytes: 65536,
      hostCalls: 'http=2,kv=1',
      bytesIn: 3,
      bytesOut: 0,
    });
  });

  it("a failure's details give back the receipt they were made from", () => {
    const usage = { durationMs: 12.5, fuelUsed: 905, peakMemoryBytes: 65536, hostCalls: { log: 3, kv: 1 }, bytesIn: 40, bytesOut: 0 };
    expect(usageFromDetails(usageDetails(usage))).toEqual(usage);
    expect(usageFromDetails(usageDetails({ ...usage, fuelUsed: null, hostCalls: {} }))).toEqual({ ...usage, fuelUsed: null, hostCalls: {} });
    expect(usageFromDetails({ reason: 'never reached a worker' })).toBeUndefined();
  });
});
