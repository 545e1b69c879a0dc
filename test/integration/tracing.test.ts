// Traces: with the host's tracer provider on, an event span → plugin-call span → the host calls
// the guest made (timed in its worker) form one tree, in an InMemorySpanExporter and in the ring
// behind GET /v1/traces. Real component (telemetry-c), real worker. The event and plugin spans
// are started here the way the event runtime starts them (@opentelemetry/api only).
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { Engine } from '../../host/engine/engine.js';
import type { PluginEvent } from '../../host/engine/plugin-event.js';
import { Tracing } from '../../host/observability/tracing.js';
import { MAX_HOST_CALL_SPANS } from '../../host/sandbox/host-call-spans.js';
import { parseManifest } from '../../host/versions/manifest.js';
import { VersionManager } from '../../host/versions/version-manager.js';
import { fixture } from '../helpers/cli.js';

const TELEMETRY = readFileSync(fixture('telemetry-c'));
const engine = new Engine({ cacheDir: mkdtempSync(join(tmpdir(), 'lnano-trace-cache-')) });
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

const event = (type: string): PluginEvent => ({
  id: 'e1',
  type,
  source: '/test',
  time: undefined,
  datacontenttype: 'text/plain',
  data: new TextEncoder().encode('hello'),
  extensions: [],
});

async function host(): Promise<VersionManager> {
  const manager = new VersionManager({ dataDir: mkdtempSync(join(tmpdir(), 'lnano-trace-')), engine });
  cleanup.push(() => manager.close());
  await manager.restore();
  const { digest } = await manager.storeArtifact(TELEMETRY);
  const manifest = parseManifest(
    { name: 'telemetry', version: '1.0.0', events: ['*'], config: { greeting: 'hi' }, limits: { concurrency: 1, timeout: '5s' } },
    'test',
    tmpdir(),
  );
  await manager.deploy({ manifest, digest, actor: 'test' });
  return manager;
}

/** Calls the plugin under an event span and a plugin span, as the event runtime does. */
function tracedCall(manager: VersionManager, type: string) {
  const tracer = trace.getTracer('liquid-nano');
  return tracer.startActiveSpan(`event ${type}`, async (eventSpan) => {
    try {
      return await tracer.startActiveSpan('plugin telemetry', async (pluginSpan) => {
        try {
          return await manager.call('telemetry', event(type));
        } finally {
          pluginSpan.end();
        }
      });
    } finally {
      eventSpan.end();
    }
  });
}

describe('tracing', () => {
  it('records nothing while off (the default): no provider, no host-call spans requested', async () => {
    const tracing = await Tracing.start({ enabled: false, otlpEndpoint: null, sampleRatio: 1 });
    const manager = await host();
    const outcome = await tracedCall(manager, 'reading');
    expect(outcome.ok).toBe(true);
    expect(tracing.enabled).toBe(false);
    expect(tracing.traces()).toEqual([]);
  });

  it('builds the event → plugin → host-call tree, in the exporter and in the ring', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await Tracing.start({ enabled: true, otlpEndpoint: null, sampleRatio: 1 }, undefined, [new SimpleSpanProcessor(exporter)]);
    onTestFinished(() => tracing.shutdown());
    const manager = await host();
    const outcome = await tracedCall(manager, 'reading');
    expect(outcome.ok).toBe(true);

    const spans = exporter.getFinishedSpans();
    const byName = (n: string) => spans.filter((s) => s.name === n);
    const eventSpan = byName('event reading')[0]!;
    const pluginSpan = byName('plugin telemetry')[0]!;
    expect(pluginSpan.parentSpanContext?.spanId).toBe(eventSpan.spanContext().spanId);
    const hostSpans = spans.filter((s) => s.name.startsWith('host '));
    expect(hostSpans.map((s) => s.name).sort()).toEqual([
      'host config get',
      'host kv set',
      'host log log',
      'host metrics counterAdd',
      'host metrics gaugeSet',
      'host metrics histogramObserve',
    ]);
    for (const s of hostSpans) {
      expect(s.parentSpanContext?.spanId).toBe(pluginSpan.spanContext().spanId);
      expect(s.spanContext().traceId).toBe(eventSpan.spanContext().traceId);
      expect(s.attributes['lnano.host_call.kind']).toBeTypeOf('string');
    }
    // kv was not granted: the host call failed (the guest got `denied`), and the span says so.
    const kv = hostSpans.find((s) => s.name === 'host kv set')!;
    expect(kv.attributes['lnano.host_call.error']).toBe('denied');
    // Times measured in the worker land inside the plugin span (same epoch clock on both threads).
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    for (const s of hostSpans) {
      expect(ms(s.startTime)).toBeGreaterThanOrEqual(ms(pluginSpan.startTime) - 1);
      expect(ms(s.endTime)).toBeLessThanOrEqual(ms(pluginSpan.endTime) + 1);
    }

    const [listed] = tracing.traces(5);
    expect(listed!.traceId).toBe(eventSpan.spanContext().traceId);
    expect(listed!.rootName).toBe('event reading');
    expect(listed!.spans).toHaveLength(8);
    const root = listed!.spans.find((s) => s.name === 'event reading')!;
    expect(root.parentSpanId).toBeNull();
    expect(listed!.spans.find((s) => s.name === 'host kv set')).toMatchObject({ status: 'error', attributes: { 'lnano.host_call.kind': 'kv' } });
  });

  it('a call without a recording parent span asks for no host-call spans; ratio 0 records no new trace', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await Tracing.start({ enabled: true, otlpEndpoint: null, sampleRatio: 1 }, undefined, [new SimpleSpanProcessor(exporter)]);
    onTestFinished(() => tracing.shutdown());
    const manager = await host();
    await manager.call('telemetry', event('untraced'));
    expect(exporter.getFinishedSpans()).toEqual([]);
    tracing.setSampleRatio(0);
    await tracedCall(manager, 'sampled-out');
    expect(exporter.getFinishedSpans()).toEqual([]);
    tracing.setSampleRatio(1);
    await tracedCall(manager, 'sampled-in');
    expect(exporter.getFinishedSpans().filter((s) => s.name.startsWith('host '))).toHaveLength(6);
    expect(MAX_HOST_CALL_SPANS).toBe(64);
  });

  it('exports spans over OTLP/HTTP to a collector when an endpoint is set', async () => {
    const bodies: string[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        bodies.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => collector.close(() => r())));
    const port = (collector.address() as AddressInfo).port;
    const tracing = await Tracing.start({ enabled: true, otlpEndpoint: `http://127.0.0.1:${port}/v1/traces`, sampleRatio: 1 });
    const manager = await host();
    await tracedCall(manager, 'exported');
    await tracing.shutdown(); // flushes the batch
    const sent = bodies.join('\n');
    expect(sent).toMatch(/^POST \/v1\/traces /);
    for (const name of ['event exported', 'plugin telemetry', 'host kv set']) expect(sent).toContain(name);
  });
});
