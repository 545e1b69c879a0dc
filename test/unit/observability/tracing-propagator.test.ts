// Issue 18 item 5: W3C traceparent/tracestate in and out; malformed or hostile headers start a new trace.
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { TraceContextPropagator } from '../../../host/observability/tracing-propagator.js';

const propagator = new TraceContextPropagator();
const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const P = '00f067aa0ba902b7';
const extract = (headers: Record<string, string>) => trace.getSpanContext(propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter));

describe('TraceContextPropagator', () => {
  it('continues a valid traceparent, with its tracestate, as a remote parent', () => {
    const parent = extract({ traceparent: `00-${T}-${P}-01`, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' });
    expect(parent).toMatchObject({ traceId: T, spanId: P, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(parent?.traceState?.get('congo')).toBe('t61rcWkgMzE');
    expect(extract({ traceparent: `00-${T}-${P}-00` })?.traceFlags).toBe(TraceFlags.NONE);
    // A later version is read by its first four fields.
    expect(extract({ traceparent: `01-${T}-${P}-01-future` })?.traceId).toBe(T);
  });

  it.each([
    ['version ff', `ff-${T}-${P}-01`],
    ['version 00 with a fifth field', `00-${T}-${P}-01-x`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${P}-01`],
    ['an all-zero parent id', `00-${T}-${'0'.repeat(16)}-01`],
    ['uppercase hex', `00-${T.toUpperCase()}-${P}-01`],
    ['a short trace id', `00-${T.slice(2)}-${P}-01`],
    ['garbage', 'hello'],
    ['an injected line', `00-${T}-${P}-01\r\nx: y`],
  ])('ignores %s (a new trace starts)', (_what, traceparent) => {
    expect(extract({ traceparent })).toBeUndefined();
  });

  it('drops a tracestate over 512 characters, keeps the parent', () => {
    const parent = extract({ traceparent: `00-${T}-${P}-01`, tracestate: `a=${'x'.repeat(600)}` });
    expect(parent?.traceId).toBe(T);
    expect(parent?.traceState).toBeUndefined();
  });

  it('injects the context it extracted', () => {
    const ctx = propagator.extract(ROOT_CONTEXT, { traceparent: `00-${T}-${P}-01`, tracestate: 'a=1' }, defaultTextMapGetter);
    const out: Record<string, string> = {};
    propagator.inject(ctx, out, defaultTextMapSetter);
    expect(out).toEqual({ traceparent: `00-${T}-${P}-01`, tracestate: 'a=1' });
  });
});
