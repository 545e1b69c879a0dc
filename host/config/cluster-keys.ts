/**
 * The `cluster` section of the host config: how a host joins a cluster whose control plane is
 * NATS JetStream (docs/cluster.md). No servers (the default): a single host, nothing else runs.
 * The keys join the one key table (`CONFIG_KEYS`) like every other section's.
 */
import type { KeyDef } from './config-keys.js';

/** A NATS server URL: `nats://` or `tls://`, a host and an optional port; no user or password in it (use `cluster.credentials`). */
export const NATS_SERVER_URL = '^(nats|tls)://[A-Za-z0-9.\\-\\[\\]:]+$';
/** Names that become NATS bucket and stream names: letters, digits, `-` and `_`. */
export const CLUSTER_NAME = '^[A-Za-z0-9_-]{1,32}$';
/** A host id: what `lnano ls --hosts` calls the host, and its heartbeat's key. */
export const HOST_ID = '^[A-Za-z0-9_-]{1,64}$';
/** A label `key=value`. */
export const HOST_LABEL = '^[A-Za-z0-9_.-]{1,63}=[A-Za-z0-9_.:/-]{0,255}$';

/** The resolved `cluster` section. */
export interface ClusterConfig {
  /** NATS servers; empty: no cluster (a single host). */
  readonly servers: readonly string[];
  /** The cluster's name: the prefix of its buckets and streams. */
  readonly name: string;
  /** Null: a stable id generated into the data dir on first start (file `host-id`). */
  readonly hostId: string | null;
  readonly labels: readonly string[];
  /** A NATS `.creds` file (JWT and NKey seed); null: none. */
  readonly credentials: string | null;
  readonly tls: { readonly ca: string | null; readonly cert: string | null; readonly key: string | null };
  /** How often a host writes its heartbeat and actual state, ms; a host silent for 3 of them drops out. */
  readonly heartbeatMs: number;
}

/** The keys of the `cluster` section. */
export const CLUSTER_KEYS: readonly KeyDef[] = Object.freeze([
  {
    key: 'cluster.servers',
    kind: { type: 'list', pattern: NATS_SERVER_URL, hint: 'nats://host:4222', max: 32 },
    default: Object.freeze([]),
    live: false,
    flag: 'cluster',
    doc: 'NATS servers of the cluster to join, e.g. nats://127.0.0.1:4222 (comma-separated in env and flags); none: a single host',
  },
  {
    key: 'cluster.name',
    kind: { type: 'text', pattern: CLUSTER_NAME, hint: 'lnano' },
    default: 'lnano',
    live: false,
    doc: "the cluster's name: prefix of its JetStream buckets (<name>-desired, <name>-hosts, <name>-artifacts)",
  },
  {
    key: 'cluster.hostId',
    kind: { type: 'text', pattern: HOST_ID, hint: 'edge-7' },
    default: null,
    live: false,
    flag: 'host-id',
    doc: 'this host in the cluster (default: a stable id generated into the data dir, file host-id)',
  },
  {
    key: 'cluster.labels',
    kind: { type: 'list', pattern: HOST_LABEL, hint: 'zone=north', max: 32 },
    default: Object.freeze([]),
    live: false,
    doc: 'key=value labels of this host, shown by lnano ls --hosts',
  },
  { key: 'cluster.credentials', kind: { type: 'path' }, default: null, live: false, doc: 'NATS credentials file (.creds: JWT and NKey seed)' },
  { key: 'cluster.tls.ca', kind: { type: 'path' }, default: null, live: false, doc: 'CA certificate file the NATS servers are verified with' },
  { key: 'cluster.tls.cert', kind: { type: 'path' }, default: null, live: false, doc: 'client certificate file for NATS (mutual TLS)' },
  { key: 'cluster.tls.key', kind: { type: 'path' }, default: null, live: false, doc: 'private key file of cluster.tls.cert' },
  {
    key: 'cluster.heartbeat',
    kind: { type: 'duration' },
    default: 2000,
    live: false,
    doc: "how often this host writes its heartbeat and what it serves; a host silent for 3 heartbeats drops out of lnano ls --hosts (the first host sets the bucket's expiry)",
  },
] satisfies KeyDef[]);

/** The `cluster` section of resolved key values. */
export function clusterConfig(g: <T>(key: string) => T): ClusterConfig {
  return Object.freeze({
    servers: g<readonly string[]>('cluster.servers'),
    name: g<string>('cluster.name'),
    hostId: g<string | null>('cluster.hostId'),
    labels: g<readonly string[]>('cluster.labels'),
    credentials: g<string | null>('cluster.credentials'),
    tls: Object.freeze({ ca: g<string | null>('cluster.tls.ca'), cert: g<string | null>('cluster.tls.cert'), key: g<string | null>('cluster.tls.key') }),
    heartbeatMs: g<number>('cluster.heartbeat'),
  });
}
