/**
 * The `bridges.mqtt` section of the host config: the MQTT bridge (host/bridges/, docs/bridges.md).
 * Its own zod schema, composed into the host config by one line of `config-sections.ts`: the
 * loader validates a file's or an embedder's section with it (`parseMqttBridge`), and the
 * published JSON Schema (docs/host-config.schema.json) is made from it.
 *
 * Every default is in `MQTT_BRIDGE_DEFAULTS`; sizes and durations are resolved (bytes, ms).
 */
import { hostname } from 'node:os';
import type { z } from 'zod';
import { LnError } from '../errors/ln-error.js';
import { describeIssues, durationSchema, lazySchema, sizeSchema, zod } from '../support/schema.js';
import { parseByteSize, parseDurationMs } from '../support/units.js';

/** Defaults of the bridge and of each subscription and egress rule. */
export const MQTT_BRIDGE_DEFAULTS = Object.freeze({
  /** A fixed id per host, so a persistent session (`clean: false`) is found again after a restart. */
  clientId: `lnano-${
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, '')
      .slice(0, 40) || 'host'
  }`,
  clean: false,
  protocolVersion: 5 as 4 | 5,
  /** How long the broker keeps a persistent session while the bridge is away (MQTT 5), s. */
  sessionExpirySeconds: 86_400,
  keepaliveSeconds: 30,
  connectTimeoutMs: 10_000,
  /** Reconnect backoff: the first wait, doubled per failed attempt up to the max (± 20% jitter). */
  reconnectMinMs: 500,
  reconnectMaxMs: 30_000,
  /** Largest message payload turned into an event; larger ones are dropped and counted. */
  maxPayloadBytes: 256 * 1024,
  /** Egress publishes waiting for the broker (offline or unacknowledged) before new ones are dropped. */
  maxPendingPublishes: 1000,
  qos: 1 as 0 | 1,
  format: 'json' as const,
  source: '/mqtt/{topic}',
  egressFormat: 'structured' as const,
});

/** One subscription: a topic filter, and the event its messages become. */
export interface MqttSubscription {
  /** An MQTT topic filter (`sensors/+/temp`, `plant/#`). */
  readonly topic: string;
  readonly qos: 0 | 1;
  /** The event type; `{1}`, `{2}` … are the topic levels the wildcards matched (`#`: the rest, joined by `/`), `{topic}` the topic. */
  readonly type: string;
  /** The event source, with the same placeholders; default `/mqtt/{topic}`. */
  readonly source: string;
  /** `json`: the payload must be JSON (the data, `application/json`); `binary`: any bytes; `cloudevents`: a structured CloudEvents JSON envelope. */
  readonly format: 'json' | 'binary' | 'cloudevents';
  /** `datacontenttype` of binary payloads without an MQTT 5 content type; default none. */
  readonly contentType: string | null;
}

/** One egress rule: events plugins produce whose type matches `events` are published to `topic`. */
export interface MqttEgressRule {
  /** An event type pattern, as in manifests (`alert.*`). */
  readonly events: string;
  /** The topic; `{type}`, `{source}`, `{id}` are the event's (no wildcards may result). */
  readonly topic: string;
  readonly qos: 0 | 1;
  readonly retain: boolean;
  /** `structured`: the CloudEvents JSON envelope; `binary`: the data, attributes as MQTT 5 user properties (CloudEvents' MQTT binding). */
  readonly format: 'structured' | 'binary';
}

/** The resolved `bridges.mqtt` section. */
export interface MqttBridgeConfig {
  /** `mqtt://`, `mqtts://`, `ws://` or `wss://` broker URL, without credentials. */
  readonly url: string;
  readonly username: string | null;
  /** The password itself (kept out of `--print-config`), or null. */
  readonly password: string | null;
  /** A file holding the password (read at start; trailing newline dropped). */
  readonly passwordFile: string | null;
  readonly clientId: string;
  readonly clean: boolean;
  readonly protocolVersion: 4 | 5;
  readonly sessionExpirySeconds: number;
  readonly keepaliveSeconds: number;
  readonly connectTimeoutMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly maxPayloadBytes: number;
  readonly maxPendingPublishes: number;
  readonly subscriptions: readonly MqttSubscription[];
  readonly egress: readonly MqttEgressRule[];
}

