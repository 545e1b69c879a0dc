/**
 * Sections of the host config that a subsystem owns: each one's schema, parsing and display live
 * in that subsystem's own file, and it joins the config here with one line. The loader treats a
 * section as one file-only key (`llm: { ... }` in the file; no environment variable or flag).
 */
import type { z } from 'zod';
import { displayLlmConfig, type LlmHostConfig, llmConfigSchema, parseLlmConfig } from '../capabilities/llm/llm-config.js';
import { displayMqttBridge, type MqttBridgeConfig, mqttBridgeSchema, parseMqttBridge } from './mqtt-bridge-schema.js';

/** One section. */
export interface ConfigSection<T = unknown> {
  /** Its key at the top level of the file. */
  readonly key: string;
  /** One line for docs/config.md. */
  readonly doc: string;
  /** The zod schema of the section as written (for the published JSON Schema). */
  schema(): z.ZodType;
  /**
   * The resolved section. @throws LnError `LN_ERR_CONFIG_INVALID` naming the key and `source`
   * @param baseDir - where relative paths in it start (the config file's folder)
   */
  parse(raw: unknown, source: string, baseDir: string): T;
  /** The resolved section as `--print-config` and `GET /v1/config` show it (secrets hidden). */
  display(value: T): unknown;
}

function section<T>(s: ConfigSection<T>): ConfigSection {
  return s as ConfigSection;
}

export const CONFIG_SECTIONS: readonly ConfigSection[] = [
  section<LlmHostConfig>({
    key: 'llm',
    doc: 'language-model providers and the aliases plugins use, keys from the file or the environment ([llm](llm.md))',
    schema: () => llmConfigSchema,
    parse: parseLlmConfig,
    display: displayLlmConfig,
  }),
  section<MqttBridgeConfig>({
    key: 'bridges.mqtt',
    doc: 'the MQTT bridge: broker, credentials, subscriptions, egress rules ([bridges](bridges.md))',
    schema: () => mqttBridgeSchema,
    parse: (raw, source) => parseMqttBridge(raw, source),
    display: displayMqttBridge,
  }),
];
