/**
 * Issue 18 item 5: trace context through a real host. An incoming `traceparent` is continued
 * into an OTLP sink on loopback (a real HTTP server receiving OTLP/HTTP from the real exporter):
 * the host's `SERVER` span has the caller's trace id and the caller's span as its parent, and the
 * event → plugin spans hang under it; `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` name the
 * resource; `X-Request-Id` comes back; log lines inside the trace carry `trace_id`. And a
 * plugin's outgoing HTTP (net-probe, a real worker) carries a `traceparent` whose parent is its
 * own `CLIENT` host-call span.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { closedGrants } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { findExport } from '../../host/engine/component.js';
import { Engine } from '../../host/engine/engine.js';
import { createHost, type Host, parseManifest } from '../../host/index.js';
import { Tracing } from '../../host/observability/tracing.js';
import { Instance } from '../../host/sandbox/instance.js';
import { fixture, ROOT, tempDataDir } from '../helpers/cli.js';

const TOKEN = 't'.repeat(32);
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A loopback HTTP server that keeps every request's headers and body. */
async function sink(): Promise<{ url: string; received: Array<{ path: string; headers: IncomingHttpHeaders; body: string }> }> {
  const received: Array<{ path: string; headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}
interface OtlpExport {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans: Array<{ spans: OtlpSpan[] }>;
  }>;
}

describe('trace context', () => {
  it('continues an incoming traceparent into an OTLP sink on loopback, with the resource from OTEL_* and the request id', async () => {
    const collector = await sink();
    const host: Host = createHost(
      {
        dataDir: tempDataDir(),
        listen: '127.0.0.1:0',
        adminListen: '127.0.0.1:0',
        adminToken: TOKEN,
        logLevel: 'debug',
        sandbox: { isolation: 'inline' },
        tracing: { enabled: true, otlpEndpoint: `${collector.url}/v1/traces` },
      },
      {
        output: { stdout: new PassThrough(), stderr: new PassThrough() },
        cwd: tmpdir(),
        env: { OTEL_SERVICE_NAME: 'edge-7', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,site=north%20hall,bad key=x' },
      },
    );
    cleanup.push(() => host.close());
    await host.start();
    const stored = await host.versions.storeArtifact(readFileSync(join(ROOT, 'components', 'echo-c', 'component.wasm')));
    const manifest = parseManifest({ name: 'echo', version: '1.0.0', events: ['sensor.reading'] }, 'test', tmpdir());
    await host.versions.deploy({ manifest, digest: stored.digest, actor: 'test', approveCapabilities: true });

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const res = await fetch(`${host.addresses.ingress.url}/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${callerSpan}-01`,
        tracestate: 'vendor=opaque',
        'x-request-id': 'req-abc.123',
      },
      body: JSON.stringify({ id: 't1', type: 'sensor.reading', source: '/s', data: { celsius: 20 } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-abc.123');
    const answer = (await res.json()) as { traceId: string; requestId: string };
    expect(answer).toMatchObject({ traceId, requestId: 'req-abc.123' });
    // A request id that is not sane is replaced by a new one, and answered.
    const bad = await fetch(`${host.addresses.ingress.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'a b"c'.repeat(50) },
      body: JSON.stringify({ id: 't2', type: 'other', source: '/s' }),
    });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    // A caller that did not sample its trace: the host follows it and records nothing.
    const unsampled = await fetch(`${host.addresses.ingress.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${'1'.repeat(32)}-${callerSpan}-00` },
      body: JSON.stringify({ id: 't3', type: 'sensor.reading', source: '/s', data: {} }),
    });
    expect(((await unsampled.json()) as { traceId?: string }).traceId).toBeUndefined();

    // Log lines made inside the trace carry its id.
    const logs = (await fetch(`${host.addresses.admin.url}/v1/components/echo/logs?lines=50`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) =>
      r.text(),
    )) as string;
    expect(logs).toContain(`"trace_id":"${traceId}"`);

    await host.close(); // flushes the batch exporter
    const exports = collector.received.filter((r) => r.path === '/v1/traces').map((r) => JSON.parse(r.body) as OtlpExport);
    expect(exports.length).toBeGreaterThan(0);
    const spans = exports.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
    const ours = spans.filter((s) => s.traceId === traceId);
    const server = ours.find((s) => s.name === 'POST /events')!;
    expect(server).toMatchObject({ parentSpanId: callerSpan, kind: 2 }); // SPAN_KIND_SERVER
    const event = ours.find((s) => s.name === 'event sensor.reading')!;
    expect(event.parentSpanId).toBe(server.spanId);
    const plugin = ours.find((s) => s.name === 'plugin echo')!;
    expect(plugin.parentSpanId).toBe(event.spanId);
    const resource = Object.fromEntries(exports[0]!.resourceSpans[0]!.resource.attributes.map((a) => [a.key, a.value.stringValue]));
    expect(resource).toMatchObject({ 'service.name': 'edge-7', 'deployment.environment': 'test', site: 'north hall' });
    expect(resource).not.toHaveProperty('bad key');
    expect(spans.filter((s) => s.traceId === '1'.repeat(32))).toEqual([]);
  }, 60_000);

  it("carries traceparent on a plugin's outgoing HTTP, naming its CLIENT host-call span as the parent", async () => {
    const upstream = await sink();
    const exporter = new InMemorySpanExporter();
    const tracing = await Tracing.start({ enabled: true, otlpEndpoint: null, sampleRatio: 1 }, undefined, [new SimpleSpanProcessor(exporter)]);
    cleanup.push(() => tracing.shutdown());
    const component = await new Engine().load(readFileSync(fixture('net-probe')), 'net-probe');
    const base = closedGrants('net-probe');
    const port = new URL(upstream.url).port;
    const instance = await Instance.start(component, {
      linker: linkerSpec({
        ...base,
        wasi: { ...base.wasi, http: { allow: [`127.0.0.1:${port}`], maxResponseBytes: 4096, timeoutMs: 10_000, maxRequestsPerCall: 4 } },
      }),
    });
    cleanup.push(() => instance.dispose());
    const target = findExport(component.shape, 'fetch-url')!;
    const tracer = trace.getTracer('liquid-nano');
    const { pluginSpan, outcome } = await tracer.startActiveSpan('plugin net-probe', async (span) => {
      try {
        return { pluginSpan: span, outcome: await instance.call(target, [`${upstream.url}/upstream`]) };
      } finally {
        span.end();
      }
    });
    expect(outcome.errResult).toBeFalsy();
    const got = upstream.received.find((r) => r.path === '/upstream')!;
    const [version, traceId, parent, flags] = String(got.headers.traceparent).split('-');
    expect([version, traceId, flags]).toEqual(['00', pluginSpan.spanContext().traceId, '01']);
    const client = exporter.getFinishedSpans().find((s) => s.name === 'host http handle')!;
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(client.spanContext().spanId).toBe(parent);
    expect(client.parentSpanContext?.spanId).toBe(pluginSpan.spanContext().spanId);
    // Untraced, a request carries no traceparent.
    await instance.call(target, [`${upstream.url}/untraced`]);
    expect(upstream.received.find((r) => r.path === '/untraced')!.headers.traceparent).toBeUndefined();
  }, 60_000);
});
