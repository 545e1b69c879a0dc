/**
 * The MQTT bridge's Prometheus families (docs/bridges.md#metrics), registered in the host's
 * registry (or in none, for a bridge made without one). Labels are bounded by the config: topic
 * filters and egress patterns, at most 256 each.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** The bridge's Prometheus families (a registry of their own when the host gives none). */
export class BridgeMetrics {
  readonly messages: Counter<'subscription' | 'outcome'>;
  readonly publishes: Counter<'rule' | 'outcome'>;
  readonly connected: Gauge;
  readonly reconnects: Counter;

  constructor(registry: Registry | undefined) {
    const registers = registry ? [registry] : [];
    this.messages = new Counter({
      name: 'lnano_mqtt_messages_total',
      help: 'MQTT messages received, by subscription (topic filter) and outcome (handled, invalid, too_large, too_deep, unmatched, vetoed)',
      labelNames: ['subscription', 'outcome'],
      registers,
    });
    this.publishes = new Counter({
      name: 'lnano_mqtt_publishes_total',
      help: 'Egress publications, by rule (event pattern) and outcome (ok, error, dropped, topic)',
      labelNames: ['rule', 'outcome'],
      registers,
    });
    this.connected = new Gauge({ name: 'lnano_mqtt_connected', help: '1 while the MQTT bridge is connected to its broker', registers });
    this.reconnects = new Counter({ name: 'lnano_mqtt_reconnects_total', help: 'Times the MQTT bridge connected again after losing its broker', registers });
  }
}
