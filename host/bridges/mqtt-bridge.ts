/**
 * The MQTT bridge (`bridges.mqtt`, docs/bridges.md): messages on subscribed topics become events
 * routed to the plugins, and events the plugins produce are published by egress rules — the
 * edge topology of sensors in, an upstream message bus out. Client: MQTT.js.
 *
 * Delivery:
 * - Messages are handled one at a time per connection, in the order the broker sends them (MQTT.js
 *   hands over the next packet once `handleMessage` called back). A QoS 1 message is acknowledged
 *   (PUBACK) only after the runtime routed it: every plugin call finished, whatever its outcome.
 *   A host that dies first never acknowledged it, and the broker sends it again to the persistent
 *   session (`clean: false`, the default, with a fixed `clientId`): at least once.
 * - A message refused before routing (over `maxPayload`, not the subscription's format, a type
 *   that fills to nothing) is acknowledged, counted, logged and put in the diagnostics timeline as
 *   an error of the pseudo-plugin `(mqtt)`: sending it again would not change it.
 * - When the runtime is at its concurrency limit the message waits (backoff, 10 ms to 1 s) and is
 *   routed then; the broker's flow control holds the rest.
 * - A closing bridge routes nothing new: what it has not acknowledged is sent again next time.
 *
 * Connection: reconnects with exponential backoff (`reconnectMin` doubled per failed attempt up
 * to `reconnectMax`, ± 20% jitter, reset by a successful connect) and subscribes again on every
 * connect. MQTT 5 (default) subscriptions are `noLocal`, so the bridge never receives what its own
 * egress published; the broker is asked (Maximum Packet Size) not to send packets over 4 ×
 * `maxPayload` + 64 KiB at all.
 *
 * Trace context: a message's MQTT 5 user property `traceparent` (and `tracestate`) is continued by a
 * `CONSUMER` span `mqtt <filter>`; egress publications carry the producing trace's `traceparent`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Registry } from 'prom-client';
import type { MqttBridgeConfig } from '../config/mqtt-bridge-schema.js';
import type { JsonEnvelope, PluginEvent } from '../engine/plugin-event.js';
import { isLnError, LnError } from '../errors/ln-error.js';
import type { DispatchResult } from '../events/dispatch-result.js';
import type { AfterEventContext } from '../events/runtime-hooks.js';
import type { Logger } from '../log/logger.js';
import type { TimelineInput } from '../observability/diagnostics-timeline.js';
import { activeTraceparent, runInEdgeSpan, SpanKind, startEdgeSpan } from '../observability/tracing-context.js';
import { BridgeMetrics } from './mqtt-bridge-metrics.js';
import { EgressRules, type Publication } from './mqtt-egress.js';
import { type CompiledSubscription, compileSubscription, messageToEvent } from './mqtt-message.js';
import { filterProblem } from './topic-filter.js';

/** What the bridge routes events through (`LiquidNanoRuntime`). */
export interface BridgeRuntime {
  dispatch(event: PluginEvent): Promise<DispatchResult>;
  on(name: 'afterEvent', fn: (context: AfterEventContext) => void): () => void;
  readonly timeline: { record(input: TimelineInput): unknown };
}

export interface MqttBridgeOptions {
  readonly config: MqttBridgeConfig;
  readonly runtime: BridgeRuntime;
  readonly logger: Logger;
  /** The host's Prometheus registry: the bridge registers its `lnano_mqtt_*` families there. */
  readonly registry?: Registry;
  /** Where a relative `passwordFile` resolves; default the working directory. */
  readonly cwd?: string;
}

/** How the bridge is doing (also `lnano_mqtt_*` metrics). */
export interface MqttBridgeStats {
  readonly connected: boolean;
  readonly connects: number;
  /** Messages routed to the runtime. */
  readonly handled: number;
  /** Messages refused before routing, by reason (`invalid`, `too_large`, `too_deep`, `unmatched`, `vetoed`). */
  readonly refused: Readonly<Record<string, number>>;
  readonly published: number;
  /** Egress publications not made, by reason (`error`, `dropped`, `topic`). */
  readonly publishFailed: Readonly<Record<string, number>>;
}

/** Bytes the broker may send beyond 4 × maxPayload in one packet (topic, properties). */
const PACKET_SLACK = 64 * 1024;
const OVERLOAD_RETRY_MS = { min: 10, max: 1000 };

