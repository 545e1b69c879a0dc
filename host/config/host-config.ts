/**
 * The host config: `defaults < file < environment < flags`, each key validated strictly, each
 * key's source kept (`default`, `file ./lnano.yaml`, `env LNANO_LISTEN`, `flag --listen`). The
 * file is `--config f`, else `LNANO_CONFIG`, else none. See docs/config.md.
 */
import { dirname, resolve } from 'node:path';
import type { LlmHostConfig } from '../capabilities/llm/llm-config.js';
import { OPEN_POLICY, type OperatorPolicy, parsePolicy } from '../capabilities/policy.js';
import { LnError } from '../errors/ln-error.js';
import { type LimitsPolicy, NO_LIMITS_POLICY, parseLimitsPolicy } from '../resources/limits.js';
import { type ClusterConfig, clusterConfig } from './cluster-keys.js';
import { parseConfigText, readConfigFile, stdinConfigText } from './config-file.js';
import { CONFIG_FILE_ENV, CONFIG_KEYS, envName, KEYS_BY_NAME, type KeyDef } from './config-keys.js';
import { type ConfigSource, parseValue } from './config-values.js';
import type { MqttBridgeConfig } from './mqtt-bridge-schema.js';

/** The resolved host config (sizes in bytes, durations in ms). */
export interface HostConfig {
  readonly listen: string;
  readonly adminListen: string;
  /** Null: the data dir's admin-token file. */
  readonly adminToken: string | null;
  readonly dataDir: string;
  readonly components: string;
  readonly seed: boolean;
  readonly logLevel: string;
  readonly logFormat: 'auto' | 'json' | 'pretty';
  readonly retain: number;
  readonly standbyWarmMs: number;
  /** Default deadline of one plugin call (key `timeout`), ms. */
  readonly timeoutMs: number;
  readonly policy: OperatorPolicy;
  readonly limitsPolicy: LimitsPolicy;
  readonly tracing: { readonly enabled: boolean; readonly otlpEndpoint: string | null; readonly sampleRatio: number };
  /** The token-free `/metrics` listener's host:port; null: none. */
  readonly metrics: { readonly listen: string | null };
  readonly timeline: { readonly capacity: number };
  readonly sandbox: { readonly workers: number; readonly deadlineGraceMs: number; readonly isolation: 'shared' | 'inline' };
  readonly runtime: {
    readonly maxDepth: number;
    readonly maxFanOut: number;
    readonly concurrency: { readonly global: number; readonly perPlugin: number };
    readonly stopOnError: boolean;
    readonly delivery: 'concurrent' | 'sequential';
  };
  readonly pipelines: { readonly dir: string; readonly concurrency: number };
  /** Language-model providers and aliases (`llm` section, host/capabilities/llm/llm-config.ts); null: none. */
  readonly llm: LlmHostConfig | null;
  readonly ingress: {
    readonly maxBodyBytes: number;
    readonly maxBatch: number;
    /** Origins (`scheme://host[:port]`, lowercase) whose pages may post events cross-site. */
    readonly allowedOrigins: readonly string[];
  };
  /** Joining a cluster (docs/cluster.md); no servers: a single host. */
  readonly cluster: ClusterConfig;
  /** Message-bus bridges (docs/bridges.md); null: not configured. */
  readonly bridges: { readonly mqtt: MqttBridgeConfig | null };
}

/** One key of the effective config, as `--print-config` and `GET /v1/config` show it. */
export interface ConfigEntry {
  readonly key: string;
  /** The resolved value (ms, bytes); secrets are shown as `(set)`. */
  readonly value: unknown;
  readonly source: ConfigSource;
  readonly live: boolean;
}

/** A resolved config and where each key came from. */
export interface ResolvedConfig {
  readonly config: HostConfig;
  readonly sources: ReadonlyMap<string, ConfigSource>;
  /** The resolved value of every key, by key. */
  readonly values: ReadonlyMap<string, unknown>;
  /** The config file, or null. */
  readonly file: string | null;
}

