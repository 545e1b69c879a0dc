/**
 * The operator policy: what any manifest or flag may be granted on this host. It lives in the
 * host config (`"policy": { ... }`); without one, grants are bounded only by their own schema.
 * Asking beyond the policy is refused with `LN_ERR_CAP_POLICY`, naming the capability, what was
 * asked and the policy line (`policy.http.allow in /etc/lnano.json`).
 *
 * @example
 * { "fs": { "roots": ["/srv/plugin-data"], "write": false },
 *   "http": { "allow": ["*.example.com"], "allowPrivateNetworks": false },
 *   "env": { "allow": ["LEVEL", "TZ", "APP_*"] },
 *   "kv": { "maxTotal": "256MiB", "maxKeys": 100000, "shared": { "readings": ["ingest", "report"] } },
 *   "deny": ["sockets"] }
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { LnError } from '../errors/ln-error.js';
import { describeIssues, lazySchema, sizeSchema, zod } from '../support/schema.js';
import { parseByteSize } from '../support/units.js';
import { authorityCovers, parseAuthorityPattern, type AuthorityPattern } from './http/authority.js';
import { KV_NAMESPACE } from './capability-manifest.js';
import { CAPABILITIES } from './catalog.js';

/**
 * The zod schema of the `policy` section. `limits` is checked by the resource manager. Built on
 * first use (see `lazySchema`).
 */
export const policySchema = lazySchema(() => {
  const z = zod();
  return z.strictObject({
    fs: z.strictObject({
      roots: z.array(z.string().min(1).max(4096)).max(256).optional(),
      write: z.boolean().optional(),
    }).optional(),
    http: z.strictObject({
      allow: z.array(z.string().min(1).max(300)).max(1024).optional(),
      allowPrivateNetworks: z.boolean().optional(),
    }).optional(),
    env: z.strictObject({ allow: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'is not a variable name (a trailing * matches a prefix)')).max(1024).optional() }).optional(),
    kv: z.strictObject({
      allow: z.boolean().optional(),
      maxKeys: z.number().int().positive().optional(),
      maxKeySize: sizeSchema.optional(),
      maxValueSize: sizeSchema.optional(),
      maxTotal: sizeSchema.optional(),
      /** Namespace → the components besides its owner that may use it (see `kv-ownership.ts`). */
      shared: z.record(
        z.string().regex(KV_NAMESPACE, 'is not a kv namespace (1-64 of a-z 0-9 . _ -)'),
        z.array(z.string().min(1).max(128)).min(1).max(1024),
      ).optional(),
    }).optional(),
    deny: z.array(z.string().min(1)).max(64).optional(),
    limits: z.record(z.string(), z.unknown()).optional(),
  });
});

/** A loaded operator policy, resolved (paths real, sizes in bytes). */
export interface OperatorPolicy {
  /** Where it came from, for error messages (`/etc/lnano.json`, or `built-in defaults`). */
  readonly source: string;
  readonly fsRoots: readonly string[] | null;
  readonly fsWrite: boolean;
  readonly httpAllow: readonly AuthorityPattern[] | null;
  /** Granted host names may resolve to loopback/private/link-local addresses (not metadata). */
  readonly httpAllowPrivateNetworks: boolean;
  readonly envAllow: readonly string[] | null;
  readonly kvAllow: boolean;
  readonly kvMax: { readonly maxKeys?: number; readonly maxKeyBytes?: number; readonly maxValueBytes?: number; readonly maxTotalBytes?: number };
  /** `policy.kv.shared`: kv namespace → the components that may use it besides its owner. */
  readonly kvShared: ReadonlyMap<string, readonly string[]>;
  /** Capability names (see `CAPABILITIES`) no component may even import. */
  readonly deny: readonly string[];
  /** The raw `limits` section, for the resource manager. */
  readonly limits: Record<string, unknown> | undefined;
}

/** No policy configured: everything the grant schemas accept. */
export const OPEN_POLICY: OperatorPolicy = Object.freeze({
  source: 'built-in defaults', fsRoots: null, fsWrite: true, httpAllow: null, httpAllowPrivateNetworks: false, envAllow: null,
  kvAllow: true, kvMax: {}, deny: [], limits: undefined,
  kvShared: new Map(),
});

/**
 * Validates and resolves a `policy` section.
 *
 * @param source - the config file's name; relative fs roots resolve against `baseDir`
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the key and the file
 */
export function parsePolicy(value: unknown, source: string, baseDir: string): OperatorPolicy {
  const parsed = policySchema.safeParse(value ?? {});
  const invalid = (key: string, reason: string): LnError => new LnError('LN_ERR_CONFIG_INVALID', { key, source, reason });
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw invalid(['policy', ...first.path.map(String)].join('.'), describeIssues(parsed.error, 'policy'));
  }
  const p = parsed.data;
  const known = new Set(CAPABILITIES.map((c) => c.capability));
  for (const name of p.deny ?? []) {
    if (!known.has(name)) throw invalid('policy.deny', `unknown capability "${name}" (known: ${[...known].join(', ')})`);
  }
  const roots = p.fs?.roots?.map((root) => {
    try {
      return realpathSync(resolve(baseDir, root));
    } catch {
      throw invalid('policy.fs.roots', `${root} does not exist`);
    }
  });
  const httpAllow = p.http?.allow?.map((text) => {
    try {
      return parseAuthorityPattern(text);
    } catch (err) {
      throw invalid('policy.http.allow', (err as Error).message);
    }
  });
  const bytes = (v: string | number | undefined, key: string): number | undefined =>
    v === undefined ? undefined : parseByteSize(v, `policy.kv.${key}`, source);
  return {
    source,
    fsRoots: roots ?? null,
    fsWrite: p.fs?.write ?? true,
    httpAllow: httpAllow ?? null,
    httpAllowPrivateNetworks: p.http?.allowPrivateNetworks ?? false,
    envAllow: p.env?.allow ?? null,
    kvAllow: p.kv?.allow ?? true,
    kvMax: {
      maxKeys: p.kv?.maxKeys,
      maxKeyBytes: bytes(p.kv?.maxKeySize, 'maxKeySize'),
      maxValueBytes: bytes(p.kv?.maxValueSize, 'maxValueSize'),
      maxTotalBytes: bytes(p.kv?.maxTotal, 'maxTotal'),
    },
    kvShared: new Map(Object.entries(p.kv?.shared ?? {})),
    deny: p.deny ?? [],
    limits: p.limits,
  };
}

/** Refusal of a grant beyond the policy. */
export function beyondPolicy(policy: OperatorPolicy, capability: string, request: string, line: string): LnError {
  return new LnError('LN_ERR_CAP_POLICY', { capability, request, policy: `${line} in ${policy.source}` });
}

/** Whether `dir` (a real path) is one of the policy's fs roots or inside one. */
export function insideFsRoots(policy: OperatorPolicy, dir: string): boolean {
  if (!policy.fsRoots) return true;
  return policy.fsRoots.some((root) => {
    const rel = relative(root, dir);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  });
}

/** Whether the policy lets a grant allow `pattern`. */
export function httpAllowed(policy: OperatorPolicy, pattern: AuthorityPattern): boolean {
  return !policy.httpAllow || policy.httpAllow.some((outer) => authorityCovers(outer, pattern));
}

/** Whether the policy lets a grant pass the variable `name`. */
export function envAllowed(policy: OperatorPolicy, name: string): boolean {
  return !policy.envAllow || policy.envAllow.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name));
}
