/**
 * The version registry: which versions exist (immutable `name@version → digest + manifest`
 * bindings) and, per plugin name, which version is active, which was active before, and the
 * state of the last deploy.
 *
 * Every transition is one transaction that also appends its audit entry, so the registry and the
 * audit trail never disagree, and each refuses impossible moves with `LN_ERR_VERSION_STATE`
 * (refusals of user-facing moves are themselves audited as `refused`). A deploy's life:
 *
 *   beginDeploy → deploying ─advance(validate … probe)─→ activate / promote → activated
 *     → advance(drain, retire) → complete → deployed
 *   deploying ─setCanaryWeight→ canary ─promote→ activated     (strategy 'canary')
 *   deploying | canary ─fail→ failed ;  ─abort→ aborted          (the active version is untouched)
 *   activated | deployed ─rollback→ rolled-back                  (active ⇄ previous, or to any retained version)
 *
 * After a crash, `recover()` marks a deploy caught before its swap as failed and one caught after
 * its swap as deployed: the host then serves exactly the active version, old or new.
 */
import type { ErrorCode } from '../errors/codes.js';
import { isLnError, LnError } from '../errors/ln-error.js';
import { DIGEST } from './artifact-store.js';
import { type AuditAction, type AuditTrail, canonicalJson, type JsonObject } from './audit-trail.js';
import {
  type Actor,
  DEPLOY_STEPS,
  type Deployment,
  type DeploymentRow,
  type DeployStep,
  IN_PROGRESS,
  type RecoveryReport,
  STRATEGIES,
  type Strategy,
  SWAP,
  toDeployment,
  toVersion,
  type VersionRecord,
  type VersionRow,
} from './deployment.js';
import { PLUGIN_NAME, VERSION } from './manifest.js';
import type { RegistryDatabase } from './registry-database.js';

const REFUSALS: ReadonlySet<ErrorCode> = new Set(['LN_ERR_VERSION_CONFLICT', 'LN_ERR_VERSION_NOT_FOUND', 'LN_ERR_VERSION_STATE']);

function refuse(action: string, name: string, reason: string): LnError {
  return new LnError('LN_ERR_VERSION_STATE', { action, name, reason });
}

/**
 * The registry on a `RegistryDatabase`, auditing through an `AuditTrail` on the same database.
 *
 * @example
 * const audit = new AuditTrail(db);
 * const registry = new Registry(db, audit);
 * registry.bindVersion('telemetry', '1.3.0', digest, manifestJson, 'ops');
 * db.transaction(() => {   // the approval and the deploy it allows commit together
 *   audit.append({ action: 'grants-approved', actor: 'ops', name: 'telemetry', version: '1.3.0', details: { added: ['http'] } });
 *   registry.beginDeploy('telemetry', '1.3.0', { strategy: 'immediate', actor: 'ops' });
 * });
 * registry.advance('telemetry', 'probe');
 * registry.activate('telemetry', { actor: 'ops' });   // 1.3.0 serves; the old version is `previous`
 * registry.complete('telemetry');
 */
export class Registry {
  readonly #db: RegistryDatabase;
  readonly #audit: AuditTrail;
  readonly #now: () => Date;