/** A value given on the command line. */
export interface FlagValue {
  readonly key: string;
  readonly raw: string | boolean;
  /** e.g. `flag --listen`, `flag --set runtime.maxDepth`. */
  readonly source: string;
}

/** What the config is resolved from. */
export interface ConfigInputs {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** `--config`; else `LNANO_CONFIG`; else no file. `-`: the config is on stdin (YAML or JSON). */
  readonly file?: string;
  /** With `file` `-`: the config text the caller read from stdin; without it, this process's stdin is read (once). */
  readonly stdinText?: string;
  readonly flags?: readonly FlagValue[];
}

/** The default of every key, already resolved (relative paths against `cwd`). */
function defaults(cwd: string): Map<string, unknown> {
  return new Map(CONFIG_KEYS.map((k) => [k.key, k.kind.type === 'path' && k.default !== null ? resolve(cwd, k.default as string) : k.default]));
}

/** The config file path, and how errors name it; `stdin` for `-` (its path is then the working folder's `-`, never read). */
export function configFileOf(inputs: Pick<ConfigInputs, 'env' | 'cwd' | 'file'>): { path: string; label: string; stdin: boolean } | null {
  const given = inputs.file ?? inputs.env[CONFIG_FILE_ENV];
  if (!given) return null;
  if (given === '-') return { path: resolve(inputs.cwd, given), label: 'stdin', stdin: true };
  return { path: resolve(inputs.cwd, given), label: `file ${given}`, stdin: false };
}

/**
 * Resolves the host config.
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the key (`(file)` for an unreadable file) and its
 *   source; `LN_ERR_CONFIG_USAGE` for `--set` of an unknown key
 */
export function resolveHostConfig(inputs: ConfigInputs): ResolvedConfig {
  const values = defaults(inputs.cwd);
  const sources = new Map<string, ConfigSource>(CONFIG_KEYS.map((k) => [k.key, 'default']));
  const set = (def: KeyDef, raw: unknown, source: string, baseDir: string): void => {
    values.set(def.key, parseValue(def, raw, source, baseDir));
    sources.set(def.key, source);
  };
  const file = configFileOf(inputs);
  if (file) {
    const dir = file.stdin ? inputs.cwd : dirname(file.path);
    const entries = file.stdin ? parseConfigText(inputs.stdinText ?? stdinConfigText(), file.label, 'yaml') : readConfigFile(file.path, file.label);
    for (const [key, raw] of entries) set(KEYS_BY_NAME.get(key)!, raw, file.label, dir);
  }
  for (const def of CONFIG_KEYS) {
    const name = envName(def.key);
    const raw = inputs.env[name];
    if (raw === undefined || def.fileOnly) continue;
    set(def, raw, `env ${name}`, inputs.cwd);
  }
  for (const flag of inputs.flags ?? []) {
    const def = KEYS_BY_NAME.get(flag.key);
    if (!def || def.fileOnly || def.kind.type === 'secret') {
      throw new LnError('LN_ERR_CONFIG_USAGE', {
        command: 'serve',
        reason: `${flag.source}: "${flag.key}" is not a key that can be set on the command line (keys: ${CONFIG_KEYS.filter(
          (k) => !k.fileOnly && k.kind.type !== 'secret',
        )
          .map((k) => k.key)
          .join(', ')}; secrets go in the file or the environment)`,
      });
    }
    set(def, flag.raw, flag.source, inputs.cwd);
  }
  const policySource = sources.get('policy') === 'default' ? 'built-in defaults' : file!.stdin ? 'stdin' : file!.path;
  const policyDir = file?.stdin ? inputs.cwd : dirname(file?.path ?? inputs.cwd);
  const policy = values.get('policy') === null ? OPEN_POLICY : parsePolicy(values.get('policy'), policySource, policyDir);
  const limitsPolicy = policy.limits ? parseLimitsPolicy(policy.limits, policySource) : NO_LIMITS_POLICY;
  // A config from stdin has no file to watch or name.
  return { config: buildConfig(values, policy, limitsPolicy), sources, values, file: file && !file.stdin ? file.path : null };
}

