/**
 * The desired state on JetStream KV (bucket `<cluster>-desired`, one entry per plugin name), and
 * the cluster's side of the version manager's desired-state port: `observe` reads the name's
 * revision, `publish` puts the change's artifact in the object store and writes the next record
 * with a revision check (`kv.create` for a first record, `kv.update(key, value, revision)`
 * after), so two hosts changing one name at once cannot both win: the second gets
 * `LN_ERR_VERSION_REVISION_CONFLICT`. `watch` feeds every record (and every malformed one, coded)
 * to the reconciler, from the current values on, and starts again after a reconnect.
 */
import type { KvEntry } from '@nats-io/kv';
import { isLnError, LnError, toLnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import type { ArtifactStore } from '../versions/artifact-store.js';
import type { DesiredActor, DesiredChange, DesiredStatePort, DesiredTicket } from '../versions/desired-state-port.js';
import type { ClusterArtifacts } from './cluster-artifacts.js';
import type { ClusterConnection } from './cluster-connection.js';
import { type DesiredRecord, nextRecord, parseDesiredRecord } from './desired-state-record.js';

/** What the watch reports per key: the record, or why it cannot be read. */
export type DesiredUpdate =
  | { readonly key: string; readonly revision: number; readonly record: DesiredRecord }
  | { readonly key: string; readonly revision: number; readonly record: null; readonly error: LnError | null };

/** JetStream's answer to a write whose expected revision is stale. */
function isStale(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null;
  return e?.name === 'JetStreamApiError' && (e.code === 10071 || /wrong last sequence/i.test(String(e.message)));
}

/** Errors of the NATS client as a coded error; coded ones pass through. */
function unavailable(action: string, err: unknown): LnError {
  if (isLnError(err)) return err;
  return new LnError('LN_ERR_VERSION_CLUSTER_UNAVAILABLE', { action, reason: (err as Error)?.message ?? String(err) }, { cause: err });
}

/** The desired-state bucket of a cluster. */
export class DesiredStateStore implements DesiredStatePort {
  readonly #conn: ClusterConnection;
  readonly #artifacts: ClusterArtifacts;
  readonly #log: Logger;
  readonly #hostId: string;
  readonly #retain: number;
  readonly #now: () => Date;
  readonly #localOf: () => ArtifactStore;

  constructor(options: {
    conn: ClusterConnection;
    artifacts: ClusterArtifacts;
    /** This host's artifact store: where a deploy's bytes are read to publish them. */
    local: () => ArtifactStore;
    logger: Logger;
    hostId: string;
    retain: number;
    now?: () => Date;
  }) {
    this.#conn = options.conn;
    this.#artifacts = options.artifacts;
    this.#localOf = options.local;
    this.#log = options.logger;
    this.#hostId = options.hostId;
    this.#retain = options.retain;
    this.#now = options.now ?? (() => new Date());
  }

  /** The record of `name` and its revision (0: none). @throws LnError `LN_ERR_VERSION_CLUSTER_UNAVAILABLE` */
  async read(name: string): Promise<{ revision: number; record: DesiredRecord | null; error: LnError | null }> {
    const { desired } = this.#conn.handles(`read the desired state of ${name}`);
    let entry: KvEntry | null;
    try {
      entry = await desired.get(name);
    } catch (err) {
      throw unavailable(`read the desired state of ${name}`, err);
    }
    if (!entry) return { revision: 0, record: null, error: null };
    if (entry.operation !== 'PUT') return { revision: entry.revision, record: null, error: null };
    try {
      return { revision: entry.revision, record: parseDesiredRecord(name, entry.value), error: null };
    } catch (err) {
      return { revision: entry.revision, record: null, error: toLnError(err) };
    }
  }

  async observe(name: string): Promise<DesiredTicket> {
    const { revision } = await this.read(name);
    return { name, revision };
  }

  async publish(ticket: DesiredTicket, change: DesiredChange, who: DesiredActor): Promise<void> {
    const { name } = ticket;
    const action = change.kind === 'canary-weight' ? 'set the canary weight of' : change.kind === 'rollback' ? 'roll back' : change.kind;
    const now = await this.read(name);
    if (now.revision !== ticket.revision) throw conflict(action, name, ticket.revision, now.revision);
    // A malformed record is replaced by the change (deploying again is how an operator repairs it).
    const next = nextRecord(name, now.record, change, who, { host: this.#hostId, at: this.#now(), retain: this.#retain });
    if (next === null) return;
    if (change.kind === 'deploy') {
      const digest = change.target.digest;
      await this.#artifacts
        .ensure(digest, () => this.#localOf().get(digest))
        .catch((err: unknown) => {
          throw unavailable(`publish the artifact of ${name}@${change.target.version}`, err);
        });
    }
    const { desired } = this.#conn.handles(`${action} ${name}`);
    const bytes = new TextEncoder().encode(JSON.stringify(next));
    try {
      if (now.revision === 0) await desired.create(name, bytes);
      else await desired.update(name, bytes, now.revision);
    } catch (err) {
      if (!isStale(err)) throw unavailable(`${action} ${name}`, err);
      const latest = await this.read(name).catch(() => ({ revision: -1 }));
      throw conflict(action, name, ticket.revision, latest.revision);
    }
    this.#log.info({ component: name, change: change.kind, version: next.change.version, revision: now.revision }, 'desired state published');
  }

  /**
   * Calls `onUpdate` for every key's current record, then for every change, until `signal`
   * aborts. Resolves when the watch ends (the connection closed or was lost: the caller watches
   * again after a reconnect).
   */
  async watch(onUpdate: (update: DesiredUpdate) => void, signal: AbortSignal): Promise<void> {
    const { desired } = this.#conn.handles('watch the desired state');
    const iterator = await desired.watch();
    const stop = (): void => iterator.stop();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const entry of iterator) {
        if (entry.operation !== 'PUT') {
          onUpdate({ key: entry.key, revision: entry.revision, record: null, error: null });
          continue;
        }
        try {
          onUpdate({ key: entry.key, revision: entry.revision, record: parseDesiredRecord(entry.key, entry.value) });
        } catch (err) {
          const error = toLnError(err);
          this.#log.error({ key: entry.key.slice(0, 80), revision: entry.revision, err: error }, 'ignoring a desired-state record this host cannot read');
          onUpdate({ key: entry.key, revision: entry.revision, record: null, error });
        }
      }
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  /** Every name's record (malformed ones as errors), for `lnano ls --hosts`. @throws LnError `LN_ERR_VERSION_CLUSTER_UNAVAILABLE` */
  async all(): Promise<Map<string, { revision: number; record: DesiredRecord | null; error: LnError | null }>> {
    const { desired } = this.#conn.handles('read the desired state');
    const out = new Map<string, { revision: number; record: DesiredRecord | null; error: LnError | null }>();
    try {
      const keys = await desired.keys();
      for await (const key of keys) out.set(key, await this.read(key));
    } catch (err) {
      throw unavailable('read the desired state', err);
    }
    return out;
  }
}

function conflict(action: string, name: string, expected: number, actual: number): LnError {
  return new LnError('LN_ERR_VERSION_REVISION_CONFLICT', { action, name, expected, actual: actual < 0 ? 'unknown' : actual });
}
