/**
 * An incoming MQTT message as an event, by its subscription's rule (`bridges.mqtt.subscriptions`):
 *
 * - `json` (default): the payload must be UTF-8 JSON (within the JSON depth limit); its bytes are
 *   the data, `datacontenttype` is `application/json`;
 * - `binary`: any bytes are the data; `datacontenttype` is the MQTT 5 Content Type of the message,
 *   else the subscription's `contentType`, else none;
 * - `cloudevents`: the payload is a structured CloudEvents JSON envelope, validated as the HTTP
 *   ingress validates one (`type`/`source` templates are not used).
 *
 * `json` and `binary` events get a new UUID as `id`, the receive time as `time`, the
 * subscription's `type` and `source` templates filled from the topic, and the extension
 * `mqtttopic` (the topic, when at most 4096 characters).
 */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { MqttSubscription } from '../config/mqtt-bridge-schema.js';
import { envelopeToEvent, type PluginEvent } from '../engine/plugin-event.js';
import { LnError } from '../errors/ln-error.js';
import { parseJson } from '../support/json-depth.js';
import { fillTemplate, TopicFilter, topicValues } from './topic-filter.js';

/** A subscription with its filter compiled. */
export interface CompiledSubscription extends MqttSubscription {
  readonly filter: TopicFilter;
}

/** What the bridge reads of an incoming PUBLISH packet. */
export interface IncomingMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /** MQTT 5 Content Type. */
  readonly contentType?: string;
}

const MAX_TOPIC_EXTENSION = 4096;

const refuseJson = (why: { kind: string; limit?: number }): LnError =>
  why.kind === 'tooDeep'
    ? new LnError('LN_ERR_EVENT_TOO_DEEP', { limit: why.limit ?? 0 })
    : new LnError('LN_ERR_EVENT_INVALID', { reason: 'the MQTT payload is not valid JSON' });

/** The payload as JSON text: UTF-8 (no byte order mark games) and parseable within the depth limit. */
function jsonText(payload: Buffer): string {
  if (!isUtf8(payload)) throw new LnError('LN_ERR_EVENT_INVALID', { reason: 'the MQTT payload is not UTF-8 JSON' });
  return payload.toString('utf8');
}

/**
 * The event of `message` under `subscription` (whose filter matched the topic into `captured`).
 *
 * @throws LnError `LN_ERR_EVENT_TOO_LARGE` over `maxPayloadBytes`, `LN_ERR_EVENT_INVALID` for a
 *   payload its format refuses or a template that fills to an invalid attribute,
 *   `LN_ERR_EVENT_TOO_DEEP` for JSON nested too deep
 */
export function messageToEvent(
  message: IncomingMessage,
  subscription: CompiledSubscription,
  captured: readonly string[],
  maxPayloadBytes: number,
): PluginEvent {
  const payload = message.payload;
  if (payload.length > maxPayloadBytes) throw new LnError('LN_ERR_EVENT_TOO_LARGE', { limit: maxPayloadBytes });
  if (subscription.format === 'cloudevents') return envelopeToEvent(parseJson(jsonText(payload), refuseJson));
  let datacontenttype: string | undefined;
  if (subscription.format === 'json') {
    parseJson(jsonText(payload), refuseJson);
    datacontenttype = 'application/json';
  } else {
    datacontenttype = message.contentType ?? subscription.contentType ?? undefined;
  }
  const values = topicValues(message.topic, captured);
  const envelope: Record<string, unknown> = {
    id: randomUUID(),
    type: fillTemplate(subscription.type, values),
    source: fillTemplate(subscription.source, values),
    time: new Date().toISOString(),
  };
  if (datacontenttype !== undefined) envelope.datacontenttype = datacontenttype;
  if (message.topic.length <= MAX_TOPIC_EXTENSION) envelope.mqtttopic = message.topic;
  // A copy of its own: the payload may be a view into the parser's larger buffer, which postMessage would copy whole.
  return { ...envelopeToEvent(envelope), data: Uint8Array.prototype.slice.call(payload) };
}

/** Compiles a subscription's filter. @throws Error naming the problem of an invalid filter */
export function compileSubscription(subscription: MqttSubscription): CompiledSubscription {
  return { ...subscription, filter: new TopicFilter(subscription.topic) };
}