const TEMPLATE = /^[^\0]{1,512}$/;
const d = MQTT_BRIDGE_DEFAULTS;

/** The schema of `bridges.mqtt` as a config file writes it (strict: unknown keys are errors). */
export const mqttBridgeSchema = lazySchema(() => {
  const z = zod();
  const qos = () => z.union([z.literal(0), z.literal(1)]);
  const subscription = z
    .strictObject({
      topic: z.string().min(1).max(1024).meta({ description: 'MQTT topic filter; + is one level, # the rest' }),
      qos: qos().optional().meta({ description: 'QoS 0 or 1 (default 1: acknowledged once the plugins handled the message)' }),
      type: z.string().regex(TEMPLATE).meta({ description: 'event type; {1}, {2} … are the levels the wildcards matched, {topic} the topic' }),
      source: z.string().regex(TEMPLATE).optional().meta({ description: 'event source, same placeholders (default /mqtt/{topic})' }),
      format: z
        .enum(['json', 'binary', 'cloudevents'])
        .optional()
        .meta({ description: 'payload format: json (default), binary or cloudevents (a structured envelope)' }),
      contentType: z.string().min(1).max(256).optional().meta({ description: 'datacontenttype of binary payloads without an MQTT 5 content type' }),
    })
    .meta({ description: 'one subscription: a topic filter and the event its messages become' });
  const rule = z
    .strictObject({
      events: z.string().min(1).max(256).meta({ description: 'event type pattern of produced events to publish (alert.*)' }),
      topic: z.string().regex(TEMPLATE).meta({ description: 'topic; {type}, {source}, {id} are the event’s' }),
      qos: qos().optional().meta({ description: 'QoS 0 or 1 (default 1)' }),
      retain: z.boolean().optional().meta({ description: 'publish with the retain flag (default false)' }),
      format: z
        .enum(['structured', 'binary'])
        .optional()
        .meta({ description: 'structured (default): the CloudEvents JSON envelope; binary (MQTT 5): data + user properties' }),
    })
    .meta({ description: 'one egress rule: produced events whose type matches go to a topic' });
  return z
    .strictObject({
      url: z
        .string()
        .regex(/^(mqtts?|wss?):\/\/[^@/\s]+(:\d+)?(\/\S*)?$/, 'expected mqtt://, mqtts://, ws:// or wss:// host[:port], credentials in username/password')
        .meta({ description: 'broker URL: mqtt://, mqtts://, ws:// or wss:// host[:port], no credentials' }),
      username: z.string().min(1).max(256).optional().meta({ description: 'user name for the broker' }),
      password: z.string().min(1).max(1024).optional().meta({ description: 'password for the broker (hidden in --print-config)' }),
      passwordFile: z.string().min(1).max(4096).optional().meta({ description: 'file holding the password, read at start' }),
      clientId: z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,128}$/)
        .optional()
        .meta({ description: 'MQTT client id (default lnano-<hostname>); fixed, so a persistent session is found again' }),
      clean: z.boolean().optional().meta({ description: 'start a new session each time (default false: a persistent session, redelivery after a restart)' }),
      protocolVersion: z
        .union([z.literal(4), z.literal(5)])
        .optional()
        .meta({ description: 'MQTT 3.1.1 (4) or 5 (default)' }),
      sessionExpirySeconds: z
        .number()
        .int()
        .min(0)
        .max(0xffffffff)
        .optional()
        .meta({ description: 'how long the broker keeps the session while away (MQTT 5, default 86400)' }),
      keepaliveSeconds: z.number().int().min(0).max(65_535).optional().meta({ description: 'keep-alive interval, seconds (default 30)' }),
      connectTimeout: durationSchema.optional().meta({ description: 'how long one connection attempt may take (default 10s)' }),
      reconnectMin: durationSchema.optional().meta({ description: 'first reconnect wait, doubled per failed attempt (default 500ms)' }),
      reconnectMax: durationSchema.optional().meta({ description: 'longest reconnect wait (default 30s)' }),
      maxPayload: sizeSchema.optional().meta({ description: 'largest payload turned into an event (default 256KiB); larger ones are counted and dropped' }),
      maxPendingPublishes: z
        .number()
        .int()
        .min(1)
        .max(1_000_000)
        .optional()
        .meta({ description: 'egress publications waiting for the broker before new ones are dropped (default 1000)' }),
      subscriptions: z.array(subscription).max(256).optional().meta({ description: 'topic filters whose messages become events' }),
      egress: z.array(rule).max(256).optional().meta({ description: 'rules publishing the events plugins produce' }),
    })
    .refine((v) => v.password === undefined || v.passwordFile === undefined, { message: 'give password or passwordFile, not both', path: ['password'] });
});

