/**
 * The reconciler: makes what this host serves follow the cluster's desired state, through the
 * version manager's own operations (deploy: fetch the artifact by digest → validate → prepare →
 * warm → probe → swap with drain; rollback; promote; abort; canary weight), each marked
 * `fromDesiredState` so it is applied, not published again.
 *
 * Per name, one pass at a time: a pass waits until the name's queued changes have settled (an
 * operator's change on this host publishes first and swaps after; its own record then finds
 * nothing to do), compares, and makes at most the few calls the difference needs. A pass that
 * fails (an artifact whose bytes do not match its digest, a record this host cannot read, a
 * version that does not start) is logged and kept as the name's error, the host serves on what
 * it served, and the pass is tried again later (backoff from `retryMs`, doubling to 16×) or at
 * the next revision.
 */
import { envelopeToEvent } from '../engine/plugin-event.js';
import { LnError, toLnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import type { ReplicaOptions } from '../versions/desired-state-port.js';
import { parseManifest } from '../versions/manifest.js';
import type { VersionManager } from '../versions/version-manager.js';
import type { ClusterArtifacts } from './cluster-artifacts.js';
import { activeStrategy, type DesiredRecord, type RecordVersion } from './desired-state-record.js';
import type { DesiredUpdate } from './desired-state-store.js';

/** Defaults: a failed pass is tried again after 2 s, then 4, 8, 16, 32 s. */
export const RECONCILER_DEFAULTS = Object.freeze({ retryMs: 2000, maxBackoff: 16 });

/** Where one name stands on this host. */
export interface NameConvergence {
  readonly name: string;
  /** The desired-state revision last seen (0: none). */
  readonly desiredRevision: number;
  /** The revision this host last converged to; equal to `desiredRevision` when converged. */
  readonly appliedRevision: number;
  readonly converged: boolean;
  /** The last failed pass, until one succeeds. */
  readonly error: { readonly code: string; readonly message: string } | null;
}

interface NameState {
  desired: DesiredUpdate | null;
  applied: number;
  error: LnError | null;
  running: boolean;
  again: boolean;
  failures: number;
  timer: NodeJS.Timeout | null;
}

/** Reconciles one host to the desired state. */
export class Reconciler {
  readonly #manager: VersionManager;
  readonly #artifacts: ClusterArtifacts;
  readonly #log: Logger;
  readonly #dataDir: string;
  readonly #retryMs: number;
  readonly #names = new Map<string, NameState>();
  #closed = false;

  readonly #onPass: () => void;

  /** @param options.onPass - called after every pass, converged or not (the heartbeat reports at once) */
  constructor(options: { manager: VersionManager; artifacts: ClusterArtifacts; logger: Logger; dataDir: string; retryMs?: number; onPass?: () => void }) {
    this.#onPass = options.onPass ?? (() => undefined);
    this.#manager = options.manager;
    this.#artifacts = options.artifacts;
    this.#log = options.logger;
    this.#dataDir = options.dataDir;
    this.#retryMs = options.retryMs ?? RECONCILER_DEFAULTS.retryMs;
  }

  /** Takes a watched record (or a malformed one) and schedules a pass for its name. */
  update(update: DesiredUpdate): void {
    if (this.#closed) return;
    const state = this.#state(update.key);
    if (state.desired && state.desired.revision > update.revision) return;
    // The same revision again (a watch restarted after a reconnect), converged: nothing to do.
    if (state.desired?.revision === update.revision && state.applied === update.revision && state.error === null) return;
    state.desired = update;
    state.failures = 0;
    if (!update.record && update.error) state.error = update.error;
    this.#schedule(update.key, state);
  }

  /** Every name's convergence, by name. */
  convergence(): NameConvergence[] {
    return [...this.#names.entries()]
      .map(([name, s]) => {
        const desiredRevision = s.desired?.revision ?? 0;
        return {
          name,
          desiredRevision,
          appliedRevision: s.applied,
          converged: s.applied === desiredRevision && s.error === null && !s.running,
          error: s.error ? { code: s.error.code, message: s.error.message } : null,
        };
      })
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Stops scheduling passes; a pass running finishes (the version manager's close waits for it). */
  close(): void {
    this.#closed = true;
    for (const s of this.#names.values()) if (s.timer) clearTimeout(s.timer);
  }

  #state(name: string): NameState {
    let s = this.#names.get(name);
    if (!s) {
      s = { desired: null, applied: 0, error: null, running: false, again: false, failures: 0, timer: null };
      this.#names.set(name, s);
    }
    return s;
  }

  #schedule(name: string, state: NameState): void {
    if (state.timer) {
      clearTimeout(state.timer);
      state.timer = null;
    }
    if (state.running) {
      state.again = true;
      return;
    }
    state.running = true;
    void this.#run(name, state);
  }

  async #run(name: string, state: NameState): Promise<void> {
    do {
      state.again = false;
      const update = state.desired;
      if (!update || this.#closed) break;
      try {
        await this.#manager.settled(name);
        if (update.record) await this.#converge(update.record, () => state.desired !== update);
        else if (update.error) throw update.error;
        state.applied = update.revision;
        state.error = null;
        state.failures = 0;
      } catch (err) {
        if (state.desired !== update) continue; // superseded while it ran: the loop takes the newer record
        const error = toLnError(err);
        state.error = error;
        state.failures++;
        if (this.#closed) break;
        this.#log.error({ component: name, revision: update.revision, err: error }, 'cannot reconcile to the desired state; serving what this host served');
        // A record this host cannot read waits for the next revision; anything else is tried again.
        if (update.record) {
          const delay = this.#retryMs * 2 ** Math.min(state.failures - 1, Math.log2(RECONCILER_DEFAULTS.maxBackoff));
          state.timer = setTimeout(() => this.#schedule(name, state), delay);
          state.timer.unref();
        }
      }
    } while (state.again && !this.#closed);
    state.running = false;
    if (!this.#closed) this.#onPass();
  }

  /** One pass: the calls that make this host serve `record`. */
  async #converge(record: DesiredRecord, superseded: () => boolean): Promise<void> {
    const { name } = record;
    const manager = this.#manager;
    const who = { actor: `cluster:${record.change.host}`, ...(record.change.reason ? { reason: record.change.reason } : {}) };
    const replica = { fromDesiredState: true, superseded } as const;
    if (!record.active) return; // nothing active yet (a record this version has no use for)
    const status = manager.registry.get(name) ? manager.status(name) : null;
    const localCanary = status?.candidate ?? null;
    if (localCanary && (!record.canary || record.canary.version !== localCanary.version || record.canary.digest !== localCanary.digest)) {
      if (!record.canary && record.active.version === localCanary.version && record.active.digest === localCanary.digest) {
        await manager.promote(name, who.actor, who.reason, replica);
        return;
      }
      await manager.abort(name, who.actor, who.reason, replica);
    }
    const active = manager.registry.get(name)?.active ?? null;
    const activeDigest = active ? manager.registry.version(name, active)?.digest : undefined;
    if (active !== record.active.version || activeDigest !== record.active.digest) {
      const bound = manager.registry.version(name, record.active.version);
      if (active !== null && bound?.digest === record.active.digest && (await manager.artifacts.has(bound.digest))) {
        await manager.rollback(name, { to: record.active.version, ...who, ...replica });
      } else {
        await this.#deploy(record.active, name, activeStrategy(record), who, replica);
      }
    }
    if (record.canary) {
      const running = manager.status(name).candidate;
      if (running?.version === record.canary.version && running.digest === record.canary.digest) {
        if (running.weight !== record.canary.weight) await manager.setCanaryWeight(name, record.canary.weight, who.actor, who.reason, replica);
      } else {
        await this.#deploy(record.canary, name, 'canary', who, replica, record.canary.weight);
      }
    }
  }

  /** Deploys `target` through the version manager's pipeline, fetching its artifact by digest first. */
  async #deploy(
    target: RecordVersion,
    name: string,
    strategy: 'immediate' | 'blue-green' | 'canary',
    who: { actor: string; reason?: string },
    replica: ReplicaOptions,
    weight?: number,
  ): Promise<void> {
    const manager = this.#manager;
    if (!(await manager.artifacts.has(target.digest))) {
      const bytes = await this.#artifacts.fetch(target.digest);
      const stored = await manager.storeArtifact(bytes);
      if (stored.digest !== target.digest) throw new LnError('LN_ERR_LOAD_INVALID', { subject: target.digest, reason: `stored as ${stored.digest}` });
    }
    const manifest = parseManifest(target.manifest, `${name}@${target.version} (cluster desired state)`, this.#dataDir);
    if (manifest.name !== name || manifest.version !== target.version) {
      throw new LnError('LN_ERR_VERSION_DESIRED_STATE_INVALID', {
        key: name,
        reason: `its manifest names ${manifest.name}@${manifest.version}, not ${name}@${target.version}`,
      });
    }
    await manager.deploy({
      manifest,
      digest: target.digest,
      strategy,
      ...(weight !== undefined ? { canaryWeight: weight } : {}),
      ...who,
      // Approved where the deploy was made; this host's operator policy still bounds every grant.
      approveCapabilities: true,
      ...(target.probe ? { probe: envelopeToEvent(target.probe) } : {}),
      ...replica,
    });
  }
}
