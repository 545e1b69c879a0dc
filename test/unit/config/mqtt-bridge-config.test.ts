// Issue 18 item 6: `bridges.mqtt` in the host config: its own schema, composed by one key; strict,
// defaults filled in, units resolved, the password never shown.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configEntries, resolveHostConfig } from '../../../host/config/host-config.js';
import { MQTT_BRIDGE_DEFAULTS } from '../../../host/config/mqtt-bridge-schema.js';
import { codeOf, errorOf } from '../../helpers/errors.js';

function load(mqtt: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'lnano-mqtt-config-'));
  const file = join(dir, 'lnano.json');
  writeFileSync(file, JSON.stringify({ bridges: { mqtt } }));
  return resolveHostConfig({ cwd: dir, env: {}, file });
}

describe('bridges.mqtt', () => {
  it('is off by default', () => {
    expect(resolveHostConfig({ cwd: '/', env: {} }).config.bridges.mqtt).toBeNull();
  });

  it('fills in the defaults and resolves sizes and durations', () => {
    const { config } = load({
      url: 'mqtt://broker.local:1883',
      maxPayload: '64KiB',
      reconnectMax: '5s',
      subscriptions: [{ topic: 'sensors/+/temp', type: 'sensor.{1}' }],
      egress: [{ events: 'alert.*', topic: 'alerts/{type}', qos: 0 }],
    });
    expect(config.bridges.mqtt).toEqual({
      url: 'mqtt://broker.local:1883',
      username: null,
      password: null,
      passwordFile: null,
      clientId: MQTT_BRIDGE_DEFAULTS.clientId,
      clean: false,
      protocolVersion: 5,
      sessionExpirySeconds: 86_400,
      keepaliveSeconds: 30,
      connectTimeoutMs: 10_000,
      reconnectMinMs: 500,
      reconnectMaxMs: 5000,
      maxPayloadBytes: 64 * 1024,
      maxPendingPublishes: 1000,
      subscriptions: [{ topic: 'sensors/+/temp', qos: 1, type: 'sensor.{1}', source: '/mqtt/{topic}', format: 'json', contentType: null }],
      egress: [{ events: 'alert.*', topic: 'alerts/{type}', qos: 0, retain: false, format: 'structured' }],
    });
    expect(Object.isFrozen(config.bridges.mqtt)).toBe(true);
  });

  it.each([
    ['an unknown key', { url: 'mqtt://b', subscribe: [] }, 'subscribe'],
    ['credentials in the URL', { url: 'mqtt://user:pw@b:1883' }, 'url'],
    ['another scheme', { url: 'http://b:1883' }, 'url'],
    ['QoS 2', { url: 'mqtt://b', subscriptions: [{ topic: 'a', type: 't', qos: 2 }] }, 'subscriptions.0.qos'],
    ['a subscription without a type', { url: 'mqtt://b', subscriptions: [{ topic: 'a' }] }, 'subscriptions.0.type'],
    ['an unknown format', { url: 'mqtt://b', subscriptions: [{ topic: 'a', type: 't', format: 'xml' }] }, 'subscriptions.0.format'],
    ['password and passwordFile', { url: 'mqtt://b', password: 'x', passwordFile: '/p' }, 'password'],
    ['a bad size', { url: 'mqtt://b', maxPayload: 'lots' }, 'maxPayload'],
    ['a list', [], 'bridges.mqtt'],
  ])('refuses %s, naming where', (_what, mqtt, where) => {
    expect(codeOf(() => load(mqtt))).toBe('LN_ERR_CONFIG_INVALID');
    expect(errorOf(() => load(mqtt)).message).toContain(where);
  });

  it('never shows the password', () => {
    const resolved = load({ url: 'mqtts://b:8883', username: 'edge', password: 'hunter2-secret' });
    expect(resolved.config.bridges.mqtt?.password).toBe('hunter2-secret');
    const shown = configEntries(resolved).find((e) => e.key === 'bridges.mqtt')!;
    expect(shown.value).toMatchObject({ username: 'edge', password: '(set)' });
    expect(JSON.stringify(configEntries(resolved))).not.toContain('hunter2');
  });
});
