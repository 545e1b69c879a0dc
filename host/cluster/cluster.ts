/**
 * A host's membership in a cluster (`lnano serve --cluster nats://…`, docs/cluster.md): the NATS
 * connection, the desired state (KV) with its artifacts (object store), the reconciler that makes
 * this host serve it, and the heartbeat that tells the others what this host serves.
 *
 * Lifecycle (the composition root drives it):
 * 1. `Cluster.create(config, …)` before the version manager: its `port` is the manager's
 *    desired-state port (operator changes are published, revision-checked, before they commit).
 * 2. The manager restores what the data dir holds: a host cut off from NATS serves it.
 * 3. `connect()` starts connecting in the background (forever); `attach(manager)` lends the
 *    manager's artifact store to publishing; `start(manager, addresses)`, once the listeners are
 *    up, watches the desired state, reconciles and beats as soon as it is connected. A host joining late catches up from the current records.
 * 4. `close()` before the manager closes: no pass starts after it, the heartbeat is removed.
 */
import type { ClusterConfig } from '../config/cluster-keys.js';
import type { Logger } from '../log/logger.js';
import type { VersionManager } from '../versions/version-manager.js';
import { ClusterArtifacts } from './cluster-artifacts.js';
import { ClusterConnection } from './cluster-connection.js';
import { DesiredStateStore } from './desired-state-store.js';
import { actualState, HOST_SCHEMA, HostHeartbeat } from './host-heartbeat.js';
import { resolveHostId } from './host-id.js';
import { type ClusterView, clusterView } from './membership.js';
import { Reconciler } from './reconciler.js';

/** What a cluster member needs besides its config. */
export interface ClusterOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  /** Versions retained per name (`retain`): the desired state keeps as many for rollbacks. */
  readonly retain: number;
  /** The largest artifact fetched from the cluster. */
  readonly maxComponentBytes: number;
}

/** This host's membership in a cluster. */
export class Cluster {
  readonly hostId: string;
  /** The version manager's desired-state port. */
  readonly port: DesiredStateStore;
  readonly #config: ClusterConfig;
  readonly #conn: ClusterConnection;
  readonly #artifacts: ClusterArtifacts;
  readonly #log: Logger;
  readonly #dataDir: string;
  readonly #startedAt = new Date().toISOString();
  #manager: VersionManager | null = null;
  #reconciler: Reconciler | null = null;
  #heartbeat: HostHeartbeat | null = null;
  #watch: AbortController | null = null;
  #closed = false;

  private constructor(config: ClusterConfig, options: ClusterOptions, hostId: string) {
    this.#config = config;
    this.hostId = hostId;
    this.#dataDir = options.dataDir;
    this.#log = options.logger.child({ hostId });
    this.#conn = new ClusterConnection(config, hostId, this.#log);
    this.#artifacts = new ClusterArtifacts(this.#conn, options.maxComponentBytes);
    this.port = new DesiredStateStore({
      conn: this.#conn,
      artifacts: this.#artifacts,
      local: () => this.#mustManager().artifacts,
      logger: this.#log,
      hostId,
      retain: options.retain,
    });
  }

  /**
   * A member of the cluster `config` names; nothing connects until `start`. The data dir must exist.
   *
   * @throws LnError `LN_ERR_CONFIG_INVALID` for a stored host id that is not one
   */
  static create(config: ClusterConfig, options: ClusterOptions): Cluster {
    return new Cluster(config, options, resolveHostId(config.hostId, options.dataDir));
  }

  /**
   * Starts connecting, in the background and until it succeeds; resolves true once connected,
   * false after `waitMs` (0: at once) without. @throws LnError `LN_ERR_CONFIG_INVALID` for an
   * unreadable credentials or TLS file
   */
  connect(waitMs = 0): Promise<boolean> {
    this.#conn.open();
    return waitMs > 0 ? this.#conn.whenConnected(waitMs) : Promise.resolve(this.#conn.connected);
  }

  /** Lends the manager's artifact store to publishing (a deploy's bytes are read there); call once, before anything is deployed. */
  attach(manager: VersionManager): void {
    this.#manager = manager;
  }

  /**
   * Once connected, reconciles `manager` to the desired state and beats with
   * `addresses`.
   */
  start(manager: VersionManager, addresses: { readonly ingress: string; readonly admin: string }): void {
    this.#manager = manager;
    this.#heartbeat = new HostHeartbeat({
      conn: this.#conn,
      logger: this.#log,
      intervalMs: this.#config.heartbeatMs,
      state: () => ({
        schema: HOST_SCHEMA,
        hostId: this.hostId,
        labels: [...this.#config.labels],
        ingress: addresses.ingress,
        admin: addresses.admin,
        startedAt: this.#startedAt,
        at: new Date().toISOString(),
        serving: actualState(manager, this.#reconciler?.convergence() ?? []),
      }),
    });
    const heartbeat = this.#heartbeat;
    this.#reconciler = new Reconciler({ manager, artifacts: this.#artifacts, logger: this.#log, dataDir: this.#dataDir, onPass: () => void heartbeat.beat() });
    this.#conn.onReconnect(() => this.#watchDesired());
    this.#conn.open(() => {
      if (this.#closed) return;
      heartbeat.start();
      this.#watchDesired();
    });
  }

  /** The cluster's hosts and desired state, as `lnano ls --hosts` shows them. @throws LnError `LN_ERR_VERSION_CLUSTER_UNAVAILABLE` */
  view(): Promise<ClusterView> {
    return clusterView({ conn: this.#conn, store: this.port, cluster: this.#config.name, self: this.hostId });
  }

  /** Leaves the cluster: no reconcile pass starts after it; the heartbeat entry is removed. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watch?.abort();
    this.#reconciler?.close();
    await this.#heartbeat?.stop(this.hostId);
    await this.#conn.close();
  }

  /** (Re)starts the watch of the desired state; a watch that ends while connected starts again. */
  #watchDesired(): void {
    if (this.#closed || !this.#reconciler) return;
    this.#watch?.abort();
    const watch = new AbortController();
    this.#watch = watch;
    const reconciler = this.#reconciler;
    void (async () => {
      while (!this.#closed && !watch.signal.aborted) {
        try {
          await this.port.watch((update) => reconciler.update(update), watch.signal);
        } catch (err) {
          if (!watch.signal.aborted) this.#log.warn({ err }, 'the desired-state watch ended; watching again');
        }
        if (!watch.signal.aborted) await new Promise((r) => setTimeout(r, 1000).unref());
      }
    })();
  }

  #mustManager(): VersionManager {
    if (!this.#manager) throw new Error('the cluster has not started');
    return this.#manager;
  }
}
