/**
 * Turns a `capabilities` section (from a manifest, CLI flags or both) into the resolved grants of
 * an instance, checking each grant against the operator policy.
 */
import { realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LnError } from '../errors/ln-error.js';
import { parseByteSize, parseDurationMs } from '../support/units.js';
import { parseAuthorityPattern } from './http/authority.js';
import type { CapabilitySection } from './capability-manifest.js';
import { GRANT_DEFAULTS, closedGrants, type HttpGrant, type InstanceGrants, type KvGrant, type Pair, type PreopenGrant } from './grants.js';
import { beyondPolicy, envAllowed, httpAllowed, insideFsRoots, type OperatorPolicy } from './policy.js';

/** The file the key-value store of every component lives in, inside the data dir. */
export const KV_DATABASE_FILE = 'kv.sqlite3';

/** Everything besides the section that resolving grants needs. */
export interface GrantContext {
  /** The component's name: argv0, the label of its metrics, the default kv namespace. */
  readonly name: string;
  /** Where relative `fs` host paths start (the manifest's folder, or the working directory). */
  readonly baseDir: string;
  /** The data dir; the kv database lives there. */
  readonly dataDir: string;
  readonly policy: OperatorPolicy;
  /** Where the section came from (a manifest path, or `command line`), for errors. */
  readonly source: string;
  /** Guest arguments after argv0. */
  readonly args?: readonly string[];
  /** The manifest's config values. */
  readonly config?: Readonly<Record<string, string>>;
  /** Bytes the guest reads on stdin; none: closed. */
  readonly stdin?: Uint8Array | null;
  /**
   * File URL of an ES module resolving the host names of outgoing HTTP requests (default export
   * `(hostname) => Promise<Array<{ address, family }>>`); none: the system resolver.
   */
  readonly resolver?: string;
}

function invalid(ctx: GrantContext, reason: string): LnError {
  return ctx.source === 'command line'
    ? new LnError('LN_ERR_CONFIG_INVALID', { key: 'grant', source: ctx.source, reason })
    : new LnError('LN_ERR_MANIFEST_INVALID', { file: ctx.source, reason });
}

function resolveEnv(section: CapabilitySection, ctx: GrantContext): Pair[] {
  const env = Object.entries(section.env ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [name] of env) {
    if (!envAllowed(ctx.policy, name)) throw beyondPolicy(ctx.policy, 'environment', name, 'policy.env.allow');
  }
  return env;
}

function resolveMounts(section: CapabilitySection, ctx: GrantContext): PreopenGrant[] {
  return (section.fs ?? []).map((mount) => {
    const wanted = resolve(ctx.baseDir, mount.host);
    let host: string;
    try {
      host = realpathSync(wanted);
    } catch {
      throw invalid(ctx, `capabilities.fs: host directory ${wanted} does not exist`);
    }
    if (!statSync(host).isDirectory()) throw invalid(ctx, `capabilities.fs: ${wanted} is not a directory`);
    const request = `${mount.host} → ${mount.guest} (${mount.mode})`;
    if (!insideFsRoots(ctx.policy, host)) throw beyondPolicy(ctx.policy, 'filesystem', request, 'policy.fs.roots');
    if (mount.mode === 'rw' && !ctx.policy.fsWrite) throw beyondPolicy(ctx.policy, 'filesystem', request, 'policy.fs.write');
    return { host, guest: mount.guest.replace(/\/+$/, '') || '/', readOnly: mount.mode === 'ro' };
  });
}

