/**
 * Issue 18 item 6: the MQTT bridge against a real broker (Debian's mosquitto, started per test on
 * a free loopback port with a temp config and persistence, always stopped), a real host
 * (`createHost` with `bridges.mqtt`) and a real plugin (components/echo-c, which answers each event
 * with `<type>.echoed`):
 * - 1000 QoS 1 messages become exactly 1000 handled events, each payload once;
 * - the broker restarted mid-stream loses none (persistent session, mosquitto persistence);
 * - a message being routed when the host stops is not acknowledged, and a new host gets it again;
 * - events the plugin produces reach a real subscriber on the egress rule's topic (structured and binary);
 * - hostile payloads (oversize, invalid JSON, binary, too deep) are counted, logged, in the
 *   timeline, and the host keeps serving.
 */

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createHost, type Host, type HostConfigInput, parseManifest } from '../../host/index.js';
import { ROOT, tempDataDir } from '../helpers/cli.js';
import { hasMosquitto, Mosquitto } from '../helpers/mosquitto.js';

const ECHO = readFileSync(join(ROOT, 'components', 'echo-c', 'component.wasm'));

const brokers: Mosquitto[] = [];
const hosts: Host[] = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  await Promise.all(brokers.splice(0).map((b) => b.dispose()));
});

async function broker(): Promise<Mosquitto> {
  const b = await Mosquitto.start();
  brokers.push(b);
  return b;
}