/** The typed config of resolved key values. */
export function buildConfig(v: ReadonlyMap<string, unknown>, policy: OperatorPolicy, limitsPolicy: LimitsPolicy): HostConfig {
  const g = <T>(key: string): T => v.get(key) as T;
  return Object.freeze({
    listen: g('listen'),
    adminListen: g('adminListen'),
    adminToken: g('adminToken'),
    dataDir: g('dataDir'),
    components: g('components'),
    seed: g('seed'),
    logLevel: g('logLevel'),
    logFormat: g('logFormat'),
    retain: g('retain'),
    standbyWarmMs: g('standbyWarm'),
    timeoutMs: g('timeout'),
    policy,
    limitsPolicy,
    tracing: Object.freeze({ enabled: g('tracing.enabled'), otlpEndpoint: g('tracing.otlpEndpoint'), sampleRatio: g('tracing.sampleRatio') }),
    metrics: Object.freeze({ listen: g('metrics.listen') }),
    timeline: Object.freeze({ capacity: g('timeline.capacity') }),
    sandbox: Object.freeze({
      workers: g('sandbox.workers'),
      deadlineGraceMs: g('sandbox.deadlineGrace'),
      isolation: g<'shared' | 'inline'>('sandbox.isolation'),
    }),
    runtime: Object.freeze({
      maxDepth: g('runtime.maxDepth'),
      maxFanOut: g('runtime.maxFanOut'),
      concurrency: Object.freeze({ global: g('runtime.concurrency.global'), perPlugin: g('runtime.concurrency.perPlugin') }),
      stopOnError: g('runtime.stopOnError'),
      delivery: g('runtime.delivery'),
    }),
    pipelines: Object.freeze({ dir: g('pipelines.dir'), concurrency: g('pipelines.concurrency') }),
    llm: g('llm'),
    ingress: Object.freeze({ maxBodyBytes: g('ingress.maxBodyBytes'), maxBatch: g('ingress.maxBatch'), allowedOrigins: g('ingress.allowedOrigins') }),
    cluster: clusterConfig(g),
    bridges: Object.freeze({ mqtt: g<MqttBridgeConfig | null>('bridges.mqtt') }),
  }) as HostConfig;
}

/** Every key with its value and source; secrets hidden. For `--print-config` and `GET /v1/config`. */
export function configEntries(resolved: Pick<ResolvedConfig, 'values' | 'sources'>): ConfigEntry[] {
  return CONFIG_KEYS.map((def) => {
    const value = resolved.values.get(def.key);
    return {
      key: def.key,
      source: resolved.sources.get(def.key) ?? 'default',
      live: def.live,
      value:
        def.kind.type === 'secret'
          ? value === null
            ? null
            : '(set)'
          : def.kind.type === 'section' && value !== null
            ? def.kind.section.display(value)
            : value,
    };
  });
}

/**
 * The operator policy of the host config, for commands that run components without a host
 * (`lnano run`, `lnano inspect`): the file (`--config`, else `LNANO_CONFIG`) only; other keys in
 * it are validated too, but environment variables other than `LNANO_CONFIG` are not read.
 * `stdinText`: the text of `--config -`, read by the caller.
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the key and the file
 */
export function loadPolicyConfig(
  flag: string | undefined,
  io: { readonly env: NodeJS.ProcessEnv; readonly cwd: string },
  stdinText?: string,
): { source: string | null; policy: OperatorPolicy; limitsPolicy: LimitsPolicy } {
  const env = io.env[CONFIG_FILE_ENV] === undefined ? {} : { [CONFIG_FILE_ENV]: io.env[CONFIG_FILE_ENV] };
  const resolved = resolveHostConfig({ env, cwd: io.cwd, ...(flag !== undefined ? { file: flag } : {}), ...(stdinText !== undefined ? { stdinText } : {}) });
  return { source: resolved.file, policy: resolved.config.policy, limitsPolicy: resolved.config.limitsPolicy };
}
