/**
 * The connection to the cluster's NATS servers (`cluster.servers`, credentials, TLS) and the
 * JetStream handles on it: the desired-state and hosts KV buckets and the artifact object store,
 * named after `cluster.name`. It connects in the background and reconnects forever: a host that
 * cannot reach NATS starts and serves what its data dir holds, and `handles()` refuses cluster
 * writes with `LN_ERR_VERSION_CLUSTER_UNAVAILABLE` until it is back.
 *
 * Why `@nats-io/*` v3: the maintained NATS client for Node (transport-node, jetstream, kv, obj as
 * separate packages), checked against Debian's nats-server 2.9.10: KV create/update with revision
 * checks, watch, a bucket with a TTL, the object store.
 */
import { readFileSync } from 'node:fs';
import type { KV } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import { type ObjectStore, Objm } from '@nats-io/obj';
import { type ConnectionOptions, connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { ClusterConfig } from '../config/cluster-keys.js';
import { LnError, toLnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';

/** The JetStream buckets of one cluster. */
export interface ClusterHandles {
  readonly nc: NatsConnection;
  /** `<name>-desired`: one record per plugin name (desired-state-record.ts). */
  readonly desired: KV;
  /** `<name>-hosts`: each host's heartbeat and actual state, expiring after 3 heartbeats. */
  readonly hosts: KV;
  /** `<name>-artifacts`: component bytes by digest. */
  readonly artifacts: ObjectStore;
}

/** Defaults: a reconnect attempt every second, requests answered within 5 s. */
export const CONNECTION_DEFAULTS = Object.freeze({ reconnectWaitMs: 1000, requestTimeoutMs: 5000, desiredHistory: 10 });

/** The bucket names of a cluster. */
export function bucketNames(cluster: string): { desired: string; hosts: string; artifacts: string } {
  return { desired: `${cluster}-desired`, hosts: `${cluster}-hosts`, artifacts: `${cluster}-artifacts` };
}

/** The NATS connection options of a cluster config (files read now). @throws LnError `LN_ERR_CONFIG_INVALID` for an unreadable file */
export function connectionOptions(config: ClusterConfig, hostId: string): ConnectionOptions {
  const read = (key: string, path: string): Uint8Array => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new LnError('LN_ERR_CONFIG_INVALID', { key, source: path, reason: (err as Error).message }, { cause: err });
    }
  };
  const tls = config.tls;
  const tlsOptions =
    tls.ca || tls.cert || tls.key
      ? { tls: { ...(tls.ca ? { caFile: tls.ca } : {}), ...(tls.cert ? { certFile: tls.cert } : {}), ...(tls.key ? { keyFile: tls.key } : {}) } }
      : {};
  return {
    servers: [...config.servers],
    name: `lnano ${hostId}`,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: CONNECTION_DEFAULTS.reconnectWaitMs,
    timeout: CONNECTION_DEFAULTS.requestTimeoutMs,
    ...(config.credentials ? { authenticator: credsAuthenticator(read('cluster.credentials', config.credentials)) } : {}),
    ...tlsOptions,
  };
}

/** A cluster connection, connecting in the background. */
export class ClusterConnection {
  readonly #config: ClusterConfig;
  readonly #hostId: string;
  readonly #log: Logger;
  #handles: ClusterHandles | null = null;
  #connected = false;
  #closed = false;
  #opening: Promise<void> | null = null;
  /** The first failed attempt is logged, not every retry. */
  #failing = false;
  readonly #ready: Array<(h: ClusterHandles) => void> = [];
  readonly #reconnected: Array<() => void> = [];

  constructor(config: ClusterConfig, hostId: string, logger: Logger) {
    this.#config = config;
    this.#hostId = hostId;
    this.#log = logger;
  }

  /** Starts connecting (once); `onReady` runs each time the handles are first usable. @throws LnError `LN_ERR_CONFIG_INVALID` for an unreadable credentials or TLS file */
  open(onReady: (h: ClusterHandles) => void = () => undefined): void {
    if (this.#handles) onReady(this.#handles);
    else this.#ready.push(onReady);
    if (this.#opening) return;
    const options = connectionOptions(this.#config, this.#hostId);
    this.#opening = this.#connectLoop(options);
  }

  /** Runs `fn` each time the connection comes back after a disconnect (watchers resync then). */
  onReconnect(fn: () => void): void {
    this.#reconnected.push(fn);
  }

  /** Resolves true once connected, false after `timeoutMs` without. */
  whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.open(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Whether NATS is reachable now. */
  get connected(): boolean {
    return this.#connected && this.#handles !== null;
  }

  /** The handles, when connected. @throws LnError `LN_ERR_VERSION_CLUSTER_UNAVAILABLE` naming `action` */
  handles(action: string): ClusterHandles {
    if (!this.connected || this.#closed) {
      throw new LnError('LN_ERR_VERSION_CLUSTER_UNAVAILABLE', {
        action,
        reason: this.#closed ? 'the host is shutting down' : `not connected to ${this.#config.servers.join(', ')}`,
      });
    }
    return this.#handles!;
  }

  /** Closes the connection (pending writes are flushed first). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // An attempt in flight sees #closed and closes what it opened; the retry timer holds nothing.
    const nc = this.#handles?.nc;
    if (nc) await nc.close().catch(() => undefined);
  }

  async #connectLoop(options: ConnectionOptions): Promise<void> {
    while (!this.#closed) {
      let nc: NatsConnection | null = null;
      try {
        nc = await connect(options);
        if (this.#closed) {
          await nc.close();
          return;
        }
        this.#watchStatus(nc);
        const names = bucketNames(this.#config.name);
        const kvm = new Kvm(nc);
        // A bucket another host created with other settings (its heartbeat, say) is used as it is.
        const desired = await kvm.create(names.desired, { history: CONNECTION_DEFAULTS.desiredHistory }).catch(() => kvm.open(names.desired));
        const hosts = await kvm.create(names.hosts, { history: 1, ttl: this.#config.heartbeatMs * 3 }).catch(() => kvm.open(names.hosts));
        const objm = new Objm(nc);
        const artifacts = await objm.create(names.artifacts).catch(() => objm.open(names.artifacts));
        this.#handles = { nc, desired, hosts, artifacts };
        this.#connected = true;
        this.#log.info({ servers: this.#config.servers, cluster: this.#config.name, hostId: this.#hostId }, 'joined the cluster');
        for (const ready of this.#ready.splice(0)) ready(this.#handles);
        return;
      } catch (err) {
        if (this.#closed) return;
        await nc?.close().catch(() => undefined);
        if (!this.#failing)
          this.#log.warn({ servers: this.#config.servers, err: toLnError(err) }, 'cannot join the cluster yet; serving the data dir, retrying');
        this.#failing = true;
        await new Promise((r) => setTimeout(r, CONNECTION_DEFAULTS.reconnectWaitMs).unref());
      }
    }
  }

  #watchStatus(nc: NatsConnection): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          this.#connected = false;
          this.#log.warn({ server: s.server }, 'disconnected from the cluster; serving the last known versions');
        } else if (s.type === 'reconnect') {
          this.#connected = this.#handles !== null;
          this.#log.info({ server: s.server }, 'reconnected to the cluster');
          for (const fn of this.#reconnected) fn();
        }
      }
    })().catch(() => undefined);
  }
}