/** A test-side MQTT client (publisher or subscriber), connected. */
async function client(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const c = connect(url, { clientId: `test-${randomUUID().slice(0, 8)}`, protocolVersion: 5, reconnectPeriod: 100, ...options });
  clients.push(c);
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

/** A started host with echo-c deployed for `events`, its bridge connected; `handled` collects each ingress event's data as the plugin got it. */
async function bridgedHost(
  mqtt: NonNullable<HostConfigInput['bridges']>['mqtt'],
  events: string[] = ['sensor.reading'],
  dataDir = tempDataDir(),
): Promise<{ host: Host; handled: string[] }> {
  const host = createHost(
    {
      dataDir,
      listen: '127.0.0.1:0',
      adminListen: '127.0.0.1:0',
      adminToken: 'x'.repeat(32),
      logLevel: 'silent',
      sandbox: { isolation: 'inline' },
      bridges: { mqtt },
    },
    { output: { stdout: new PassThrough(), stderr: new PassThrough() }, cwd: tmpdir() },
  );
  hosts.push(host);
  await host.start();
  if (host.events.names.length === 0) {
    const stored = await host.versions.storeArtifact(ECHO);
    const manifest = parseManifest({ name: 'echo', version: '1.0.0', events, limits: { concurrency: 4 } }, 'test', tmpdir());
    await host.versions.deploy({ manifest, digest: stored.digest, actor: 'test', approveCapabilities: true });
  }
  const handled: string[] = [];
  host.events.on('afterCall', ({ plugin, depth, outcome, event }) => {
    if (plugin === 'echo' && depth === 0 && outcome.ok) handled.push(Buffer.from(event.data).toString());
  });
  await host.mqtt!.whenConnected();
  return { host, handled };
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Publishes at QoS 1 and waits for the PUBACK, trying again across a broker restart. */
async function publishSure(c: MqttClient, topic: string, payload: string | Buffer): Promise<void> {
  for (;;) {
    try {
      await c.publishAsync(topic, payload, { qos: 1 });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const SENSORS = { topic: 'sensors/+/temp', type: 'sensor.reading', source: '/sensors/{1}' } as const;

describe.skipIf(!hasMosquitto)('MQTT bridge (real mosquitto)', () => {
  it('turns 1000 QoS 1 messages into exactly 1000 handled events, in order', async () => {
    const b = await broker();
    const { host, handled } = await bridgedHost({ url: b.url, clientId: `lnano-${randomUUID().slice(0, 8)}`, subscriptions: [SENSORS] });
    const pub = await client(b.url);
    const sent = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ n: i, celsius: 20 + (i % 7) }));
    await Promise.all(sent.map((p, i) => pub.publishAsync(`sensors/s${i % 10}/temp`, p, { qos: 1 })));
    await until('1000 events', () => handled.length >= 1000);
    await new Promise((r) => setTimeout(r, 200)); // nothing more comes
    expect(handled).toHaveLength(1000);
    expect(handled).toEqual(sent); // one connection, one at a time: the order they were sent
    expect(host.mqtt!.stats()).toMatchObject({ connected: true, handled: 1000, refused: {} });
    const scrape = await fetch(`${host.addresses.admin.url}/metrics`, { headers: { authorization: `Bearer ${'x'.repeat(32)}` } }).then((r) => r.text());
    expect(scrape).toContain('lnano_mqtt_messages_total{subscription="sensors/+/temp",outcome="handled"} 1000');
    expect(scrape).toMatch(/lnano_mqtt_connected 1/);
  }, 60_000);

  it('loses no message when the broker restarts mid-stream (persistent session, broker persistence)', async () => {
    const b = await broker();
    const { host, handled } = await bridgedHost({
      url: b.url,
      clientId: `lnano-${randomUUID().slice(0, 8)}`,
      reconnectMin: '100ms',
      reconnectMax: '1s',
      subscriptions: [SENSORS],
    });
    const pub = await client(b.url, { clean: false, properties: { sessionExpiryInterval: 600 } });
    const total = 300;
    for (let i = 0; i < total; i++) {
      if (i === 120) await b.restart();
      await publishSure(pub, 'sensors/a/temp', JSON.stringify({ n: i }));
    }
    await until('every message', () => new Set(handled).size >= total);
    const seen = new Set(handled.map((h) => (JSON.parse(h) as { n: number }).n));
    expect([...Array(total).keys()].filter((n) => !seen.has(n))).toEqual([]);
    // At least once: a message the broker sent but whose PUBACK the restart cut off may come twice.
    expect(handled.length - total).toBeLessThan(10);
    expect(host.mqtt!.stats().connects).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('does not acknowledge a message it was routing when the host stopped: the next host gets it', async () => {
    const b = await broker();
    const dataDir = tempDataDir();
    const clientId = `lnano-${randomUUID().slice(0, 8)}`;
    const first = await bridgedHost({ url: b.url, clientId, subscriptions: [SENSORS] }, undefined, dataDir);
    let release = (): void => {};
    const held = new Promise<void>((r) => (release = r));
    let arrived = false;
    first.host.events.on('beforeEvent', async () => {
      arrived = true;
      await held; // the host "dies" while this message is being routed
    });
    const pub = await client(b.url);
    await pub.publishAsync('sensors/a/temp', JSON.stringify({ n: 'once' }), { qos: 1 });
    await until('the message to arrive', () => arrived);
    await first.host.mqtt!.close(0); // the connection ends without a PUBACK
    release();
    await first.host.close();
    const second = await bridgedHost({ url: b.url, clientId, subscriptions: [SENSORS] }, undefined, dataDir);
    await until('the redelivery', () => second.handled.length === 1);
    expect(second.handled).toEqual([JSON.stringify({ n: 'once' })]);
  }, 60_000);

  it('publishes the events plugins produce to a real subscriber, structured and binary', async () => {
    const b = await broker();
    const sub = await client(b.url);
    const got: Array<{ topic: string; payload: string; contentType?: string; user?: Record<string, unknown> }> = [];
    sub.on('message', (topic, payload, packet) => {
      got.push({ topic, payload: payload.toString(), contentType: packet.properties?.contentType, user: packet.properties?.userProperties });
    });
    await sub.subscribeAsync('out/#', { qos: 1 });
    const { host } = await bridgedHost({
      url: b.url,
      clientId: `lnano-${randomUUID().slice(0, 8)}`,
      subscriptions: [SENSORS],
      egress: [
        { events: 'sensor.*.echoed', topic: 'out/structured/{type}' },
        { events: 'sensor.*.echoed', topic: 'out/binary', format: 'binary' },
      ],
    });
    const pub = await client(b.url);
    await pub.publishAsync('sensors/k1/temp', JSON.stringify({ celsius: 21.5 }), { qos: 1 });
    // And an event that came in over HTTP: its produced events go out too.
    const res = await fetch(`${host.addresses.ingress.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'h1', type: 'sensor.reading', source: '/http', data: { celsius: 3 } }),
    });
    expect(res.status).toBe(200);
    await until('four publications', () => got.length >= 4);
    const structured = got.filter((g) => g.topic === 'out/structured/sensor.reading.echoed').map((g) => JSON.parse(g.payload) as Record<string, unknown>);
    expect(structured).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'sensor.reading.echoed', source: '/sensors/k1', data: { celsius: 21.5 } }),
        expect.objectContaining({ id: 'h1-echo', type: 'sensor.reading.echoed', source: '/http', data: { celsius: 3 } }),
      ]),
    );
    expect(got.find((g) => g.topic.startsWith('out/structured'))?.contentType).toBe('application/cloudevents+json');
    const binary = got.filter((g) => g.topic === 'out/binary');
    expect(binary.map((g) => g.payload).sort()).toEqual([JSON.stringify({ celsius: 21.5 }), JSON.stringify({ celsius: 3 })].sort());
    expect(binary[0]!.contentType).toBe('application/json');
    expect(binary[0]!.user).toMatchObject({ specversion: '1.0', type: 'sensor.reading.echoed' });
    await until('the four PUBACKs', () => host.mqtt!.stats().published === 4);
  }, 60_000);

  it('logs in with credentials from a passwordFile; with a wrong password it keeps retrying and the host keeps serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnano-mqtt-creds-'));
    const passwd = join(dir, 'passwd');
    execFileSync('/usr/bin/mosquitto_passwd', ['-b', '-c', passwd, 'edge', 'right-password']);
    const b = await Mosquitto.start([`password_file ${passwd}`]);
    brokers.push(b);
    writeFileSync(join(dir, 'good'), 'right-password\n');
    writeFileSync(join(dir, 'bad'), 'wrong-password\n');
    const { host, handled } = await bridgedHost({
      url: b.url,
      clientId: `lnano-${randomUUID().slice(0, 8)}`,
      username: 'edge',
      passwordFile: join(dir, 'good'),
      subscriptions: [SENSORS],
    });
    const pub = await client(b.url, { username: 'edge', password: 'right-password' });
    await pub.publishAsync('sensors/a/temp', '{"n":1}', { qos: 1 });
    await until('the message', () => handled.length === 1);
    await host.close();

    const refused = createHost(
      {
        dataDir: tempDataDir(),
        listen: '127.0.0.1:0',
        adminListen: '127.0.0.1:0',
        adminToken: 'x'.repeat(32),
        logLevel: 'silent',
        sandbox: { isolation: 'inline' },
        bridges: {
          mqtt: { url: b.url, username: 'edge', passwordFile: join(dir, 'bad'), reconnectMin: '50ms', reconnectMax: '200ms', subscriptions: [SENSORS] },
        },
      },
      { output: { stdout: new PassThrough(), stderr: new PassThrough() }, cwd: tmpdir() },
    );
    hosts.push(refused);
    await refused.start();
    let connected = false;
    void refused.mqtt!.whenConnected().then(() => {
      connected = true;
    });
    await new Promise((r) => setTimeout(r, 600)); // several refused attempts
    expect([connected, refused.mqtt!.stats().connected]).toEqual([false, false]);
    expect((await fetch(`${refused.addresses.ingress.url}/health`)).status).toBe(200);
  }, 60_000);

  it('counts, logs and records hostile payloads and keeps serving', async () => {
    const b = await broker();
    const { host, handled } = await bridgedHost({
      url: b.url,
      clientId: `lnano-${randomUUID().slice(0, 8)}`,
      maxPayload: '1KiB',
      subscriptions: [SENSORS, { topic: 'raw/#', type: 'raw.{1}', format: 'binary', contentType: 'application/octet-stream', qos: 0 }],
    });
    const pub = await client(b.url);
    await pub.publishAsync('sensors/a/temp', Buffer.alloc(4096, 0x61), { qos: 1 }); // over maxPayload
    await pub.publishAsync('sensors/a/temp', '{"celsius": ', { qos: 1 }); // not JSON
    await pub.publishAsync('sensors/a/temp', Buffer.from([0xff, 0xfe, 0x00, 0x7b]), { qos: 1 }); // binary where JSON is expected
    await pub.publishAsync('sensors/a/temp', `${'['.repeat(200)}${']'.repeat(200)}`, { qos: 1 }); // too deep
    await pub.publishAsync('sensors/a/temp', '', { qos: 0 }); // empty
    await pub.publishAsync('raw/x/y', Buffer.from([0xff, 0x00, 0x01]), { qos: 0 }); // QoS 0, binary where binary is fine: type raw.x/y is routed (no plugin takes it)
    await pub.publishAsync('sensors/a/temp', JSON.stringify({ ok: true }), { qos: 1 });
    await until('the valid message', () => handled.length === 1);
    await until('every refusal', () => Object.values(host.mqtt!.stats().refused).reduce((a, n) => a + n, 0) === 5);
    expect(host.mqtt!.stats()).toMatchObject({ handled: 2, refused: { too_large: 1, invalid: 3, too_deep: 1 } });
    const refusedEntries = host.events.timeline.query({ component: '(mqtt)' }).entries;
    expect(refusedEntries.map((e) => e.code).sort()).toEqual([
      'LN_ERR_EVENT_INVALID',
      'LN_ERR_EVENT_INVALID',
      'LN_ERR_EVENT_INVALID',
      'LN_ERR_EVENT_TOO_DEEP',
      'LN_ERR_EVENT_TOO_LARGE',
    ]);
    expect((await fetch(`${host.addresses.ingress.url}/health`)).status).toBe(200);
  }, 60_000);
});