  /** @param options.now - the clock (tests pass their own) */
  constructor(db: RegistryDatabase, audit: AuditTrail, options: { now?: () => Date } = {}) {
    this.#db = db;
    this.#audit = audit;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Binds `name@version` to a digest and its manifest (a JSON object), forever. Binding the same
   * digest and manifest again is a no-op (`created: false`).
   *
   * @throws LnError `LN_ERR_MANIFEST_INVALID` for a malformed name, version, digest or manifest;
   *   `LN_ERR_VERSION_CONFLICT` when `name@version` is bound to other bytes or another manifest
   */
  bindVersion(name: string, version: string, digest: string, manifest: JsonObject, actor: string): { created: boolean; record: VersionRecord } {
    const bad = (reason: string): LnError =>
      new LnError('LN_ERR_MANIFEST_INVALID', { file: `${String(name).slice(0, 64)}@${String(version).slice(0, 64)}`, reason });
    if (typeof name !== 'string' || !PLUGIN_NAME.test(name)) throw bad('the name must be 1-63 of a-z 0-9 - starting with a letter');
    if (typeof version !== 'string' || !VERSION.test(version)) throw bad('the version must be a semantic version such as 1.2.0');
    if (typeof digest !== 'string' || !DIGEST.test(digest)) throw bad('the digest must be sha256:<64 lowercase hex digits>');
    if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) throw bad('the manifest must be a JSON object');
    if (typeof actor !== 'string' || actor.length === 0 || actor.length > 256)
      throw new LnError('LN_ERR_INTERNAL_UNEXPECTED', { reason: 'a version needs an actor of 1-256 characters' });
    const manifestText = canonicalJson(manifest);
    return this.#attempt('deploy', name, actor, version, () => {
      const existing = this.#versionRow(name, version);
      if (existing) {
        if (existing.digest !== digest) throw new LnError('LN_ERR_VERSION_CONFLICT', { name, version, existing: existing.digest });
        if (canonicalJson(JSON.parse(existing.manifest)) !== manifestText) {
          throw new LnError('LN_ERR_VERSION_CONFLICT', { name, version, existing: `${existing.digest} with another manifest` });
        }
        return { created: false, record: toVersion(existing) };
      }
      this.#db
        .statement('INSERT INTO versions (name, version, digest, manifest, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)')
        .run(name, version, digest, manifestText, this.#time(), actor);
      return { created: true, record: toVersion(this.#versionRow(name, version)!) };
    });
  }

  /**
   * Starts deploying a bound version as the candidate (status `deploying`, step `step`).
   *
   * @throws LnError `LN_ERR_VERSION_NOT_FOUND` for an unbound version; `LN_ERR_VERSION_STATE` when a
   *   deploy of the name is in progress, the version is already active, or the strategy is unknown
   */
  beginDeploy(name: string, version: string, options: Actor & { strategy: Strategy; step?: DeployStep }): Deployment {
    return this.#attempt('deploy', name, options.actor, version, () => {
      if (!(STRATEGIES as readonly string[]).includes(options.strategy))
        throw refuse('deploy', name, `unknown strategy "${String(options.strategy)}"; use ${STRATEGIES.join(', ')}`);
      const step = options.step ?? 'validate';
      if (DEPLOY_STEPS.indexOf(step) < 0 || DEPLOY_STEPS.indexOf(step) >= SWAP)
        throw refuse('deploy', name, `a deploy starts at a step before "swap", not "${String(step)}"`);
      const record = this.#mustVersion(name, version);
      const row = this.#row(name);
      if (row && IN_PROGRESS.has(row.status))
        throw refuse('deploy', name, `the deploy of ${row.deploy_version} is in progress (${row.status}, step ${row.step}); wait for it or abort it`);
      if (row?.active_version === version) throw refuse('deploy', name, `${version} is already active`);
      const now = this.#time();
      this.#db
        .statement(`INSERT INTO deployments (name, deploy_version, strategy, weight, step, status, reason, actor, started_at, updated_at)
        VALUES (?, ?, ?, 0, ?, 'deploying', ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET deploy_version = excluded.deploy_version,
        strategy = excluded.strategy, weight = 0, step = excluded.step, status = 'deploying', reason = excluded.reason,
        actor = excluded.actor, started_at = excluded.started_at, updated_at = excluded.updated_at`)
        .run(name, version, options.strategy, step, options.reason ?? null, options.actor, now, now);
      this.#record('deploy-started', options, record, row?.active_version ?? null, { strategy: options.strategy });
      return this.#mustGet('deploy', name);
    });
  }

  /**
   * Records that the deploy in progress reached `step`. Steps only move forward; those before
   * `swap` belong to a deploy not yet activated, `drain` and `retire` to one activated. Not audited.
   *
   * @throws LnError `LN_ERR_VERSION_STATE` for no deploy in progress or a step out of order
   */
  advance(name: string, step: DeployStep): Deployment {
    return this.#db.transaction(() => {
      const row = this.#inProgress('advance the deploy of', name);
      const to = DEPLOY_STEPS.indexOf(step);
      const ok = to > DEPLOY_STEPS.indexOf(row.step) && to !== SWAP && (row.status === 'activated') === to > SWAP;
      if (!ok) throw refuse('advance the deploy of', name, `step "${String(step)}" cannot follow "${row.step}" (${row.status})`);
      this.#update(name, { step });
      return this.#mustGet('advance the deploy of', name);
    });
  }

  /** Swaps in the candidate of an `immediate` or `blue-green` deploy: it becomes active, the active version `previous`. @throws LnError `LN_ERR_VERSION_STATE` */
  activate(name: string, who: Actor): Deployment {
    return this.#db.transaction(() => {
      const row = this.#inProgress('activate', name);
      if (row.status !== 'deploying') throw refuse('activate', name, `the deploy of ${row.deploy_version} is ${row.status}`);
      if (row.strategy === 'canary') throw refuse('activate', name, 'a canary is activated by promoting it');
      return this.#swapIn(row, 'deployed', who);
    });
  }

  /** Promotes a canary: it takes all traffic and becomes active. @throws LnError `LN_ERR_VERSION_STATE` */
  promote(name: string, who: Actor): Deployment {
    return this.#attempt('promote', name, who.actor, null, () => {
      const row = this.#inProgress('promote', name);
      if (row.strategy !== 'canary' || row.status === 'activated')
        throw refuse('promote', name, `the deploy of ${row.deploy_version} is not a canary awaiting promotion (${row.strategy}, ${row.status})`);
      return this.#swapIn(row, 'promoted', who);
    });
  }

  /** Sets a canary's share of traffic (an integer 0–100); the deploy's status becomes `canary`. @throws LnError `LN_ERR_VERSION_STATE` */
  setCanaryWeight(name: string, weight: number, who: Actor): Deployment {
    return this.#attempt('canary-weight', name, who.actor, null, () => {
      if (!Number.isInteger(weight) || weight < 0 || weight > 100)
        throw refuse('set the canary weight of', name, `${String(weight)} is not a whole percentage 0-100`);
      const row = this.#inProgress('set the canary weight of', name);
      if (row.strategy !== 'canary' || row.status === 'activated')
        throw refuse('set the canary weight of', name, `the deploy of ${row.deploy_version} is not a canary (${row.strategy}, ${row.status})`);
      this.#update(name, { weight, status: 'canary' });
      this.#record('canary-weight', who, this.#mustVersion(name, row.deploy_version), row.active_version, { weight, previousWeight: row.weight });
      return this.#mustGet('set the canary weight of', name);
    });
  }

  /** Drops the candidate of a deploy not yet activated; the active version is untouched. @throws LnError `LN_ERR_VERSION_STATE` */
  abort(name: string, who: Actor): Deployment {
    return this.#attempt('abort', name, who.actor, null, () => this.#settle('abort', 'aborted', 'aborted', name, who));
  }

  /** Marks a deploy not yet activated as failed at `step` (default: its current step); the active version is untouched. @throws LnError `LN_ERR_VERSION_STATE` */
  fail(name: string, failure: Actor & { reason: string; step?: DeployStep }): Deployment {
    return this.#db.transaction(() => this.#settle('fail the deploy of', 'failed', 'deploy-failed', name, failure, failure.step));
  }

  /** Ends an activated deploy (after drain and retire). Not audited: the swap was. @throws LnError `LN_ERR_VERSION_STATE` */
  complete(name: string): Deployment {
    return this.#db.transaction(() => {
      const row = this.#inProgress('complete the deploy of', name);
      if (row.status !== 'activated') throw refuse('complete the deploy of', name, `the deploy of ${row.deploy_version} is ${row.status}, not activated`);
      this.#update(name, { status: 'deployed' });
      return this.#mustGet('complete the deploy of', name);
    });
  }

  /**
   * Makes `to` (default: the previous version) active now; the active version becomes `previous`.
   * A deploy activated but not completed ends as `rolled-back`. Audited as `auto-rolled-back`
   * when `automatic`.
   *
   * @throws LnError `LN_ERR_VERSION_STATE` while a candidate is deploying or in canary (abort it),
   *   with nothing to roll back to, or when `to` is already active; `LN_ERR_VERSION_NOT_FOUND`
   *   when `to` is not a retained version
   */
  rollback(name: string, options: Actor & { to?: string; automatic?: boolean }): Deployment {
    return this.#attempt('rollback', name, options.actor, options.to ?? null, () => {
      const row = this.#row(name);
      if (!row || row.active_version === null) throw refuse('roll back', name, 'no version of it is active');
      if (row.status === 'deploying' || row.status === 'canary')
        throw refuse('roll back', name, `the deploy of ${row.deploy_version} is in progress (${row.status}); abort it instead`);
      const to = options.to ?? row.previous_version;
      if (to === null) throw refuse('roll back', name, 'there is no previous version; name one to roll back to');
      if (to === row.active_version) throw refuse('roll back', name, `${to} is already active`);
      const target = this.#mustVersion(name, to);
      const undoesDeploy = row.deploy_version === row.active_version && (row.status === 'activated' || row.status === 'deployed');
      this.#update(name, {
        active_version: to,
        previous_version: row.active_version,
        ...(undoesDeploy ? { status: 'rolled-back', reason: options.reason ?? null } : {}),
      });
      this.#record(options.automatic ? 'auto-rolled-back' : 'rolled-back', options, target, row.active_version, { automatic: options.automatic === true });
      return this.#mustGet('roll back', name);
    });
  }

  /**
   * Audits a refused attempt as `refused`. The registry does this itself for its own refusals
   * (conflict, not found, state) when called outside a transaction; callers do it for theirs (a
   * capability approval missing, a policy denial) and for registry refusals thrown inside their
   * own transaction, after that transaction: `registry.refuse({ attempted: 'deploy', name,
   * version, actor, reason: err.message, code: err.code })`.
   */
  refuse(attempt: {
    attempted: string;
    name: string | null;
    version?: string | null;
    digest?: string | null;
    actor: string;
    reason: string;
    code: ErrorCode;
  }): void {
    this.#audit.append({
      action: 'refused',
      actor: attempt.actor,
      name: attempt.name,
      version: attempt.version ?? null,
      digest: attempt.digest ?? null,
      reason: attempt.reason,
      details: { attempted: attempt.attempted, code: attempt.code },
    });
  }

  /**
   * Start-up recovery, in one transaction: a deploy caught before its swap is marked failed
   * ("interrupted by a restart", audited), one caught after its swap is marked deployed.
   * Returns what each name must serve.
   */
  recover(options: { actor?: string } = {}): RecoveryReport {
    const actor = options.actor ?? 'recovery';
    return this.#db.transaction(() => {
      const interrupted: Deployment[] = [];
      for (const row of this.#rows()) {
        if (row.status === 'activated') this.#update(row.name, { status: 'deployed' });
        if (row.status === 'deploying' || row.status === 'canary') {
          interrupted.push(this.#settle('recover', 'failed', 'deploy-failed', row.name, { actor, reason: 'interrupted by a restart' }));
        }
      }
      const serving = this.#rows().flatMap((r) =>
        r.active_version === null
          ? []
          : [
              {
                name: r.name,
                strategy: r.strategy,
                active: this.#mustVersion(r.name, r.active_version),
                previous: r.previous_version === null ? null : this.#mustVersion(r.name, r.previous_version),
              },
            ],
      );
      return { serving, interrupted };
    });
  }

  /** A name's deployment, or undefined before its first deploy. */
  get(name: string): Deployment | undefined {
    const row = this.#row(name);
    return row && toDeployment(row);
  }

  /** Every deployment, by name. */
  list(): Deployment[] {
    return this.#rows().map(toDeployment);
  }

  /** A name's retained versions, newest first. */
  versions(name: string): VersionRecord[] {
    return this.#db.statement<VersionRow>('SELECT * FROM versions WHERE name = ? ORDER BY id DESC').all(name).map(toVersion);
  }

  /** One version, or undefined when it is not (or no longer) retained. */
  version(name: string, version: string): VersionRecord | undefined {
    const row = this.#versionRow(name, version);
    return row && toVersion(row);
  }

  /** The versions retention keeps: the `keep` newest, plus the active, previous and last-deployed ones. Newest first. */
  retainedVersions(name: string, keep: number): string[] {
    if (!Number.isInteger(keep) || keep < 0) {
      throw new LnError('LN_ERR_CONFIG_INVALID', { key: 'keep', source: 'retention', reason: `${String(keep)} is not a whole number of versions` });
    }
    const row = this.#row(name);
    const pinned = new Set([row?.active_version, row?.previous_version, row?.deploy_version].filter((v): v is string => typeof v === 'string'));
    return this.versions(name)
      .filter((v, i) => i < keep || pinned.has(v.version))
      .map((v) => v.version);
  }

  /**
   * Forgets the versions of `name` that retention does not keep (audited as `pruned`) and returns
   * them, with the digests no retained version of any name refers to any more: the caller deletes
   * those artifacts after this returns (a crash in between leaves only unreferenced files).
   */
  prune(name: string, keep: number, actor = 'retention'): { removed: string[]; unreferencedDigests: string[] } {
    return this.#db.transaction(() => {
      const retained = new Set(this.retainedVersions(name, keep));
      const doomed = this.versions(name).filter((v) => !retained.has(v.version));
      if (doomed.length === 0) return { removed: [], unreferencedDigests: [] };
      for (const v of doomed) this.#db.statement('DELETE FROM versions WHERE name = ? AND version = ?').run(name, v.version);
      const still = this.referencedDigests();
      const unreferencedDigests = [...new Set(doomed.map((v) => v.digest))].filter((d) => !still.has(d)).sort();
      const removed = doomed.map((v) => v.version);
      this.#audit.append({
        action: 'pruned',
        actor,
        name,
        reason: `retention keeps ${keep} versions`,
        details: { versions: removed, digests: unreferencedDigests },
      });
      return { removed, unreferencedDigests };
    });
  }

  /** Every digest a retained version refers to (artifacts outside this set can be deleted). */
  referencedDigests(): Set<string> {
    return new Set(
      this.#db
        .statement<{ digest: string }>('SELECT DISTINCT digest FROM versions')
        .all()
        .map((r) => r.digest),
    );
  }

  #time(): string {
    return this.#now().toISOString();
  }

  /**
   * Runs a user-facing transition; a refusal is audited after its transaction rolled back, and
   * rethrown. Inside a caller's transaction the refusal is not audited here (the entry would roll
   * back with the caller's transaction): the caller audits it with `refuse()` after its own.
   */
  #attempt<T>(attempted: string, name: string, actor: string, version: string | null, fn: () => T): T {
    const outermost = !this.#db.inTransaction;
    try {
      return this.#db.transaction(fn);
    } catch (err) {
      if (outermost && isLnError(err) && REFUSALS.has(err.code)) {
        this.refuse({ attempted, name: PLUGIN_NAME.test(name) ? name : null, version, actor, reason: err.message, code: err.code });
      }
      throw err;
    }
  }

  #swapIn(row: DeploymentRow, action: 'deployed' | 'promoted', who: Actor): Deployment {
    const record = this.#mustVersion(row.name, row.deploy_version);
    this.#update(row.name, {
      active_version: row.deploy_version,
      previous_version: row.active_version ?? row.previous_version,
      step: 'swap',
      status: 'activated',
      weight: row.strategy === 'canary' ? 100 : row.weight,
      reason: who.reason ?? row.reason,
    });
    this.#record(action, who, record, row.active_version, { strategy: row.strategy });
    return this.#mustGet(action, row.name);
  }

  /** Ends a deploy that was not activated (failed or aborted), recording why. */
  #settle(action: string, status: 'failed' | 'aborted', audit: AuditAction, name: string, who: Actor, step?: DeployStep): Deployment {
    const row = this.#inProgress(action, name);
    if (row.status === 'activated') throw refuse(action, name, `${row.deploy_version} is already active; roll back instead`);
    const at = step ?? row.step;
    if (DEPLOY_STEPS.indexOf(at) < 0 || DEPLOY_STEPS.indexOf(at) >= SWAP) throw refuse(action, name, `"${String(at)}" is not a step before the swap`);
    this.#update(name, { status, step: at, weight: 0, reason: who.reason ?? null });
    this.#record(audit, who, this.#mustVersion(name, row.deploy_version), row.active_version, { step: at, strategy: row.strategy });
    return this.#mustGet(action, name);
  }

  #record(action: AuditAction, who: Actor, version: VersionRecord, fromVersion: string | null, details: JsonObject): void {
    this.#audit.append({
      action,
      actor: who.actor,
      name: version.name,
      version: version.version,
      digest: version.digest,
      fromVersion,
      reason: who.reason ?? null,
      details,
    });
  }

  #update(name: string, changes: Partial<Pick<DeploymentRow, 'active_version' | 'previous_version' | 'weight' | 'step' | 'status' | 'reason'>>): void {
    const cols = Object.keys(changes);
    this.#db
      .statement(`UPDATE deployments SET ${cols.map((c) => `${c} = ?`).join(', ')}, updated_at = ? WHERE name = ?`)
      .run(...cols.map((c) => changes[c as keyof typeof changes] ?? null), this.#time(), name);
  }

  #row(name: string): DeploymentRow | undefined {
    return this.#db.statement<DeploymentRow>('SELECT * FROM deployments WHERE name = ?').get(name);
  }

  #rows(): DeploymentRow[] {
    return this.#db.statement<DeploymentRow>('SELECT * FROM deployments ORDER BY name').all();
  }

  #inProgress(action: string, name: string): DeploymentRow {
    const row = this.#row(name);
    if (!row || !IN_PROGRESS.has(row.status)) throw refuse(action, name, 'no deploy of it is in progress');
    return row;
  }

  #mustGet(action: string, name: string): Deployment {
    const row = this.#row(name);
    if (!row) throw refuse(action, name, 'it has never been deployed');
    return toDeployment(row);
  }

  #versionRow(name: string, version: string): VersionRow | undefined {
    return this.#db.statement<VersionRow>('SELECT * FROM versions WHERE name = ? AND version = ?').get(name, version);
  }

  #mustVersion(name: string, version: string): VersionRecord {
    const row = this.#versionRow(name, version);
    if (!row) throw new LnError('LN_ERR_VERSION_NOT_FOUND', { name, version });
    return toVersion(row);
  }
}
