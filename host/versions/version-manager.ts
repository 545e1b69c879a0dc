/**
 * The version manager: what each plugin name serves, and every change to it — hot deploy
 * (immediate, canary, blue-green), promote, abort, rollback, automatic rollback of an unhealthy
 * version, state handoff — without failing a call across a swap.
 *
 * The registry (SQLite, audited) is the truth that survives a restart; the routes in memory follow
 * it. A swap commits in the registry and switches the route in the same tick, so a caller sees the
 * old version or the new one, never neither; calls in flight finish on the version they started
 * on, which is drained before its instances stop. Changes to one name run one at a time; changes
 * to different names run side by side. See docs/versions.md.
 */

import type { CapabilitySection } from '../capabilities/capability-manifest.js';
import { type KvNamespaceOwner, kvNamespaceOwner } from '../capabilities/kv/kv-ownership.js';
import { OPEN_POLICY, type OperatorPolicy } from '../capabilities/policy.js';
import { ENGINE_DEFAULTS, type Engine } from '../engine/engine.js';
import type { PluginEvent } from '../engine/plugin-event.js';
import { checkPreamble } from '../engine/preamble.js';
import { LnError, toLnError } from '../errors/ln-error.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { type LimitsPolicy, type LimitsSection, NO_LIMITS_POLICY } from '../resources/limits.js';
import type { IncomingHttpCall } from '../sandbox/incoming-http-types.js';
import type { CallOptions } from '../sandbox/instance.js';
import type { NotifyMessage } from '../sandbox/protocol.js';
import { ArtifactStore, digestOf } from './artifact-store.js';
import { type AuditEntry, AuditTrail, type AuditVerification } from './audit-trail.js';
import { DeployPipeline, type DeployRequest } from './deploy-pipeline.js';
import type { Deployment, VersionRecord } from './deployment.js';
import type { DesiredStatePort, ReplicaOptions } from './desired-state-port.js';
import { type HealthPolicy, resolveHealthPolicy } from './health-window.js';
import type { CallRecord, HttpCallOutcome, PluginCallOutcome } from './live-version.js';
import { Registry } from './registry.js';
import { RegistryDatabase } from './registry-database.js';
import { type DeployResult, type RollbackResult, Rollouts, type VersionTransition } from './rollouts.js';
import { routeConflict } from './route-conflict.js';
import { KeyedSerializer, VersionRoute } from './version-route.js';
import { type RouteStatus, routeStatus } from './version-status.js';

export type { DeployRequest, StepReport } from './deploy-pipeline.js';
export type { CallRecord, HttpCallOutcome, PluginCallOutcome } from './live-version.js';
export type { VersionTransition } from './rollouts.js';
export { type DeployResult, HEALTH_ACTOR, type RollbackResult } from './rollouts.js';

/** Settings of a version manager. Every default is in `VERSION_MANAGER_DEFAULTS` or named below. */
export interface VersionManagerOptions {
  /** The data directory: artifacts, the registry, the kv database. */
  readonly dataDir: string;
  /** The process's engine (its transpile cache makes rollbacks and restarts cheap). */
  readonly engine: Engine;
  /** What any grant may be; default `OPEN_POLICY`. */
  readonly policy?: OperatorPolicy;
  /** Limit maxima; default `NO_LIMITS_POLICY`. */
  readonly limitsPolicy?: LimitsPolicy;
  /** Limits under every manifest's (CLI flags, host config), lowest first; default none. */
  readonly hostLimits?: ReadonlyArray<{ readonly section: LimitsSection; readonly source: string }>;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Versions kept per name besides the active, previous and last-deployed ones. */
  readonly retain?: number;
  /**
   * How long a blue-green standby stays warm after it became the standby, ms: a rollback inside
   * that window starts nothing; after it the standby is parked (no instances, compiled modules
   * kept), and a rollback re-instantiates (milliseconds for a small guest). Default 60 000.
   */
  readonly standbyWarmMs?: number;
  /** When a version counts as unhealthy; see `HEALTH_DEFAULTS`. */
  readonly health?: Partial<HealthPolicy>;
  /** Largest artifact accepted; default the engine's (`ENGINE_DEFAULTS.maxComponentBytes`). */
  readonly maxComponentBytes?: number;
  /** Every guest notification (log lines, metrics, emitted events), by name and version. */
  readonly onNotify?: (name: string, version: string, message: NotifyMessage) => void;
  /** Every finished call of every version (probes excluded), e.g. for metrics; must not throw. */
  readonly onCall?: (call: CallRecord) => void;
  /** Every committed change to what a name serves (deploy, canary, promote, abort, rollback); must not throw. */
  readonly onTransition?: (transition: VersionTransition) => void;
  /** The clock of latencies and health watches, ms; default `performance.now`. */
  readonly now?: () => number;
  /** The clock of registry and audit timestamps; default `new Date()`. */
  readonly clock?: () => Date;
  /** Randomness of canary routing, [0, 1); default `Math.random`. */
  readonly random?: () => number;
  /**
   * The cluster's desired state (host/cluster/): operator changes are published there, revision
   * checked, before they commit here (see desired-state-port.ts). Default: none (a single host).
   */
  readonly desiredState?: DesiredStatePort;
}

