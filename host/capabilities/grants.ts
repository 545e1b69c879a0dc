/**
 * The resolved grants of one instance, in the plain (structured-cloneable) form that crosses into
 * its worker. Deny by default: `closedGrants()` is what a component gets when nothing is granted.
 *
 * Grants are resolved: paths are absolute and checked against the operator policy, sizes are in
 * bytes and times in milliseconds. The manifest/CLI forms live in `capability-manifest.ts`.
 */

/** A key/value pair as WIT's `tuple<string, string>` surfaces it in JS. */
export type Pair = readonly [string, string];

/** One preopened directory. */
export interface PreopenGrant {
  /** The host directory, absolute and resolved (no symlinks). */
  readonly host: string;
  /** The path the guest sees it under, absolute (`/data`). */
  readonly guest: string;
  /** Every write (create, write, truncate, rename, unlink, mkdir, set-times) is refused. */
  readonly readOnly: boolean;
}

/** Outgoing HTTP (`wasi:http/outgoing-handler`). */
export interface HttpGrant {
  /**
   * Allowed authorities: `host` (the scheme's default port only: 80 for http, 443 for https),
   * `host:port`, or `*.example.com[:port]` (any subdomain of example.com, not example.com itself).
   * Host names compare case-insensitively.
   */
  readonly allow: readonly string[];
  /** Largest response body the guest may read, bytes; reading past it fails. */
  readonly maxResponseBytes: number;
  /** Deadline of one request (connect, first byte, between bytes), ms. */
  readonly timeoutMs: number;
  /** Outgoing requests one call may start. */
  readonly maxRequestsPerCall: number;
  /**
   * Whether a granted host *name* may resolve to a loopback, private, shared or link-local
   * address (`policy.http.allowPrivateNetworks`); absent: false. See `http-destination.ts`.
   */
  readonly allowPrivateNetworks?: boolean;
  /**
   * File URL of the module that resolves host names (see `http-dns-extension.ts`); absent: the
   * system resolver (`dns.lookup` with `all: true`). Injected by tests and embedders.
   */
  readonly resolver?: string;
}

/** The key-value store (`liquid-nano:plugin/kv`). */
export interface KvGrant {
  /** The namespace this component's keys live in; components never see each other's. */
  readonly namespace: string;
  /** The SQLite database file holding every namespace (in the data dir). */
  readonly path: string;
  /** Most keys in the namespace. */
  readonly maxKeys: number;
  /** Largest key, bytes (UTF-8). */
  readonly maxKeyBytes: number;
  /** Largest value, bytes. */
  readonly maxValueBytes: number;
  /** Most bytes (keys + values) in the namespace. */
  readonly maxTotalBytes: number;
}

/** What the guest's WASI sees. */
export interface WasiGrants {
  /** The environment variables the guest sees; never the host's own environment. */
  readonly env: readonly Pair[];
  /** The guest's argv, argv0 first. */
  readonly args: readonly string[];
  /** The guest's initial working directory (a guest path), or none. */
  readonly cwd?: string;
  /** Preopened directories; none by default. */
  readonly preopens: readonly PreopenGrant[];
  /** Outgoing HTTP; null: every request fails with `HTTP-request-denied`. */
  readonly http: HttpGrant | null;
  /** The bytes the guest reads from stdin; null: stdin is at end of stream. */
  readonly stdin: Uint8Array | null;
}

/** What the guest's Liquid Nano host interfaces see. */
export interface PluginGrants {
  /** Who the guest is, for labels on its metrics and log lines (the component's name). */
  readonly component: string;
  /** The manifest's `config` values, sorted by key. */
  readonly config: readonly Pair[];
  /** The key-value store; null: every operation fails with `error.denied`. */
  readonly kv: KvGrant | null;
  /** Guest log lines (log interface) per second before lines are dropped (and counted). */
  readonly logLinesPerSecond: number;
  /** Guest log bytes per second before lines are dropped (and counted). */
  readonly logBytesPerSecond: number;
}

/** Everything the linker needs to build one instance's imports. */
export interface InstanceGrants {
  readonly wasi: WasiGrants;
  readonly plugin: PluginGrants;
}

/** Defaults of the grant parameters that are not on/off. */
export const GRANT_DEFAULTS = Object.freeze({
  http: Object.freeze({ maxResponseBytes: 16 * 1024 * 1024, timeoutMs: 30_000, maxRequestsPerCall: 16 }),
  kv: Object.freeze({ maxKeys: 10_000, maxKeyBytes: 1024, maxValueBytes: 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024 }),
  log: Object.freeze({ linesPerSecond: 1000, bytesPerSecond: 1024 * 1024 }),
});

/**
 * The default: no environment, argv0 only, no cwd, no preopens, no network, stdin closed,
 * stdout/stderr captured by the host, exit turned into a result; no config values, no kv.
 *
 * @param name - the component's name: the guest's argv0 and the label of its metrics
 */
export function closedGrants(name: string): InstanceGrants {
  return {
    wasi: { env: [], args: [name], preopens: [], http: null, stdin: null },
    plugin: {
      component: name,
      config: [],
      kv: null,
      logLinesPerSecond: GRANT_DEFAULTS.log.linesPerSecond,
      logBytesPerSecond: GRANT_DEFAULTS.log.bytesPerSecond,
    },
  };
}