const REFUSAL: Readonly<Record<string, string>> = {
  LN_ERR_EVENT_TOO_LARGE: 'too_large',
  LN_ERR_EVENT_TOO_DEEP: 'too_deep',
  LN_ERR_EVENT_INVALID: 'invalid',
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * One bridge to one broker.
 *
 * @example
 * const bridge = MqttBridge.start({ config: host.config.bridges.mqtt!, runtime: host.events, logger });
 * await bridge.whenConnected();
 * // … messages become events; produced events are published
 * await bridge.close();
 */
export class MqttBridge {
  readonly #config: MqttBridgeConfig;
  readonly #runtime: BridgeRuntime;
  readonly #log: Logger;
  readonly #subscriptions: readonly CompiledSubscription[];
  readonly #egress: EgressRules;
  readonly #client: MqttClient;
  readonly #removeHook: () => void;
  readonly #metrics: BridgeMetrics;
  #closing = false;
  #closed: Promise<void> | null = null;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #pending = 0;
  #handling: Promise<void> = Promise.resolve();
  #connected: { promise: Promise<void>; resolve: () => void };
  readonly #counts = { connects: 0, handled: 0, published: 0, refused: {} as Record<string, number>, publishFailed: {} as Record<string, number> };

  private constructor(options: MqttBridgeOptions) {
    const config = options.config;
    this.#config = config;
    this.#runtime = options.runtime;
    this.#log = options.logger.child({ bridge: 'mqtt' });
    this.#subscriptions = config.subscriptions.map((s, i) => {
      const problem = filterProblem(s.topic);
      if (problem) throw new LnError('LN_ERR_CONFIG_INVALID', { key: `bridges.mqtt.subscriptions.${i}.topic`, source: 'config', reason: problem });
      return compileSubscription(s);
    });
    if (config.protocolVersion === 4) {
      const binary = config.egress.findIndex((r) => r.format === 'binary');
      if (binary !== -1) {
        throw new LnError('LN_ERR_CONFIG_INVALID', {
          key: `bridges.mqtt.egress.${binary}.format`,
          source: 'config',
          reason: 'binary egress needs MQTT 5 (protocolVersion: 5)',
        });
      }
    }
    this.#egress = new EgressRules(config.egress);
    this.#metrics = new BridgeMetrics(options.registry);
    let resolveConnected = (): void => {};
    this.#connected = { promise: new Promise<void>((r) => (resolveConnected = r)), resolve: () => resolveConnected() };
    this.#client = connect(config.url, this.#clientOptions(options.cwd ?? process.cwd()));
    this.#client.handleMessage = (packet, callback) => this.#onMessage(packet as IPublishPacket, callback);
    this.#client.on('connect', () => this.#onConnect());
    this.#client.on('close', () => this.#onClose());
    this.#client.on('error', (err) => this.#log.warn({ err: { message: err.message, code: (err as { code?: unknown }).code } }, 'mqtt connection error'));
    this.#removeHook = this.#egress.size > 0 ? this.#runtime.on('afterEvent', (c) => this.#publishProduced(c.result)) : () => undefined;
  }

  /**
   * Creates the bridge and starts connecting (in the background: a broker that is not up yet is
   * retried with backoff; the host serves meanwhile).
   *
   * @throws LnError `LN_ERR_CONFIG_INVALID` for an invalid topic filter, binary egress on MQTT 3.1.1,
   *   or a `passwordFile` that cannot be read
   */
  static start(options: MqttBridgeOptions): MqttBridge {
    return new MqttBridge(options);
  }

  /** Resolves once the bridge is connected and subscribed (the first time). */
  whenConnected(): Promise<void> {
    return this.#connected.promise;
  }

  stats(): MqttBridgeStats {
    const c = this.#counts;
    return {
      connected: this.#client.connected,
      connects: c.connects,
      handled: c.handled,
      published: c.published,
      refused: { ...c.refused },
      publishFailed: { ...c.publishFailed },
    };
  }

  /**
   * Stops: no new message is routed, the one being routed finishes (and is acknowledged), pending
   * publications get up to `graceMs` to be acknowledged, then the connection ends. Idempotent.
   */
  close(graceMs = 2000): Promise<void> {
    this.#closed ??= this.#stop(graceMs);
    return this.#closed;
  }

  async #stop(graceMs: number): Promise<void> {
    this.#closing = true;
    this.#removeHook();
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    const deadline = Date.now() + graceMs;
    await Promise.race([this.#handling, sleep(graceMs)]);
    while (this.#pending > 0 && this.#client.connected && Date.now() < deadline) await sleep(10);
    await new Promise<void>((done) => {
      const timer = setTimeout(() => this.#client.end(true, {}, () => done()), Math.max(0, deadline - Date.now()));
      this.#client.end(false, {}, () => {
        clearTimeout(timer);
        done();
      });
    });
    this.#metrics.connected.set(0);
    this.#log.info(this.stats(), 'mqtt bridge closed');
  }

  #clientOptions(cwd: string): IClientOptions {
    const c = this.#config;
    let password = c.password ?? undefined;
    if (c.passwordFile !== null) {
      try {
        password = readFileSync(resolve(cwd, c.passwordFile), 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        throw new LnError('LN_ERR_CONFIG_INVALID', {
          key: 'bridges.mqtt.passwordFile',
          source: 'config',
          reason: `it cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        });
      }
    }
    const v5 = c.protocolVersion === 5;
    return {
      clientId: c.clientId,
      clean: c.clean,
      protocolVersion: c.protocolVersion,
      keepalive: c.keepaliveSeconds,
      connectTimeout: c.connectTimeoutMs,
      // The bridge reconnects itself, with backoff (MQTT.js retries at one fixed period).
      reconnectPeriod: 0,
      resubscribe: false,
      ...(c.username !== null ? { username: c.username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(v5
        ? {
            properties: {
              maximumPacketSize: Math.min(0xfffffff, c.maxPayloadBytes * 4 + PACKET_SLACK),
              ...(c.clean ? {} : { sessionExpiryInterval: c.sessionExpirySeconds }),
            },
          }
        : {}),
    };
  }

  #onConnect(): void {
    this.#attempt = 0;
    this.#counts.connects++;
    this.#metrics.connected.set(1);
    if (this.#counts.connects > 1) this.#metrics.reconnects.inc();
    if (this.#subscriptions.length === 0) {
      this.#connected.resolve();
      return;
    }
    const v5 = this.#config.protocolVersion === 5;
    const map = Object.fromEntries(this.#subscriptions.map((s) => [s.topic, v5 ? { qos: s.qos, nl: true } : { qos: s.qos }]));
    this.#client.subscribe(map, (err, granted) => {
      if (err) {
        this.#log.error({ err: { message: err.message } }, 'mqtt subscribe failed');
        return;
      }
      for (const g of granted ?? []) if (g.qos === 128) this.#log.error({ topic: g.topic }, 'mqtt broker refused the subscription');
      this.#log.info({ url: this.#config.url, subscriptions: this.#subscriptions.length, connects: this.#counts.connects }, 'mqtt bridge connected');
      this.#connected.resolve();
    });
  }

  #onClose(): void {
    this.#metrics.connected.set(0);
    if (this.#closing || this.#reconnectTimer) return;
    const c = this.#config;
    const base = Math.min(c.reconnectMaxMs, c.reconnectMinMs * 2 ** Math.min(this.#attempt, 30));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.#attempt++;
    this.#log.warn({ url: c.url, attempt: this.#attempt, delayMs: delay }, 'mqtt connection lost; reconnecting');
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      // With its stores: egress publications not yet acknowledged are sent again, not forgotten.
      if (!this.#closing) this.#client.reconnect({ incomingStore: this.#client.incomingStore, outgoingStore: this.#client.outgoingStore });
    }, delay);
  }

  /** MQTT.js's hook before it acknowledges a PUBLISH: `callback` sends the PUBACK (QoS 1) and lets the next packet in. */
  #onMessage(packet: IPublishPacket, callback: (err?: Error) => void): void {
    if (this.#closing) return; // never acknowledged: sent again to the session next time
    const work = this.#handle(packet).then(
      () => callback(),
      (err: unknown) => {
        // Only a closing bridge's abandoned message gets here: leave it unacknowledged.
        this.#log.debug({ err: String(err) }, 'mqtt message left unacknowledged');
      },
    );
    this.#handling = work;
  }

  async #handle(packet: IPublishPacket): Promise<void> {
    const topic = packet.topic;
    let subscription: CompiledSubscription | undefined;
    let captured: string[] | null = null;
    for (const s of this.#subscriptions) {
      captured = s.filter.match(topic);
      if (captured) {
        subscription = s;
        break;
      }
    }
    if (!subscription || !captured) {
      this.#refuse('unmatched', '(none)', topic, null);
      return;
    }
    let event: PluginEvent;
    try {
      const contentType = packet.properties?.contentType;
      event = messageToEvent(
        { topic, payload: packet.payload as Buffer, ...(contentType ? { contentType } : {}) },
        subscription,
        captured,
        this.#config.maxPayloadBytes,
      );
    } catch (err) {
      const error = isLnError(err) ? err : new LnError('LN_ERR_EVENT_INVALID', { reason: String(err) });
      this.#refuse(REFUSAL[error.code] ?? 'invalid', subscription.topic, topic, error);
      return;
    }
    const carrier = userProperties(packet);
    const edge = startEdgeSpan(`mqtt ${subscription.topic}`, SpanKind.CONSUMER, carrier, {
      'messaging.system': 'mqtt',
      'messaging.destination.name': topic.slice(0, 256),
      'messaging.operation.type': 'process',
    });
    for (let wait = OVERLOAD_RETRY_MS.min; ; wait = Math.min(OVERLOAD_RETRY_MS.max, wait * 2)) {
      try {
        await runInEdgeSpan(edge, () => this.#runtime.dispatch(event));
        this.#counts.handled++;
        this.#metrics.messages.inc({ subscription: subscription.topic, outcome: 'handled' });
        return;
      } catch (err) {
        if (isLnError(err) && err.code === 'LN_ERR_EVENT_OVERLOADED') {
          if (this.#closing) throw err;
          await sleep(wait);
          continue;
        }
        const error = isLnError(err) ? err : new LnError('LN_ERR_EVENT_VETOED', { hook: 'beforeEvent', subject: `event "${event.id}"`, reason: String(err) });
        this.#refuse('vetoed', subscription.topic, topic, error, event);
        return;
      }
    }
  }

  #refuse(reason: string, filter: string, topic: string, error: LnError | null, event?: PluginEvent): void {
    this.#counts.refused[reason] = (this.#counts.refused[reason] ?? 0) + 1;
    this.#metrics.messages.inc({ subscription: filter, outcome: reason });
    const code = error?.code ?? 'LN_ERR_EVENT_INVALID';
    this.#log.warn({ topic: topic.slice(0, 256), subscription: filter, reason, code, detail: error?.message.slice(0, 200) }, 'mqtt message refused');
    this.#runtime.timeline.record({
      eventId: event?.id ?? '',
      eventType: event?.type ?? '',
      source: `mqtt:${topic.slice(0, 256)}`,
      plugin: '(mqtt)',
      version: '',
      status: 'error',
      code,
      durationMs: 0,
      usage: null,
      depth: 0,
    });
  }

  /** The egress: every event the plugins produced while routing one event, through the rules. */
  #publishProduced(result: DispatchResult): void {
    const traceparent = activeTraceparent();
    for (const outcome of [...result.results, ...result.followUps]) {
      const produced: JsonEnvelope[] = outcome.ok ? [...outcome.emitted, ...outcome.events] : outcome.emitted;
      for (const envelope of produced) {
        for (const routed of this.#egress.route(envelope)) {
          if (!routed.ok) {
            this.#publishFailed('topic', routed.rule.events);
            this.#log.warn({ rule: routed.rule.events, reason: routed.reason }, 'mqtt egress refused an event');
            continue;
          }
          this.#publish(routed.publication, traceparent);
        }
      }
    }
  }

  #publish(p: Publication, traceparent: string | undefined): void {
    if (this.#pending >= this.#config.maxPendingPublishes) {
      this.#publishFailed('dropped', p.rule.events);
      this.#log.warn({ rule: p.rule.events, topic: p.topic.slice(0, 256), pending: this.#pending }, 'mqtt egress dropped a publication (too many pending)');
      return;
    }
    this.#pending++;
    const v5 = this.#config.protocolVersion === 5;
    const userProperties = { ...(p.userProperties ?? {}), ...(traceparent ? { traceparent } : {}) };
    const properties = v5
      ? { ...(p.contentType ? { contentType: p.contentType } : {}), ...(Object.keys(userProperties).length ? { userProperties } : {}) }
      : undefined;
    this.#client.publish(p.topic, p.payload, { qos: p.rule.qos, retain: p.rule.retain, ...(properties ? { properties } : {}) }, (err) => {
      this.#pending--;
      if (err) {
        this.#publishFailed('error', p.rule.events);
        this.#log.warn({ rule: p.rule.events, topic: p.topic.slice(0, 256), err: { message: err.message } }, 'mqtt egress publish failed');
        return;
      }
      this.#counts.published++;
      this.#metrics.publishes.inc({ rule: p.rule.events, outcome: 'ok' });
    });
  }

  #publishFailed(reason: string, rule: string): void {
    this.#counts.publishFailed[reason] = (this.#counts.publishFailed[reason] ?? 0) + 1;
    this.#metrics.publishes.inc({ rule, outcome: reason });
  }
}

/** MQTT 5 user properties as a trace carrier (first value of a repeated name). */
function userProperties(packet: IPublishPacket): Record<string, string> {
  const props = packet.properties?.userProperties;
  if (!props) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(props)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string' && (key === 'traceparent' || key === 'tracestate')) out[key] = first;
  }
  return out;
}
