/**
 * Membership: the hosts of the cluster (every heartbeat not yet expired) and, per plugin name,
 * what each serves against the desired state. What `GET /v1/cluster/hosts` answers and
 * `lnano ls --hosts` prints. A heartbeat this version cannot read is listed as such, not trusted.
 */
import type { ClusterConnection } from './cluster-connection.js';
import type { DesiredRecord } from './desired-state-record.js';
import type { DesiredStateStore } from './desired-state-store.js';
import { type Heartbeat, heartbeatSchema, type ServingState } from './host-heartbeat.js';

/** One name's desired state, in short. */
export interface DesiredSummary {
  readonly name: string;
  readonly revision: number;
  readonly active: { readonly version: string; readonly digest: string } | null;
  readonly canary: { readonly version: string; readonly weight: number } | null;
  readonly change: DesiredRecord['change'] | null;
  /** The code of a record no host of this version can read. */
  readonly error: string | null;
}

/** One host and what it serves. */
export interface HostView {
  readonly hostId: string;
  readonly labels: readonly string[];
  readonly ingress: string | null;
  readonly admin: string | null;
  readonly lastSeenMs: number;
  /** Serves every name's desired active version and canary, with nothing failing. */
  readonly converged: boolean;
  readonly serving: ReadonlyArray<ServingState & { readonly desired: string | null }>;
  /** Why the heartbeat could not be read (the host is listed, nothing it says is used). */
  readonly invalid?: string;
}

/** The whole cluster as one host sees it. */
export interface ClusterView {
  readonly cluster: string;
  readonly self: string;
  readonly connected: boolean;
  readonly desired: readonly DesiredSummary[];
  readonly hosts: readonly HostView[];
}

/** Reads the hosts bucket and the desired state into a `ClusterView`. @throws LnError `LN_ERR_VERSION_CLUSTER_UNAVAILABLE` */
export async function clusterView(options: {
  conn: ClusterConnection;
  store: DesiredStateStore;
  cluster: string;
  self: string;
  now?: () => number;
}): Promise<ClusterView> {
  const now = options.now ?? Date.now;
  const records = await options.store.all();
  const desired: DesiredSummary[] = [...records.entries()]
    .map(([name, r]) => ({
      name: name.slice(0, 80),
      revision: r.revision,
      active: r.record?.active ? { version: r.record.active.version, digest: r.record.active.digest } : null,
      canary: r.record?.canary ? { version: r.record.canary.version, weight: r.record.canary.weight } : null,
      change: r.record?.change ?? null,
      error: r.error?.code ?? null,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const byName = new Map(desired.map((d) => [d.name, d]));
  const { hosts } = options.conn.handles('list the hosts');
  const views: HostView[] = [];
  const seen = new Set<string>();
  for await (const key of await hosts.keys()) {
    // keys() also yields a key again when its host writes a heartbeat while the listing runs.
    if (seen.has(key)) continue;
    seen.add(key);
    const entry = await hosts.get(key);
    if (entry?.operation !== 'PUT') continue;
    let beat: Heartbeat;
    try {
      beat = heartbeatSchema.parse(JSON.parse(entry.string()));
    } catch {
      views.push({
        hostId: key.slice(0, 64),
        labels: [],
        ingress: null,
        admin: null,
        lastSeenMs: 0,
        converged: false,
        serving: [],
        invalid: 'not a heartbeat of this version',
      });
      continue;
    }
    const serving = beat.serving.map((s) => ({ ...s, desired: byName.get(s.name)?.active?.version ?? null }));
    const converged = desired.every((d) => {
      if (d.error || !d.active) return true;
      const s = serving.find((x) => x.name === d.name);
      return s !== undefined && s.active === d.active.version && (s.canary?.version ?? null) === (d.canary?.version ?? null) && s.converged;
    });
    views.push({
      hostId: beat.hostId,
      labels: beat.labels,
      ingress: beat.ingress,
      admin: beat.admin,
      lastSeenMs: Math.max(0, now() - Date.parse(beat.at)),
      converged,
      serving,
    });
  }
  views.sort((a, b) => (a.hostId < b.hostId ? -1 : 1));
  return { cluster: options.cluster, self: options.self, connected: options.conn.connected, desired, hosts: views };
}