/** Defaults: five versions retained per name; a blue-green standby stays warm for a minute. */
export const VERSION_MANAGER_DEFAULTS = Object.freeze({ retain: 5, standbyWarmMs: 60_000 });

/** What `restore()` found and started. */
export interface RestoreReport {
  readonly serving: ReadonlyArray<{ readonly name: string; readonly version: string; readonly standby: string | null }>;
  readonly failed: ReadonlyArray<{ readonly name: string; readonly version: string; readonly error: LnError }>;
  /** Deploys a restart interrupted before their swap (now failed). */
  readonly interrupted: ReadonlyArray<{ readonly name: string; readonly version: string }>;
  readonly sweptTemporaries: number;
  /** Artifacts no retained version referred to, deleted. */
  readonly removedArtifacts: readonly string[];
}

/**
 * Hot deploy, rollback and routing of plugin versions on one host.
 *
 * @example
 * const versions = new VersionManager({ dataDir: '.lnano', engine, policy, logger });
 * await versions.restore();                                   // serve what was active before
 * const { digest } = await versions.storeArtifact(bytes);
 * await versions.deploy({ manifest, digest, strategy: 'blue-green', actor: 'ops' });
 * const outcome = await versions.call('telemetry', event);    // { ok, events } or { ok: false, error }
 * await versions.rollback('telemetry', { actor: 'ops' });     // instant: 'previous' was kept warm
 */
export class VersionManager {
  readonly registry: Registry;
  readonly auditTrail: AuditTrail;
  readonly artifacts: ArtifactStore;
  readonly #db: RegistryDatabase;
  readonly #pipeline: DeployPipeline;
  readonly #rollouts: Rollouts;
  readonly #routes = new Map<string, VersionRoute>();
  #revision = 0;
  readonly #serial = new KeyedSerializer();
  /** Stored by `storeArtifact` and not yet bound to a version: retention must not delete them. */
  readonly #uploads = new Set<string>();
  readonly #log: Logger;
  readonly #dataDir: string;
  readonly #maxBytes: number;
  readonly #standbyWarmMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  #restored = false;
  #closed = false;