/** The section as written. */
export type MqttBridgeInput = z.input<typeof mqttBridgeSchema>;

/**
 * The resolved section: defaults filled in, sizes and durations resolved, frozen.
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` (from the unit parsers) for a bad size or duration
 */
export function resolveMqttBridge(input: MqttBridgeInput, key: string, source: string): MqttBridgeConfig {
  const ms = (v: string | number | undefined, fallback: number, name: string): number =>
    v === undefined ? fallback : parseDurationMs(v, `${key}.${name}`, source);
  return Object.freeze({
    url: input.url,
    username: input.username ?? null,
    password: input.password ?? null,
    passwordFile: input.passwordFile ?? null,
    clientId: input.clientId ?? d.clientId,
    clean: input.clean ?? d.clean,
    protocolVersion: input.protocolVersion ?? d.protocolVersion,
    sessionExpirySeconds: input.sessionExpirySeconds ?? d.sessionExpirySeconds,
    keepaliveSeconds: input.keepaliveSeconds ?? d.keepaliveSeconds,
    connectTimeoutMs: ms(input.connectTimeout, d.connectTimeoutMs, 'connectTimeout'),
    reconnectMinMs: ms(input.reconnectMin, d.reconnectMinMs, 'reconnectMin'),
    reconnectMaxMs: ms(input.reconnectMax, d.reconnectMaxMs, 'reconnectMax'),
    maxPayloadBytes: input.maxPayload === undefined ? d.maxPayloadBytes : parseByteSize(input.maxPayload, `${key}.maxPayload`, source),
    maxPendingPublishes: input.maxPendingPublishes ?? d.maxPendingPublishes,
    subscriptions: Object.freeze(
      (input.subscriptions ?? []).map((s) =>
        Object.freeze({
          topic: s.topic,
          qos: s.qos ?? d.qos,
          type: s.type,
          source: s.source ?? d.source,
          format: s.format ?? d.format,
          contentType: s.contentType ?? null,
        }),
      ),
    ),
    egress: Object.freeze(
      (input.egress ?? []).map((r) =>
        Object.freeze({ events: r.events, topic: r.topic, qos: r.qos ?? d.qos, retain: r.retain ?? false, format: r.format ?? d.egressFormat }),
      ),
    ),
  });
}

/**
 * The section as written, validated and resolved.
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming `bridges.mqtt` and `source`
 */
export function parseMqttBridge(raw: unknown, source: string): MqttBridgeConfig {
  const parsed = mqttBridgeSchema.safeParse(raw);
  if (!parsed.success) throw new LnError('LN_ERR_CONFIG_INVALID', { key: 'bridges.mqtt', source, reason: describeIssues(parsed.error, 'bridges.mqtt') });
  return resolveMqttBridge(parsed.data, 'bridges.mqtt', source);
}

/** The section as `--print-config` and `GET /v1/config` show it: the password hidden. */
export function displayMqttBridge(config: MqttBridgeConfig): unknown {
  return config.password === null ? config : { ...config, password: '(set)' };
}