function resolveHttp(section: CapabilitySection, ctx: GrantContext): HttpGrant | null {
  const http = section.http;
  if (!http) return null;
  for (const text of http.allow) {
    if (!httpAllowed(ctx.policy, parseAuthorityPattern(text))) throw beyondPolicy(ctx.policy, 'outgoing HTTP', text, 'policy.http.allow');
  }
  const d = GRANT_DEFAULTS.http;
  return {
    allow: http.allow.map((a) => a.toLowerCase()),
    maxResponseBytes: http.maxResponse === undefined ? d.maxResponseBytes : parseByteSize(http.maxResponse, 'capabilities.http.maxResponse', ctx.source),
    timeoutMs: http.timeout === undefined ? d.timeoutMs : parseDurationMs(http.timeout, 'capabilities.http.timeout', ctx.source),
    maxRequestsPerCall: http.maxRequestsPerCall ?? d.maxRequestsPerCall,
    allowPrivateNetworks: ctx.policy.httpAllowPrivateNetworks,
    ...(ctx.resolver === undefined ? {} : { resolver: ctx.resolver }),
  };
}

/** The kv namespace a `kv` grant of `component` names: its own, or by default the component's name. */
export function kvNamespaceOf(kv: { readonly namespace?: string | undefined }, component: string): string {
  return kv.namespace ?? component.toLowerCase();
}

function resolveKv(section: CapabilitySection, ctx: GrantContext): KvGrant | null {
  const kv = section.kv;
  if (!kv) return null;
  const namespace = kvNamespaceOf(kv, ctx.name);
  if (!ctx.policy.kvAllow) throw beyondPolicy(ctx.policy, 'key-value', namespace, 'policy.kv.allow');
  const d = GRANT_DEFAULTS.kv;
  const max = ctx.policy.kvMax;
  const bytes = (v: string | number | undefined, key: string, fallback: number): number =>
    v === undefined ? fallback : parseByteSize(v, `capabilities.kv.${key}`, ctx.source);
  const grant: KvGrant = {
    namespace,
    path: join(ctx.dataDir, KV_DATABASE_FILE),
    maxKeys: kv.maxKeys ?? Math.min(d.maxKeys, max.maxKeys ?? Infinity),
    maxKeyBytes: bytes(kv.maxKeySize, 'maxKeySize', Math.min(d.maxKeyBytes, max.maxKeyBytes ?? Infinity)),
    maxValueBytes: bytes(kv.maxValueSize, 'maxValueSize', Math.min(d.maxValueBytes, max.maxValueBytes ?? Infinity)),
    maxTotalBytes: bytes(kv.maxTotal, 'maxTotal', Math.min(d.maxTotalBytes, max.maxTotalBytes ?? Infinity)),
  };
  const over: Array<[keyof KvGrant & keyof typeof max, string]> = [
    ['maxKeys', 'maxKeys'], ['maxKeyBytes', 'maxKeySize'], ['maxValueBytes', 'maxValueSize'], ['maxTotalBytes', 'maxTotal'],
  ];
  for (const [field, key] of over) {
    const limit = max[field];
    if (limit !== undefined && (grant[field] as number) > limit) {
      throw beyondPolicy(ctx.policy, 'key-value', `${key} ${grant[field]}`, `policy.kv.${key}`);
    }
  }
  return grant;
}

/**
 * Resolves a section into an instance's grants.
 *
 * @throws LnError `LN_ERR_CAP_POLICY` for a grant beyond the operator policy,
 *   `LN_ERR_MANIFEST_INVALID` / `LN_ERR_CONFIG_INVALID` for one that cannot be resolved
 */
export function resolveGrants(section: CapabilitySection, ctx: GrantContext): InstanceGrants {
  const closed = closedGrants(ctx.name);
  const config = Object.entries(ctx.config ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    wasi: {
      ...closed.wasi,
      env: resolveEnv(section, ctx),
      args: [ctx.name, ...(ctx.args ?? [])],
      preopens: resolveMounts(section, ctx),
      ...(section.cwd ? { cwd: section.cwd } : {}),
      http: resolveHttp(section, ctx),
      stdin: ctx.stdin ?? null,
    },
    plugin: { ...closed.plugin, config, kv: resolveKv(section, ctx) },
  };
}
