/**
 * Each host's heartbeat and actual state, in the KV bucket `<cluster>-hosts` (key: the host id;
 * the bucket's entries expire after 3 heartbeats, so a host that stops writing drops out): its
 * labels and addresses, and per plugin name the version it serves, a canary and its weight, the
 * health of what serves (calls and error rate over the health window), and whether it has
 * converged to the desired state (the revisions, the last error).
 */
import { z } from 'zod';
import { toLnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import type { VersionManager } from '../versions/version-manager.js';
import type { ClusterConnection } from './cluster-connection.js';
import type { NameConvergence } from './reconciler.js';

/** The heartbeat format this host writes and reads. */
export const HOST_SCHEMA = 'liquid-nano/host@1';

const servingSchema = z.looseObject({
  name: z.string().max(64),
  active: z.string().max(80).nullable(),
  digest: z.string().max(80).nullable(),
  canary: z.looseObject({ version: z.string().max(80), weight: z.number() }).nullable(),
  calls: z.number(),
  errorRate: z.number(),
  desiredRevision: z.number(),
  appliedRevision: z.number(),
  converged: z.boolean(),
  error: z.looseObject({ code: z.string().max(80), message: z.string().max(2000) }).nullable(),
});

/** A heartbeat record. */
export const heartbeatSchema = z.looseObject({
  schema: z.literal(HOST_SCHEMA),
  hostId: z.string().max(64),
  labels: z.array(z.string().max(320)).max(32),
  ingress: z.string().max(200).nullable(),
  admin: z.string().max(200).nullable(),
  startedAt: z.string().max(64),
  at: z.string().max(64),
  serving: z.array(servingSchema).max(10_000),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;
export type ServingState = z.infer<typeof servingSchema>;

/** The actual state of this host now. */
export function actualState(manager: VersionManager, convergence: readonly NameConvergence[]): ServingState[] {
  const byName = new Map(convergence.map((c) => [c.name, c]));
  const names = new Set([...manager.registry.list().map((d) => d.name), ...byName.keys()]);
  return [...names].sort().map((name) => {
    const status = manager.registry.get(name) ? manager.status(name) : null;
    const c = byName.get(name);
    return {
      name: name.slice(0, 64),
      active: status?.active?.version ?? status?.deployment.active ?? null,
      digest: status?.active?.digest ?? null,
      canary: status?.candidate ? { version: status.candidate.version, weight: status.candidate.weight } : null,
      calls: status?.active?.health.calls ?? 0,
      errorRate: status?.active?.health.errorRate ?? 0,
      desiredRevision: c?.desiredRevision ?? 0,
      appliedRevision: c?.appliedRevision ?? 0,
      converged: c ? c.converged : true,
      error: c?.error ? { code: c.error.code, message: c.error.message.slice(0, 2000) } : null,
    };
  });
}

/** Writes this host's heartbeat every `intervalMs` while connected. */
export class HostHeartbeat {
  readonly #conn: ClusterConnection;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #state: () => Heartbeat;
  #timer: NodeJS.Timeout | null = null;
  #failing = false;

  constructor(options: { conn: ClusterConnection; logger: Logger; intervalMs: number; state: () => Heartbeat }) {
    this.#conn = options.conn;
    this.#log = options.logger;
    this.#intervalMs = options.intervalMs;
    this.#state = options.state;
  }

  /** Starts beating (the first beat now). */
  start(): void {
    if (this.#timer) return;
    void this.beat();
    this.#timer = setInterval(() => void this.beat(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Writes one heartbeat now; a failure is logged once per outage. */
  async beat(): Promise<void> {
    if (!this.#conn.connected) return;
    try {
      const state = this.#state();
      await this.#conn.handles('write the heartbeat').hosts.put(state.hostId, new TextEncoder().encode(JSON.stringify(state)));
      if (this.#failing) this.#log.info({}, 'heartbeat written again');
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) this.#log.warn({ err: toLnError(err) }, 'cannot write the heartbeat');
      this.#failing = true;
    }
  }

  /** Stops beating and removes this host's entry (best effort: it expires anyway). */
  async stop(hostId: string): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (!this.#conn.connected) return;
    await this.#conn
      .handles('remove the heartbeat')
      .hosts.delete(hostId)
      .catch(() => undefined);
  }
}
