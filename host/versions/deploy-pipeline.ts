/**
 * The deploy pipeline up to the swap, and starting a retained version again.
 *
 *   validate          the artifact exists and is intact, is a component, is a plugin; the
 *                     manifest's name, version and digest agree with the request
 *   capability-check  every import links under the operator policy, the grants and limits
 *                     resolve under it, a kv namespace is the component's own or shared with it
 *                     (`kv-ownership.ts`), and grants the active version does not have are approved
 *   prepare           transpile and instrument (`engine.load` with `meterFor(limits)`; cached)
 *   warm              the warm minimum of instances starts
 *   probe             `lifecycle.init(config)` on every warm instance, then the probe event
 *
 * `validate` and `capability-check` run before anything is written: a request they refuse is
 * audited as `refused` (nothing was bound). Then, in one transaction, the version is bound, an
 * approval is audited as `grants-approved`, and the deploy begins at `prepare`; a failure from
 * there on is `registry.fail(step)`. The kv namespace is claimed in that transaction too, so a
 * refused deploy claims nothing. Every failure leaves the active version untouched and is
 * thrown as `LN_ERR_VERSION_DEPLOY_FAILED` naming the step (or `LN_ERR_VERSION_APPROVAL_REQUIRED`).
 */

import { absoluteCapabilities as absolutePaths, type CapabilitySection } from '../capabilities/capability-manifest.js';
import { type CapabilityDiff, diffCapabilities, formatDiff } from '../capabilities/grant-diff.js';
import { resolveGrants } from '../capabilities/grant-resolver.js';
import type { InstanceGrants } from '../capabilities/grants.js';
import { checkKvNamespace, claimKvNamespace } from '../capabilities/kv/kv-ownership.js';
import { checkLink } from '../capabilities/link-check.js';
import type { OperatorPolicy } from '../capabilities/policy.js';
import { componentKind, findExport } from '../engine/component.js';
import type { Engine } from '../engine/engine.js';
import type { PluginEvent } from '../engine/plugin-event.js';
import { checkPreamble } from '../engine/preamble.js';
import type { ErrorCode } from '../errors/codes.js';
import { isLnError, LnError, toLnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { type Limits, type LimitsPolicy, type LimitsSection, resolveLimits } from '../resources/limits.js';
import { meterFor } from '../resources/metering.js';
import type { NotifyMessage } from '../sandbox/protocol.js';
import { type ArtifactStore, hexOf } from './artifact-store.js';
import type { AuditTrail, JsonObject } from './audit-trail.js';
import { type DeployStep, STRATEGIES, type Strategy, type VersionRecord } from './deployment.js';
import type { HealthPolicy } from './health-window.js';
import { type CallRecord, LiveVersion } from './live-version.js';
import { type Manifest, parseManifest } from './manifest.js';
import type { Registry } from './registry.js';
import type { RegistryDatabase } from './registry-database.js';

/** A request to deploy a stored artifact under a manifest. */
export interface DeployRequest {
  /** Names the plugin and the version; its `digest`, when set, must equal `digest`. */
  readonly manifest: Manifest;
  /** The artifact to deploy (`storeArtifact` returned it). */
  readonly digest: string;
  /** Default `immediate`. */
  readonly strategy?: Strategy;
  /** The canary's share of calls, a whole percentage 0–100 (canary only). Default 10. */
  readonly canaryWeight?: number;
  /** Approves grants the active version does not have (`--approve-capabilities`). Default false. */
  readonly approveCapabilities?: boolean;
  /** Who deploys (audited). */
  readonly actor: string;
  /** Why (audited). */
  readonly reason?: string;
  /** An event the candidate must answer with `ok` before the swap (the manifest's probe event). */
  readonly probe?: PluginEvent;
  /** Called as each step finishes, with a one-line detail. */
  readonly onProgress?: (step: DeployStep, detail: string) => void;
  /** Set by the cluster reconciler only: applying the desired state, not changing it (see desired-state-port.ts). */
  readonly fromDesiredState?: boolean;
  /** Set by the cluster reconciler only: see `ReplicaOptions.superseded`. */
  readonly superseded?: () => boolean;
}

/** What the pipeline needs from the host. */
export interface PipelineContext {
  readonly dataDir: string;
  readonly engine: Engine;
  readonly artifacts: ArtifactStore;
  readonly db: RegistryDatabase;
  readonly registry: Registry;
  readonly audit: AuditTrail;
  readonly policy: OperatorPolicy;
  readonly limitsPolicy: LimitsPolicy;
  /** Limits below every manifest's (CLI flags, host config), lowest first. */
  readonly hostLimits: ReadonlyArray<{ readonly section: LimitsSection; readonly source: string }>;
  readonly logger: Logger;
  readonly health: HealthPolicy;
  readonly maxComponentBytes: number;
  readonly onNotify?: (name: string, version: string, message: NotifyMessage) => void;
  /** Every handled call of every version it launches (see `LiveVersionSpec.onCall`). */
  readonly onCall?: (call: CallRecord) => void;
  readonly now: () => number;
  /** Why `routes` cannot be `name`'s (another component's overlapping route), or null. */
  readonly routeConflict?: (name: string, routes: readonly string[]) => LnError | null;
}

/** A request that passed `validate` and `capability-check`. */
export interface DeployPlan {
  readonly request: DeployRequest;
  readonly name: string;
  readonly version: string;
  readonly digest: string;
  readonly strategy: Strategy;
  readonly canaryWeight: number;
  readonly bytes: Uint8Array;
  readonly grants: InstanceGrants;
  readonly limits: Limits;
  /** Against the active version (everything is added on a first deploy). */
  readonly diff: CapabilityDiff;
  /** The manifest as the registry keeps it (see `storedManifest`). */
  readonly stored: JsonObject;
}

/** One finished step, for the deploy result. */
export interface StepReport {
  readonly step: DeployStep;
  readonly detail: string;
  readonly durationMs: number;
}

/** The default share of calls a canary gets, percent. */
export const DEFAULT_CANARY_WEIGHT = 10;

/** The capabilities section with every `fs` host path made absolute (the registry outlives the manifest's folder). */
export function absoluteCapabilities(manifest: Manifest): CapabilitySection {
  return absolutePaths(manifest.capabilities, manifest.baseDir);
}

/**
 * The manifest as the registry keeps it: what the manifest file says, minus the component's path
 * (the artifact is named by the digest), with `fs` host paths made absolute and the digest set.
 */
export function storedManifest(manifest: Manifest, digest: string): JsonObject {
  return JSON.parse(
    JSON.stringify({
      name: manifest.name,
      version: manifest.version,
      description: manifest.description,
      digest,
      events: manifest.events,
      ...(manifest.routes.length > 0 ? { routes: manifest.routes } : {}),
      priority: manifest.priority,
      config: manifest.config,
      capabilities: absoluteCapabilities(manifest),
      limits: manifest.limits,
    }),
  ) as JsonObject;
}

/** A retained version's manifest, parsed again. @throws LnError `LN_ERR_MANIFEST_INVALID` */
export function manifestOf(record: VersionRecord, dataDir: string): Manifest {
  return parseManifest(record.manifest, `${record.name}@${record.version} (registry)`, dataDir);
}

/** The deploy pipeline of one host. */
export class DeployPipeline {
  readonly #ctx: PipelineContext;

  constructor(ctx: PipelineContext) {
    this.#ctx = ctx;
  }

  /**
   * Runs `validate` and `capability-check`. A refusal is audited and thrown; nothing is bound.
   *
   * @param active - the version serving now (its grants are what the candidate is compared with)
   * @throws LnError `LN_ERR_VERSION_DEPLOY_FAILED` (step `validate` or `capability-check`),
   *   `LN_ERR_VERSION_APPROVAL_REQUIRED`
   */
  async check(request: DeployRequest, active: LiveVersion | null, report: (s: StepReport) => void): Promise<DeployPlan> {
    const { manifest, digest, actor } = request;
    const { name, version } = manifest;
    let step: DeployStep = 'validate';
    let started = this.#ctx.now();
    try {
      const strategy = request.strategy ?? 'immediate';
      if (!(STRATEGIES as readonly string[]).includes(strategy)) throw new Error(`unknown strategy "${String(strategy)}"; use ${STRATEGIES.join(', ')}`);
      const canaryWeight = request.canaryWeight ?? DEFAULT_CANARY_WEIGHT;
      if (!Number.isInteger(canaryWeight) || canaryWeight < 0 || canaryWeight > 100)
        throw new Error(`canary weight ${String(canaryWeight)} is not a whole percentage 0-100`);
      if (request.canaryWeight !== undefined && strategy !== 'canary') throw new Error(`a canary weight needs strategy canary, not ${strategy}`);
      if (strategy === 'canary' && active === null)
        throw new Error('a canary needs an active version to share the calls with; deploy the first version immediate or blue-green');
      if (manifest.digest !== undefined && manifest.digest !== digest) throw new Error(`the manifest names ${manifest.digest}, the request ${digest}`);
      const bytes = await this.#ctx.artifacts.get(digest);
      checkPreamble(bytes, `${name}@${version}`, this.#ctx.maxComponentBytes);
      // The decode process reads the stored artifact itself: the bytes do not cross IPC.
      const shape = await this.#ctx.engine.shape(bytes, `${name}@${version}`, { digest: hexOf(digest), file: this.#ctx.artifacts.pathOf(digest) });
      const kind = componentKind(shape);
      if (kind === 'http-proxy') {
        if (manifest.routes.length === 0) throw new Error('it is a wasi:http/proxy component: give it routes (manifest "routes", or lnano deploy --route)');
        const conflict = this.#ctx.routeConflict?.(name, manifest.routes);
        if (conflict) throw conflict;
      } else if (kind !== 'plugin' || !findExport(shape, 'handler#handle')) {
        throw new Error('it is not a plugin (no liquid-nano:plugin/handler export), nor a wasi:http/proxy component (no wasi:http/incoming-handler)');
      } else if (manifest.routes.length > 0) {
        throw new Error('routes are for wasi:http/proxy components; this one is a plugin (it takes events)');
      }
      const what = kind === 'http-proxy' ? `an HTTP component on ${manifest.routes.join(', ')}` : 'a plugin';
      report({ step, detail: `${digest.slice(0, 19)}… ${bytes.length} bytes, ${what}`, durationMs: this.#ctx.now() - started });

      step = 'capability-check';
      started = this.#ctx.now();
      checkLink(shape, this.#ctx.policy, `${name}@${version}`);
      const grants = this.#grantsOf(name, version, manifest);
      const limits = this.#limitsOf(manifest);
      const kvOwner = grants.plugin.kv ? checkKvNamespace(grants.plugin.kv, name, this.#ctx.policy) : undefined;
      const diff = diffCapabilities(active ? absoluteCapabilities(active.manifest) : undefined, absoluteCapabilities(manifest), kvOwner);
      if (diff.added.length > 0 && request.approveCapabilities !== true) {
        throw new LnError('LN_ERR_VERSION_APPROVAL_REQUIRED', { name, version, added: formatDiff({ added: diff.added, removed: [], changed: [] }).join('; ') });
      }
      const lines = formatDiff(diff);
      report({ step, detail: lines.length === 0 ? 'no change in grants' : lines.join('; '), durationMs: this.#ctx.now() - started });
      return { request, name, version, digest, strategy, canaryWeight, bytes, grants, limits, diff, stored: storedManifest(manifest, digest) };
    } catch (err) {
      const error =
        isLnError(err) && (err.code === 'LN_ERR_VERSION_APPROVAL_REQUIRED' || err.code === 'LN_ERR_VERSION_ROUTE_CONFLICT')
          ? err
          : deployFailed(name, version, step, err);
      this.#refuse(name, version, digest, actor, error);
      throw error;
    }
  }

  /**
   * Binds the version, audits the approval of added grants, begins the deploy at `prepare` and
   * claims its kv namespace, in one transaction (the claim last: nothing before it can undo it).
   *
   * @throws LnError `LN_ERR_VERSION_CONFLICT` (another digest or manifest under that version),
   *   `LN_ERR_VERSION_STATE` (a deploy of the name is in progress), `LN_ERR_VERSION_DEPLOY_FAILED`
   *   at `capability-check` (another component claimed the namespace since the check): audited as `refused`
   */
  begin(plan: DeployPlan): void {
    const { name, version, digest, request } = plan;
    try {
      this.#ctx.db.transaction(() => {
        this.#ctx.registry.bindVersion(name, version, digest, plan.stored, request.actor);
        if (plan.diff.added.length > 0) {
          const added = formatDiff({ added: plan.diff.added, removed: [], changed: [] });
          this.#ctx.audit.append({ action: 'grants-approved', actor: request.actor, name, version, digest, details: { added } });
        }
        this.#ctx.registry.beginDeploy(name, version, { strategy: plan.strategy, actor: request.actor, reason: request.reason, step: 'prepare' });
        this.#claimKv(plan.grants, name, version);
      });
    } catch (err) {
      if (isLnError(err)) this.#refuse(name, version, digest, request.actor, err);
      throw err;
    }
  }

  /**
   * Runs `prepare`, `warm` and `probe` for a begun deploy and returns the warm, probed candidate.
   * A failure is recorded (`registry.fail` at the step), the candidate's instances are stopped.
   *
   * @throws LnError `LN_ERR_VERSION_DEPLOY_FAILED` naming the step
   */
  async build(plan: DeployPlan, report: (s: StepReport) => void): Promise<LiveVersion> {
    const { name, version, request } = plan;
    let step: DeployStep = 'prepare';
    let candidate: LiveVersion | undefined;
    let started = this.#ctx.now();
    try {
      const component = await this.#ctx.engine.load(plan.bytes, `${name}@${version}`, {
        meter: meterFor(plan.limits),
        digest: hexOf(plan.digest),
        file: this.#ctx.artifacts.pathOf(plan.digest),
      });
      const record = this.#ctx.registry.version(name, version)!;
      candidate = this.#live(record, request.manifest, component, plan.grants, plan.limits);
      report({
        step,
        detail: component.source === 'transpiled' ? 'transpiled and instrumented' : `from the ${component.source}`,
        durationMs: this.#ctx.now() - started,
      });

      step = 'warm';
      started = this.#ctx.now();
      this.#ctx.registry.advance(name, step);
      await candidate.warm();
      report({ step, detail: `${candidate.stats().instances} instance(s) warm`, durationMs: this.#ctx.now() - started });

      step = 'probe';
      started = this.#ctx.now();
      this.#ctx.registry.advance(name, step);
      const initialized = await candidate.initialize();
      let detail = candidate.hasInit ? `init ok on ${initialized} instance(s)` : 'no init export';
      if (request.probe) {
        const outcome = await candidate.handle(request.probe, { record: false });
        if (!outcome.ok) throw new Error(`the probe event was answered with ${JSON.stringify(outcome.error).slice(0, 300)}`);
        detail += `; probe event answered with ${outcome.events.length} event(s)`;
      }
      report({ step, detail, durationMs: this.#ctx.now() - started });
      return candidate;
    } catch (err) {
      await candidate?.close().catch(() => undefined);
      const error = deployFailed(name, version, step, err);
      this.fail(name, request.actor, step, error);
      throw error;
    }
  }

  /** Records a deploy not yet swapped in as failed at `step` (best effort: a registry error is logged). */
  fail(name: string, actor: string, step: DeployStep, error: LnError): void {
    try {
      this.#ctx.registry.fail(name, { actor, reason: String(error.details.reason ?? error.message), step });
    } catch (err) {
      this.#ctx.logger.error({ component: name, err: toLnError(err) }, 'cannot record the failed deploy');
    }
  }

  /**
   * Starts a retained version from its stored artifact and manifest (decoded types, transpile
   * and instrumentation come from the cache; the artifact's bytes are read only when the cache
   * lacks them): grants and limits resolved under today's policy, the warm minimum started,
   * `init` called on each.
   *
   * @throws LnError `LN_ERR_VERSION_DEPLOY_FAILED` naming the step that stopped it: a missing
   *   artifact, or a damaged one the cache lacks (validate), a policy refusal or another component's kv namespace
   *   (capability-check; the namespace is claimed if nobody has), a failed start (warm) or init (probe)
   */
  async launch(record: VersionRecord): Promise<LiveVersion> {
    const { name, version } = record;
    let step: DeployStep = 'validate';
    let live: LiveVersion | undefined;
    try {
      const manifest = manifestOf(record, this.#ctx.dataDir);
      const subject = `${name}@${version}`;
      const digest = hexOf(record.digest);
      const sizeBytes = await this.#ctx.artifacts.size(record.digest);
      step = 'capability-check';
      const limits = this.#limitsOf(manifest);
      const meter = meterFor(limits);
      const grants = this.#grantsOf(name, version, manifest);
      // A restart or rollback finds the version in the transpile cache: its 11 MB artifact is
      // neither read, hashed nor decoded. Otherwise the store reads and verifies the bytes, so
      // the engine need not hash them again.
      const cached = await this.#ctx.engine.loadCached(digest, subject, { meter, sizeBytes });
      let bytes: Uint8Array | undefined;
      if (!cached) {
        step = 'validate';
        bytes = await this.#ctx.artifacts.get(record.digest);
        step = 'capability-check';
      }
      checkLink(
        cached?.shape ?? (await this.#ctx.engine.shape(bytes!, subject, { digest, file: this.#ctx.artifacts.pathOf(record.digest) })),
        this.#ctx.policy,
        subject,
      );
      if (grants.plugin.kv) claimKvNamespace(grants.plugin.kv, name, this.#ctx.policy);
      step = 'prepare';
      const component = cached ?? (await this.#ctx.engine.load(bytes!, subject, { meter, digest, file: this.#ctx.artifacts.pathOf(record.digest) }));
      live = this.#live(record, manifest, component, grants, limits);
      step = 'warm';
      await live.warm();
      step = 'probe';
      await live.initialize();
      return live;
    } catch (err) {
      await live?.close().catch(() => undefined);
      throw deployFailed(name, version, step, err);
    }
  }

  /** Claims the grant's kv namespace for `name` (see `kv-ownership.ts`). @throws LnError `LN_ERR_VERSION_DEPLOY_FAILED` at `capability-check` */
  /** A manifest's capabilities resolved into grants under the operator policy (a deploy's check and a restore alike). */
  #grantsOf(name: string, version: string, manifest: Manifest): InstanceGrants {
    const { dataDir, policy } = this.#ctx;
    return resolveGrants(manifest.capabilities, {
      name,
      version,
      dataDir,
      policy,
      baseDir: manifest.baseDir,
      source: manifest.source,
      config: manifest.config,
    });
  }

  /** A manifest's limits over the host's, bounded by the policy. */
  #limitsOf(manifest: Manifest): Limits {
    return resolveLimits([...this.#ctx.hostLimits, { section: manifest.limits, source: manifest.source }], this.#ctx.limitsPolicy);
  }

  #claimKv(grants: InstanceGrants, name: string, version: string): void {
    if (!grants.plugin.kv) return;
    try {
      claimKvNamespace(grants.plugin.kv, name, this.#ctx.policy);
    } catch (err) {
      throw deployFailed(name, version, 'capability-check', err);
    }
  }

  #live(record: VersionRecord, manifest: Manifest, component: LiveVersion['component'], grants: InstanceGrants, limits: Limits): LiveVersion {
    const { name, version, digest } = record;
    const onNotify = this.#ctx.onNotify;
    return new LiveVersion({
      record,
      manifest,
      component,
      grants,
      limits,
      health: this.#ctx.health,
      now: this.#ctx.now,
      logger: this.#ctx.logger.child({ component: name, version, digest: digest.slice(7, 19) }),
      ...(onNotify ? { onNotify: (message: NotifyMessage) => onNotify(name, version, message) } : {}),
      ...(this.#ctx.onCall ? { onCall: this.#ctx.onCall } : {}),
    });
  }

  #refuse(name: string, version: string, digest: string, actor: string, error: LnError): void {
    try {
      this.#ctx.registry.refuse({ attempted: 'deploy', name, version, digest, actor, reason: error.message, code: error.code });
    } catch (err) {
      this.#ctx.logger.error({ component: name, err: toLnError(err) }, 'cannot audit the refused deploy');
    }
  }
}

/** `LN_ERR_VERSION_DEPLOY_FAILED` for a failure at `step`, keeping the cause's code in the details. */
export function deployFailed(name: string, version: string, step: DeployStep, err: unknown): LnError {
  const cause = isLnError(err) ? err : null;
  const reason = cause ? cause.message : err instanceof Error ? err.message : String(err);
  const code: ErrorCode | null = cause?.code ?? null;
  return new LnError('LN_ERR_VERSION_DEPLOY_FAILED', { name, version, step, reason, causeCode: code }, { cause: err });
}
