// Issue 18 item 5: the spans' resource from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, as the
// OpenTelemetry SDK specification reads them; hostile values are bounded and reported, never thrown.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_NAME, resourceAttributes } from '../../../host/observability/tracing-resource.js';

describe('resourceAttributes', () => {
  it('names the service liquid-nano without either variable', () => {
    expect(resourceAttributes({})).toEqual({ attributes: { 'service.name': DEFAULT_SERVICE_NAME }, problems: [] });
  });

  it('reads key=value pairs, percent-decoded; OTEL_SERVICE_NAME wins over service.name there', () => {
    const r = resourceAttributes({ OTEL_RESOURCE_ATTRIBUTES: ' service.name=from-list , site=north%20hall,k8s.pod.name=p-1 ', OTEL_SERVICE_NAME: 'edge-7' });
    expect(r).toEqual({ attributes: { 'service.name': 'edge-7', site: 'north hall', 'k8s.pod.name': 'p-1' }, problems: [] });
    expect(resourceAttributes({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-list' }).attributes['service.name']).toBe('from-list');
  });

  it('skips and reports malformed, overlong and surplus entries', () => {
    const many = Array.from({ length: 130 }, (_, i) => `k${i}=v`).join(',');
    const r = resourceAttributes({
      OTEL_RESOURCE_ATTRIBUTES: `novalue,=x,bad key=1,pct=%E0%A4%A,long=${'x'.repeat(300)},${many}`,
      OTEL_SERVICE_NAME: 's'.repeat(300),
    });
    expect(Object.keys(r.attributes)).toHaveLength(129); // 128 from the list, and service.name
    expect(r.attributes['service.name']).toBe(DEFAULT_SERVICE_NAME);
    expect(r.attributes).not.toHaveProperty('bad key');
    // novalue, =x, bad key, pct, long; k128 and k129 past the cap; the service name.
    expect(r.problems).toHaveLength(8);
  });
});