  /** Opens the registry in `dataDir`. @throws LnError `LN_ERR_VERSION_REGISTRY`, `LN_ERR_CONFIG_INVALID` (health, retain) */
  constructor(options: VersionManagerOptions) {
    const retain = options.retain ?? VERSION_MANAGER_DEFAULTS.retain;
    if (!Number.isInteger(retain) || retain < 1) {
      throw new LnError('LN_ERR_CONFIG_INVALID', {
        key: 'retain',
        source: 'version manager options',
        reason: `${String(retain)} is not a whole number of versions, 1 or more`,
      });
    }
    const health = resolveHealthPolicy(options.health);
    this.#log = options.logger ?? silentLogger();
    this.#dataDir = options.dataDir;
    this.#now = options.now ?? (() => performance.now());
    this.#random = options.random ?? Math.random;
    this.#maxBytes = options.maxComponentBytes ?? ENGINE_DEFAULTS.maxComponentBytes;
    this.#standbyWarmMs = options.standbyWarmMs ?? VERSION_MANAGER_DEFAULTS.standbyWarmMs;
    const clock = options.clock ? { now: options.clock } : {};
    this.#db = new RegistryDatabase(options.dataDir);
    this.auditTrail = new AuditTrail(this.#db, clock);
    this.registry = new Registry(this.#db, this.auditTrail, clock);
    this.artifacts = new ArtifactStore(options.dataDir);
    this.#pipeline = new DeployPipeline({
      dataDir: options.dataDir,
      engine: options.engine,
      artifacts: this.artifacts,
      db: this.#db,
      registry: this.registry,
      audit: this.auditTrail,
      policy: options.policy ?? OPEN_POLICY,
      limitsPolicy: options.limitsPolicy ?? NO_LIMITS_POLICY,
      hostLimits: options.hostLimits ?? [],
      logger: this.#log,
      health,
      maxComponentBytes: this.#maxBytes,
      now: this.#now,
      ...(options.onNotify ? { onNotify: options.onNotify } : {}),
      ...(options.onCall ? { onCall: options.onCall } : {}),
      routeConflict: (name, routes) => routeConflict(name, routes, this.httpRoutes()),
    });
    this.#rollouts = new Rollouts({
      registry: this.registry,
      pipeline: this.#pipeline,
      artifacts: this.artifacts,
      engine: options.engine,
      health,
      retain,
      logger: this.#log,
      now: this.#now,
      serial: this.#serial,
      route: (name) => this.#route(name),
      uploads: this.#uploads,
      assertOpen: (action) => this.#assertOpen(action),
      closed: () => this.#closed,
      ...(options.onTransition ? { onTransition: options.onTransition } : {}),
      ...(options.desiredState ? { desired: options.desiredState } : {}),
    });
  }

  /**
   * Start-up: recovers the registry (a deploy caught before its swap is failed, one caught after
   * it completed), deletes temporaries and unreferenced artifacts, then starts every active
   * version (and, for blue-green, its previous one as the warm standby). A version that cannot
   * start is reported in `failed`; the others serve. Call once, before anything else.
   *
   * @throws LnError `LN_ERR_VERSION_STATE` when called twice
   */
  async restore(): Promise<RestoreReport> {
    this.#assertOpen('restore');
    if (this.#restored) throw new LnError('LN_ERR_VERSION_STATE', { action: 'restore', name: 'the version manager', reason: 'it was restored already' });
    this.#restored = true;
    const recovered = this.registry.recover();
    const sweptTemporaries = await this.artifacts.sweepTemporaries();
    const referenced = this.registry.referencedDigests();
    const removedArtifacts: string[] = [];
    for (const digest of await this.artifacts.list()) {
      if (!referenced.has(digest) && (await this.artifacts.remove(digest))) removedArtifacts.push(digest);
    }
    const serving: Array<RestoreReport['serving'][number]> = [];
    const failed: Array<RestoreReport['failed'][number]> = [];
    await Promise.all(
      recovered.serving.map((s) =>
        this.#serial.run(s.name, async () => {
          const route = this.#route(s.name);
          try {
            route.active = await this.#pipeline.launch(s.active);
          } catch (err) {
            failed.push({ name: s.name, version: s.active.version, error: toLnError(err) });
            this.#log.error({ component: s.name, version: s.active.version, err: toLnError(err) }, 'cannot start the active version');
            return;
          }
          if (s.strategy === 'blue-green' && s.previous) {
            route.standby = await this.#pipeline.launch(s.previous).catch((err: unknown) => {
              this.#log.warn(
                { component: s.name, version: s.previous?.version, err: toLnError(err) },
                'cannot start the blue-green standby; rollback will start it',
              );
              return null;
            });
          }
          serving.push({ name: s.name, version: s.active.version, standby: route.standby?.version ?? null });
        }),
      ),
    );
    return {
      serving: serving.sort((a, b) => (a.name < b.name ? -1 : 1)),
      failed,
      interrupted: recovered.interrupted.map((d) => ({ name: d.name, version: d.deploy.version })),
      sweptTemporaries,
      removedArtifacts,
    };
  }

  /**
   * Checks that bytes are a component (preamble and size) and stores them by digest. Idempotent.
   *
   * @throws LnError `LN_ERR_LOAD_EMPTY`, `LN_ERR_LOAD_TOO_LARGE`, `LN_ERR_LOAD_NOT_WASM`,
   *   `LN_ERR_LOAD_NOT_COMPONENT`, `LN_ERR_LOAD_UNSUPPORTED_VERSION`
   */
  async storeArtifact(bytes: Uint8Array): Promise<{ digest: string; sizeBytes: number; created: boolean }> {
    this.#assertOpen('store an artifact for');
    checkPreamble(bytes, 'the uploaded component', this.#maxBytes);
    const existed = await this.artifacts.has(digestOf(bytes));
    const digest = await this.artifacts.put(bytes);
    if (!this.registry.referencedDigests().has(digest)) this.#uploads.add(digest);
    return { digest, sizeBytes: bytes.length, created: !existed };
  }

  /**
   * Deploys a stored artifact: validate → capability-check → prepare → warm → probe → swap →
   * drain → retire (canary: up to the swap, which sets its weight; `promote` or `abort` finish it).
   * Deploying the version and digest that are already active does nothing (`outcome:
   * 'unchanged'`). Deploys to one name wait for each other; other names deploy side by side.
   *
   * @throws LnError `LN_ERR_VERSION_DEPLOY_FAILED` naming the failed step (the active version is
   *   untouched), `LN_ERR_VERSION_APPROVAL_REQUIRED`, `LN_ERR_VERSION_CONFLICT`, `LN_ERR_VERSION_STATE`
   */
  deploy(request: DeployRequest): Promise<DeployResult> {
    return this.#rollouts.deploy(request);
  }

  /** Makes the canary the active version (all calls); the old version is drained and stopped. @throws LnError `LN_ERR_VERSION_STATE` (audited) when no canary runs */
  promote(name: string, actor: string, reason?: string, options?: ReplicaOptions): Promise<Deployment> {
    return this.#rollouts.promote(name, actor, reason, options);
  }

  /** Drops the canary; the active version takes every call again. @throws LnError `LN_ERR_VERSION_STATE` (audited) */
  abort(name: string, actor: string, reason?: string, options?: ReplicaOptions): Promise<Deployment> {
    return this.#rollouts.abort(name, actor, reason, options);
  }

  /** Sets the canary's share of calls, a whole percentage 0–100. @throws LnError `LN_ERR_VERSION_STATE` (audited) */
  setCanaryWeight(name: string, weight: number, actor: string, reason?: string, options?: ReplicaOptions): Promise<Deployment> {
    return this.#rollouts.setCanaryWeight(name, weight, actor, reason, options);
  }

  /**
   * Makes `to` (default: the previous version) active now: at once from the blue-green standby,
   * else started from the stored artifact and the transpile cache (no transpile). The version left
   * is drained, then kept warm (blue-green) or stopped. State is handed over when both export it;
   * a failed handoff does not stop a rollback (the target keeps its own state).
   *
   * @throws LnError `LN_ERR_VERSION_STATE` / `LN_ERR_VERSION_NOT_FOUND` (audited) for nothing to
   *   roll back to, `LN_ERR_VERSION_DEPLOY_FAILED` when the target cannot start (audited as refused)
   */
  rollback(name: string, options: { to?: string; actor: string; reason?: string } & ReplicaOptions): Promise<RollbackResult> {
    return this.#rollouts.rollback(name, options);
  }

  /** Resolves once every change queued so far on `name` has settled (the cluster reconciler compares after it). */
  settled(name: string): Promise<void> {
    return this.#serial.settled(name);
  }

  /**
   * Sends one event to the name: to the canary with probability `weight`%, else to the active
   * version. Guest errors and failures are `{ ok: false }` outcomes and count in the serving
   * version's health window; an unhealthy canary is aborted and an unhealthy version just swapped
   * in is rolled back, by themselves.
   *
   * @throws LnError `LN_ERR_VERSION_STATE` when no version of the name serves
   */
  call(name: string, event: PluginEvent, options: CallOptions = {}): Promise<PluginCallOutcome> {
    const route = this.#routes.get(name);
    if (route?.gate) return this.#callAfterGate(route, name, event, options);
    // No gate: checked and picked in this tick, without an async layer (the common case).
    return this.#callNow(route, name, event, options);
  }

  async #callAfterGate(route: VersionRoute, name: string, event: PluginEvent, options: CallOptions): Promise<PluginCallOutcome> {
    while (route.gate) await route.gate;
    return this.#callNow(route, name, event, options);
  }

  /**
   * Picks the version and calls it, in the tick the route was found without a gate: a call that
   * finds no gate lands in a pool before any swap can begin, so the drain before a handoff waits for it.
   */
  #callNow(route: VersionRoute | undefined, name: string, event: PluginEvent, options: CallOptions): Promise<PluginCallOutcome> {
    const live = this.#closed ? null : (route?.pick(this.#random) ?? null);
    if (!route || !live) {
      return Promise.reject(
        new LnError('LN_ERR_VERSION_STATE', { action: 'call', name, reason: this.#closed ? 'the host is shutting down' : 'no version of it is serving' }),
      );
    }
    return live.handle(event, options).then((outcome) => {
      if (!outcome.ok) this.#rollouts.watch(route, live);
      return outcome;
    });
  }

  /**
   * Serves one HTTP request with the name's `wasi:http/proxy` component: the canary with
   * probability `weight`%, else the active version (canary by request). A failure counts in the
   * serving version's health window, as a plugin call's does.
   *
   * @throws LnError `LN_ERR_VERSION_STATE` when no version of the name serves
   */
  async serveHttp(name: string, http: IncomingHttpCall, options: CallOptions = {}): Promise<HttpCallOutcome> {
    const route = this.#routes.get(name);
    while (route?.gate) await route.gate;
    const live = this.#closed ? null : (route?.pick(this.#random) ?? null);
    if (!route || !live?.http) {
      throw new LnError('LN_ERR_VERSION_STATE', {
        action: 'serve HTTP',
        name,
        reason: this.#closed ? 'the host is shutting down' : 'no HTTP version of it is serving',
      });
    }
    const outcome = await live.serveHttp(http, options);
    if (!outcome.ok) this.#rollouts.watch(route, live);
    return outcome;
  }

  /**
   * The routes of every name whose active version is a `wasi:http/proxy` component, with the
   * limits of that version (a canary shares its name's routes); changes with `revision()`.
   */
  httpRoutes(): Array<{
    name: string;
    version: string;
    routes: readonly string[];
    limits: { maxPayloadBytes: number; maxOutputBytes: number; timeoutMs: number };
  }> {
    return [...this.#routes.values()]
      .flatMap((r) => (r.active?.http ? [{ name: r.name, version: r.active.version, routes: r.active.manifest.routes, limits: r.active.limits }] : []))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Changes whenever `plugins()` would answer differently: the event runtime caches its routes until then. */
  revision(): number {
    return this.#revision;
  }

  /** What serves events, by name: for the event runtime's routing (a canary shares its name's events and priority; HTTP components take no events). */
  plugins(): Array<{ name: string; version: string; events: readonly string[]; priority: number }> {
    return [...this.#routes.values()]
      .flatMap((r) =>
        r.active && !r.active.http ? [{ name: r.name, version: r.active.version, events: r.active.manifest.events, priority: r.active.manifest.priority }] : [],
      )
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** One name's deployment, versions serving, pool and health. @throws LnError `LN_ERR_VERSION_NOT_FOUND` for a name never deployed */
  status(name: string): RouteStatus {
    const deployment = this.registry.get(name);
    if (!deployment) throw new LnError('LN_ERR_VERSION_NOT_FOUND', { name, version: '(any)' });
    return routeStatus(this.#route(name), deployment, this.#now());
  }

  /** Every name's status. */
  list(): RouteStatus[] {
    return this.registry.list().map((d) => routeStatus(this.#route(d.name), d, this.#now()));
  }

  /** A name's retained versions and its audit entries, newest first (at most `limit`, default 100). */
  history(name: string, options: { limit?: number } = {}): { name: string; deployment: Deployment | null; versions: VersionRecord[]; entries: AuditEntry[] } {
    return {
      name,
      deployment: this.registry.get(name) ?? null,
      versions: this.registry.versions(name),
      entries: this.auditTrail.list({ name, newestFirst: true, limit: options.limit ?? 100 }),
    };
  }

  /** Audit entries (all, or one name's; after seq `after`; at most `limit`), and with `verify` the chain's verification. */
  audit(query: { name?: string; after?: number; limit?: number; verify?: boolean } = {}): { entries: AuditEntry[]; verification: AuditVerification | null } {
    const { verify, ...list } = query;
    return { entries: this.auditTrail.list(list), verification: verify ? this.auditTrail.verify() : null };
  }

  /**
   * Who owns the kv namespace `capabilities` would grant `name` (for a capability diff made
   * before a deploy, as the deploy makes it); undefined without a kv grant.
   *
   * @throws LnError `LN_ERR_CAP_KV_DATABASE`
   */
  kvOwner(name: string, capabilities: CapabilitySection): KvNamespaceOwner | undefined {
    return kvNamespaceOwner(capabilities, name, this.#dataDir);
  }

  /** Lets queued changes finish, drains every version and stops its instances, closes the registry. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#serial.idle();
    await Promise.all([...this.#routes.values()].flatMap((r) => r.versions()).map((v) => v.close()));
    this.#routes.clear();
    this.#revision++;
    this.#db.close();
  }

  #route(name: string): VersionRoute {
    let route = this.#routes.get(name);
    if (!route) {
      route = new VersionRoute(
        name,
        () => {
          this.#revision++;
        },
        { standbyWarmMs: this.#standbyWarmMs, logger: this.#log },
      );
      this.#routes.set(name, route);
    }
    return route;
  }

  #assertOpen(action: string): void {
    if (this.#closed) throw new LnError('LN_ERR_VERSION_STATE', { action, name: 'plugins', reason: 'the host is shutting down' });
  }
}
