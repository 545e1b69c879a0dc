/**
 * Egress rules (`bridges.mqtt.egress`): which events plugins produce (emitted through
 * `liquid-nano:plugin/events` or returned from `handle`) are published, where and how.
 *
 * - `structured` (default): the payload is the event's CloudEvents JSON envelope, MQTT 5 Content
 *   Type `application/cloudevents+json`;
 * - `binary` (MQTT 5 only): CloudEvents' MQTT binding: the payload is the data, Content Type its
 *   `datacontenttype`, every other attribute a user property (`specversion`, `id`, `type`, …).
 *
 * A rule's topic template is filled with the event's `{type}`, `{source}` and `{id}`; a result
 * that is not a valid topic (empty, a wildcard, NUL) is refused, not published.
 */

import type { MqttEgressRule } from '../config/mqtt-bridge-schema.js';
import type { JsonEnvelope } from '../engine/plugin-event.js';
import { envelopeData } from '../server/cloudevents-http.js';
import { eventTypeMatches } from '../support/event-pattern.js';
import { fillTemplate, topicProblem } from './topic-filter.js';

/** One message to publish. */
export interface Publication {
  readonly rule: MqttEgressRule;
  readonly topic: string;
  readonly payload: Buffer;
  readonly contentType: string | undefined;
  /** MQTT 5 user properties (binary mode: the event's attributes). */
  readonly userProperties: Record<string, string> | undefined;
}

/** A publication, or why an event matching a rule cannot be published. */
export type EgressOutcome =
  | { readonly ok: true; readonly publication: Publication }
  | { readonly ok: false; readonly rule: MqttEgressRule; readonly reason: string };

const STRUCTURED = 'application/cloudevents+json';

/** The message of `envelope` under `rule`. */
function publish(rule: MqttEgressRule, envelope: JsonEnvelope): EgressOutcome {
  const topic = fillTemplate(rule.topic, { type: String(envelope.type), source: String(envelope.source), id: String(envelope.id) });
  const problem = topicProblem(topic);
  if (problem) return { ok: false, rule, reason: `the topic "${topic.slice(0, 80)}" is refused: ${problem}` };
  if (rule.format === 'structured') {
    return {
      ok: true,
      publication: { rule, topic, payload: Buffer.from(JSON.stringify(envelope), 'utf8'), contentType: STRUCTURED, userProperties: undefined },
    };
  }
  const userProperties: Record<string, string> = {};
  for (const [key, value] of Object.entries(envelope)) {
    if (key === 'data' || key === 'data_base64' || key === 'datacontenttype') continue;
    userProperties[key] = String(value);
  }
  const contentType = typeof envelope.datacontenttype === 'string' ? envelope.datacontenttype : undefined;
  return { ok: true, publication: { rule, topic, payload: envelopeData(envelope), contentType, userProperties } };
}

/** The egress rules of a bridge. */
export class EgressRules {
  readonly #rules: readonly MqttEgressRule[];

  constructor(rules: readonly MqttEgressRule[]) {
    this.#rules = rules;
  }

  get size(): number {
    return this.#rules.length;
  }

  /** What to publish for one produced event: one outcome per matching rule, in config order. */
  route(envelope: JsonEnvelope): EgressOutcome[] {
    const out: EgressOutcome[] = [];
    const type = String(envelope.type);
    for (const rule of this.#rules) if (eventTypeMatches(rule.events, type)) out.push(publish(rule, envelope));
    return out;
  }
}
