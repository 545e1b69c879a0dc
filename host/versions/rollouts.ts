/**
 * Rollouts: every change to what a plugin name serves — deploy (immediate, canary, blue-green),
 * promote, abort, canary weight, rollback, and the automatic abort or rollback of an unhealthy
 * version — each committed in the registry and switched in the name's route in the same tick.
 * Changes to one name run one at a time (`KeyedSerializer`). The version manager is the API;
 * this is its machinery.
 */

import type { CapabilityDiff } from '../capabilities/grant-diff.js';
import type { Engine } from '../engine/engine.js';
import { eventToEnvelope } from '../engine/plugin-event.js';
import { isLnError, LnError, toLnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import type { ArtifactStore } from './artifact-store.js';
import { type DeployPipeline, type DeployRequest, deployFailed, type StepReport } from './deploy-pipeline.js';
import type { Deployment, Strategy } from './deployment.js';
import type { DesiredActor, DesiredChange, DesiredStatePort, DesiredTicket, ReplicaOptions } from './desired-state-port.js';
import type { HealthPolicy } from './health-window.js';
import type { LiveVersion } from './live-version.js';
import type { Registry } from './registry.js';
import { type HandoffResult, handOffState } from './state-handoff.js';
import type { KeyedSerializer, VersionRoute } from './version-route.js';

/** The actor of automatic rollbacks and aborts in the audit trail. */
export const HEALTH_ACTOR = 'health-monitor';

/** What a deploy did. */
export interface DeployResult {
  readonly name: string;
  readonly version: string;
  readonly digest: string;
  /** `deployed`: swapped in; `canary`: serving its weight until promoted or aborted; `unchanged`: that version of those bytes was already active. */
  readonly outcome: 'deployed' | 'canary' | 'unchanged';
  readonly strategy: Strategy;
  /** The version that was active before. */
  readonly from: string | null;
  readonly deployment: Deployment;
  /** The grants compared with the active version's; null when unchanged. */
  readonly capabilities: CapabilityDiff | null;
  /** Whether state moved from the old version; null when unchanged. */
  readonly handoff: HandoffResult | null;
  readonly steps: readonly StepReport[];
}

/** What a rollback did. */
export interface RollbackResult {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  /** `standby`: the blue-green standby was warm (nothing started); else how its component loaded. */
  readonly source: 'standby' | 'disk-cache' | 'memory-cache' | 'transpiled';
  readonly handoff: HandoffResult;
  readonly deployment: Deployment;
}

/**
 * One change to what a name serves, for observers (the metrics registry): `deploy` (a version
 * swapped in, or a canary started), `promote` (a canary became active), `abort` (a canary
 * dropped), `rollback` (an earlier version made active, by an operator or the health monitor).
 */
export interface VersionTransition {
  readonly kind: 'deploy' | 'canary' | 'promote' | 'abort' | 'rollback';
  readonly name: string;
  /** The version that was active (for `abort`: the canary dropped). */
  readonly from: string | null;
  /** The version that serves now (for `canary`: the canary). */
  readonly to: string;
  /** Whether the health monitor did it. */
  readonly automatic: boolean;
}

/** What rollouts work with; the version manager owns all of it. */
export interface RolloutContext {
  readonly registry: Registry;
  readonly pipeline: DeployPipeline;
  readonly artifacts: ArtifactStore;
  readonly engine: Engine;
  readonly health: HealthPolicy;
  /** Versions kept per name by retention. */
  readonly retain: number;
  readonly logger: Logger;
  /** The clock of health watches and step durations, ms. */
  readonly now: () => number;
  readonly serial: KeyedSerializer;
  /** The route of a name, made on first use. */
  readonly route: (name: string) => VersionRoute;
  /** Digests stored and not yet bound to a version: retention keeps their files. */
  readonly uploads: Set<string>;
  /** Throws `LN_ERR_VERSION_STATE` once the manager is closing. */
  readonly assertOpen: (action: string) => void;
  readonly closed: () => boolean;
  /** Told of every committed change; must not throw. */
  readonly onTransition?: (transition: VersionTransition) => void;
  /** The cluster's desired state (none on a single host): see desired-state-port.ts. */
  readonly desired?: DesiredStatePort;
}

/** The changes to what plugin names serve. */
export class Rollouts {
  readonly #ctx: RolloutContext;

  constructor(ctx: RolloutContext) {
    this.#ctx = ctx;
  }

  /** See `VersionManager.deploy`. */
  deploy(request: DeployRequest): Promise<DeployResult> {
    return this.#ctx.serial.run(request.manifest.name, async () => {
      this.#ctx.assertOpen('deploy');
      const { name, version } = request.manifest;
      this.#assertCurrent('deploy', name, request);
      const route = this.#ctx.route(name);
      const old = route.active;
      const base = { name, version, digest: request.digest, strategy: request.strategy ?? 'immediate', from: old?.version ?? null };
      if (old && old.version === version && old.digest === request.digest) {
        return { ...base, outcome: 'unchanged', deployment: this.#ctx.registry.get(name)!, capabilities: null, handoff: null, steps: [] };
      }
      const ticket = await this.#observe(name, request);
      const steps: StepReport[] = [];
      const report = (s: StepReport): void => {
        steps.push(s);
        request.onProgress?.(s.step, s.detail);
      };
      const plan = await this.#ctx.pipeline.check(request, old, report);
      this.#ctx.pipeline.begin(plan);
      this.#ctx.uploads.delete(plan.digest);
      const candidate = await this.#ctx.pipeline.build(plan, report);
      const who = { actor: request.actor, ...(request.reason ? { reason: request.reason } : {}) };
      if (ticket) {
        const probe = request.probe ? { probe: eventToEnvelope(request.probe) } : {};
        const target = { version, digest: plan.digest, manifest: plan.stored, ...probe };
        try {
          await this.#publish(ticket, { kind: 'deploy', target, strategy: plan.strategy, canaryWeight: plan.canaryWeight }, request);
        } catch (err) {
          // Not published, not swapped: the active version serves on; the candidate goes.
          await candidate.close().catch(() => undefined);
          this.#ctx.pipeline.fail(name, request.actor, 'probe', toLnError(err));
          throw err;
        }
      }
      const started = this.#ctx.now();
      let handoff: HandoffResult;
      try {
        if (plan.strategy === 'canary') {
          handoff = await handOffState(old, candidate).catch((err: unknown) => {
            throw deployFailed(name, version, 'probe', err);
          });
          this.#ctx.registry.setCanaryWeight(name, plan.canaryWeight, who);
          route.candidate = candidate;
          route.weight = plan.canaryWeight;
        } else {
          ({ handoff } = await route.swapIn(
            candidate,
            () => this.#ctx.registry.activate(name, who),
            (err) => {
              throw deployFailed(name, version, 'probe', err);
            },
          ));
          candidate.watchedUntil = this.#ctx.now() + this.#ctx.health.watchMs;
        }
      } catch (err) {
        // Nothing was swapped: the active version serves on; the candidate goes.
        await candidate.close().catch(() => undefined);
        const error = isLnError(err) && err.code === 'LN_ERR_VERSION_DEPLOY_FAILED' ? err : deployFailed(name, version, 'swap', err);
        this.#ctx.pipeline.fail(name, request.actor, 'probe', error);
        throw error;
      }
      const what = plan.strategy === 'canary' ? `the canary takes ${plan.canaryWeight}% of calls` : `${version} serves`;
      report({ step: 'swap', detail: `${what} (${describeHandoff(handoff)})`, durationMs: this.#ctx.now() - started });
      this.#ctx.onTransition?.({ kind: plan.strategy === 'canary' ? 'canary' : 'deploy', name, from: old?.version ?? null, to: version, automatic: false });
      if (plan.strategy !== 'canary') await this.#finishSwap(route, old, plan.strategy === 'blue-green', report);
      return {
        ...base,
        outcome: plan.strategy === 'canary' ? 'canary' : 'deployed',
        deployment: this.#ctx.registry.get(name)!,
        capabilities: plan.diff,
        handoff,
        steps,
      };
    });
  }

  /** See `VersionManager.promote`. */
  promote(name: string, actor: string, reason?: string, options: ReplicaOptions = {}): Promise<Deployment> {
    return this.#ctx.serial.run(name, async () => {
      this.#ctx.assertOpen('promote');
      this.#assertCurrent('promote', name, options);
      const route = this.#ctx.route(name);
      const candidate = route.candidate;
      if (!candidate) {
        this.#ctx.registry.promote(name, { actor, ...(reason ? { reason } : {}) }); // refuses (audited) with the reason
        throw new LnError('LN_ERR_INTERNAL_UNEXPECTED', { reason: `the registry promoted a canary of ${name} that does not run` });
      }
      const request = { actor, ...(reason ? { reason } : {}), ...options };
      await this.#publish(await this.#observe(name, request), { kind: 'promote' }, request);
      this.#ctx.registry.promote(name, { actor, ...(reason ? { reason } : {}) });
      const old = route.active;
      route.active = candidate;
      route.candidate = null;
      route.weight = 0;
      candidate.watchedUntil = this.#ctx.now() + this.#ctx.health.watchMs;
      this.#ctx.onTransition?.({ kind: 'promote', name, from: old?.version ?? null, to: candidate.version, automatic: false });
      await this.#finishSwap(route, old, false, () => undefined);
      return this.#ctx.registry.get(name)!;
    });
  }

  /** See `VersionManager.abort`. */
  abort(name: string, actor: string, reason?: string, options: ReplicaOptions = {}): Promise<Deployment> {
    return this.#ctx.serial.run(name, () => this.#abort(name, actor, reason, options));
  }

  /** See `VersionManager.setCanaryWeight`. */
  setCanaryWeight(name: string, weight: number, actor: string, reason?: string, options: ReplicaOptions = {}): Promise<Deployment> {
    return this.#ctx.serial.run(name, async () => {
      this.#ctx.assertOpen('set the canary weight of');
      this.#assertCurrent('set the canary weight of', name, options);
      const request = { actor, ...(reason ? { reason } : {}), ...options };
      if (this.#publishes(request) && this.#ctx.route(name).candidate)
        await this.#publish(await this.#observe(name, request), { kind: 'canary-weight', weight }, request);
      const deployment = this.#ctx.registry.setCanaryWeight(name, weight, { actor, ...(reason ? { reason } : {}) });
      this.#ctx.route(name).weight = weight;
      return deployment;
    });
  }

  /** See `VersionManager.rollback`. */
  rollback(name: string, options: { to?: string; actor: string; reason?: string } & ReplicaOptions): Promise<RollbackResult> {
    return this.#ctx.serial.run(name, () => this.#rollback(name, { ...options, automatic: false }));
  }

  /** Drops a reconciler's change whose record a newer one replaced while it waited. @throws LnError `LN_ERR_VERSION_STATE` */
  #assertCurrent(action: string, name: string, who: ReplicaOptions): void {
    if (who.superseded?.()) throw new LnError('LN_ERR_VERSION_STATE', { action, name, reason: 'a newer desired state arrived while this change waited' });
  }

  /** Whether a change by `who` goes to the desired state first: on a cluster, unless the reconciler applies it. */
  #publishes(who: ReplicaOptions): boolean {
    return this.#ctx.desired !== undefined && who.fromDesiredState !== true;
  }

  /** The ticket of a change that publishes (see `#publishes`), else null. */
  async #observe(name: string, who: ReplicaOptions & { automatic?: boolean }): Promise<DesiredTicket | null> {
    if (!this.#publishes(who)) return null;
    try {
      return await this.#ctx.desired!.observe(name);
    } catch (err) {
      if (!this.#cutOff(name, who, err)) throw err;
      return null;
    }
  }

  /** Publishes a change observed with `ticket`; nothing without one. */
  async #publish(ticket: DesiredTicket | null, change: DesiredChange, who: DesiredActor): Promise<void> {
    if (!ticket) return;
    try {
      await this.#ctx.desired!.publish(ticket, change, { actor: who.actor, ...(who.reason ? { reason: who.reason } : {}), automatic: who.automatic === true });
    } catch (err) {
      if (!this.#cutOff(ticket.name, who, err)) throw err;
    }
  }

  /**
   * Whether an automatic rollback or abort goes on without the cluster: the health monitor's
   * decision protects this host's callers even when the control plane is unreachable (logged; the
   * reconciler follows the desired state again once it is back). An operator's change never does.
   */
  #cutOff(name: string, who: { automatic?: boolean }, err: unknown): boolean {
    if (who.automatic !== true || !isLnError(err) || err.code !== 'LN_ERR_VERSION_CLUSTER_UNAVAILABLE') return false;
    this.#ctx.logger.warn({ component: name, err }, 'the cluster is unreachable: the automatic change applies on this host only');
    return true;
  }

  async #abort(name: string, actor: string, reason?: string, options: ReplicaOptions = {}): Promise<Deployment> {
    this.#ctx.assertOpen('abort');
    this.#assertCurrent('abort', name, options);
    const route = this.#ctx.route(name);
    if (route.candidate) {
      const request = { actor, ...(reason ? { reason } : {}), automatic: actor === HEALTH_ACTOR, ...options };
      await this.#publish(await this.#observe(name, request), { kind: 'abort' }, request);
    }
    const deployment = this.#ctx.registry.abort(name, { actor, ...(reason ? { reason } : {}) });
    const candidate = route.candidate;
    route.candidate = null;
    route.weight = 0;
    if (candidate)
      this.#ctx.onTransition?.({
        kind: 'abort',
        name,
        from: candidate.version,
        to: route.active?.version ?? candidate.version,
        automatic: actor === HEALTH_ACTOR,
      });
    await candidate?.close();
    return deployment;
  }

  async #rollback(name: string, options: { to?: string; actor: string; reason?: string; automatic: boolean } & ReplicaOptions): Promise<RollbackResult> {
    this.#ctx.assertOpen('roll back');
    this.#assertCurrent('roll back', name, options);
    const ticket = await this.#observe(name, options);
    const route = this.#ctx.route(name);
    const current = this.#ctx.registry.get(name);
    const to = options.to ?? current?.previous ?? '';
    const record = this.#ctx.registry.version(name, to);
    const who = { actor: options.actor, to, automatic: options.automatic, ...(options.reason ? { reason: options.reason } : {}) };
    if (!current?.active || !record || to === current.active || current.deploy.status === 'deploying' || current.deploy.status === 'canary') {
      this.#ctx.registry.rollback(name, { ...who, to: options.to }); // refuses (audited) with the reason
      throw new LnError('LN_ERR_INTERNAL_UNEXPECTED', { reason: `the registry accepted a rollback of ${name} the manager could not run` });
    }
    const warm = route.standby?.version === to ? route.standby : null;
    let target: LiveVersion;
    try {
      // A standby parked past its warm window starts its warm minimum again (its modules are compiled).
      if (warm) await warm.unpark();
      target = warm ?? (await this.#ctx.pipeline.launch(record));
    } catch (err) {
      const error = toLnError(err);
      this.#ctx.registry.refuse({ attempted: 'rollback', name, version: to, actor: options.actor, reason: error.message, code: error.code });
      throw error;
    }
    try {
      await this.#publish(ticket, { kind: 'rollback', to }, options);
    } catch (err) {
      if (!warm) await target.close().catch(() => undefined);
      const error = toLnError(err);
      this.#ctx.registry.refuse({ attempted: 'rollback', name, version: to, actor: options.actor, reason: error.message, code: error.code });
      throw error;
    }
    if (warm) route.standby = null;
    let swapped: Awaited<ReturnType<VersionRoute['swapIn']>>;
    try {
      swapped = await route.swapIn(
        target,
        () => this.#ctx.registry.rollback(name, who),
        (err) => {
          this.#ctx.logger.warn({ component: name, from: current.active, to, err: toLnError(err) }, 'state handoff failed; the rollback goes on without it');
          return { kind: 'fresh', reason: toLnError(err).message };
        },
      );
    } catch (err) {
      if (warm) route.standby = warm;
      else await target.close();
      throw err;
    }
    target.watchedUntil = Number.NEGATIVE_INFINITY;
    this.#ctx.onTransition?.({ kind: 'rollback', name, from: current.active, to, automatic: options.automatic });
    await this.#finishSwap(route, swapped.old, current.deploy.strategy === 'blue-green', null);
    this.#ctx.logger.info({ component: name, from: current.active, to, automatic: options.automatic, warm: warm !== null }, 'rolled back');
    return {
      name,
      from: current.active,
      to,
      source: warm ? 'standby' : target.component.source,
      handoff: swapped.handoff,
      deployment: this.#ctx.registry.get(name)!,
    };
  }

  /**
   * After a swap: drains the version that left, keeps it as the standby (blue-green) or stops it,
   * stops an older standby, and for a deploy records `drain`, `retire`, completes it and prunes.
   * The swap is committed: a failure here is logged, never thrown.
   */
  async #finishSwap(route: VersionRoute, old: LiveVersion | null, keepWarm: boolean, report: ((s: StepReport) => void) | null): Promise<void> {
    const name = route.name;
    try {
      let started = this.#ctx.now();
      if (report) this.#ctx.registry.advance(name, 'drain');
      await old?.drain();
      report?.({ step: 'drain', detail: old ? `${old.version} has no call in flight` : 'nothing to drain', durationMs: this.#ctx.now() - started });
      started = this.#ctx.now();
      if (report) this.#ctx.registry.advance(name, 'retire');
      await route.retire(old, keepWarm);
      report?.({
        step: 'retire',
        detail: !old ? 'nothing to retire' : keepWarm ? `${old.version} kept warm` : `${old.version} stopped`,
        durationMs: this.#ctx.now() - started,
      });
      if (report) {
        this.#ctx.registry.complete(name);
        await this.#prune(name);
      }
    } catch (err) {
      this.#ctx.logger.error({ component: name, err: toLnError(err) }, 'finishing a swap failed; the new version serves');
    }
  }

  async #prune(name: string): Promise<void> {
    const { removed, unreferencedDigests } = this.#ctx.registry.prune(name, this.#ctx.retain);
    for (const digest of unreferencedDigests) {
      if (this.#ctx.uploads.has(digest)) continue;
      await this.#ctx.artifacts.remove(digest);
      this.#ctx.engine.unload(digest.slice('sha256:'.length));
    }
    if (removed.length > 0) this.#ctx.logger.info({ component: name, versions: removed }, 'old versions pruned');
  }

  /**
   * After a failed call on `live`: when its health window is unhealthy, queues the automatic abort
   * (a canary) or rollback (a version a deploy swapped in less than `watchMs` ago).
   */
  watch(route: VersionRoute, live: LiveVersion): void {
    if (route.autoActionQueued || !live.health.unhealthy) return;
    const isCanary = live === route.candidate;
    if (!isCanary && !(live === route.active && this.#ctx.now() < live.watchedUntil)) return;
    const deployment = this.#ctx.registry.get(route.name);
    if (!isCanary && !deployment?.previous) {
      live.watchedUntil = Number.NEGATIVE_INFINITY; // nothing to roll back to
      this.#ctx.logger.warn(
        { component: route.name, version: live.version, reason: live.health.describe() },
        'unhealthy version, and no previous version to roll back to',
      );
      return;
    }
    if (!isCanary && deployment?.inProgress && deployment.deploy.status !== 'activated') return; // a canary of another version decides
    route.autoActionQueued = true;
    const reason = live.health.describe();
    void this.#ctx.serial
      .run(route.name, async () => {
        if (this.#ctx.closed()) return;
        if (isCanary && route.candidate === live) {
          await this.#abort(route.name, HEALTH_ACTOR, reason);
        } else if (!isCanary && route.active === live && this.#ctx.registry.get(route.name)?.previous) {
          await this.#rollback(route.name, { actor: HEALTH_ACTOR, reason, automatic: true });
        } else {
          return;
        }
        this.#ctx.logger.warn({ component: route.name, version: live.version, canary: isCanary, reason }, 'unhealthy version rolled back automatically');
      })
      .catch((err: unknown) => {
        live.watchedUntil = Number.NEGATIVE_INFINITY;
        this.#ctx.logger.error({ component: route.name, version: live.version, err: toLnError(err) }, 'automatic rollback failed');
      })
      .finally(() => {
        route.autoActionQueued = false;
      });
  }
}

function describeHandoff(handoff: HandoffResult): string {
  return handoff.kind === 'state'
    ? `state of ${handoff.from} handed over, ${handoff.bytes} bytes into ${handoff.instances} instance(s)`
    : `fresh: ${handoff.reason}`;
}
