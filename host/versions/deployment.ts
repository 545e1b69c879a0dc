/**
 * The nouns of a deployment: strategies, the steps and statuses of a deploy, the records the
 * registry returns, and how its rows map to them. The transitions live in `registry.ts`.
 */
import type { JsonObject } from './audit-trail.js';

/** How a candidate replaces the active version. */
export const STRATEGIES = ['immediate', 'canary', 'blue-green'] as const;
/** `immediate`: swap at once; `canary`: serve a weighted share, then promote or abort; `blue-green`: swap, keeping the old version warm. */
export type Strategy = (typeof STRATEGIES)[number];

/** The steps of a deploy, in order. `swap` is taken by `activate`/`promote`; `drain` and `retire` follow it. */
export const DEPLOY_STEPS = ['validate', 'capability-check', 'prepare', 'warm', 'probe', 'swap', 'drain', 'retire'] as const;
export type DeployStep = (typeof DEPLOY_STEPS)[number];

/** A deploy's status; the first three are "in progress". */
export const DEPLOY_STATUSES = ['deploying', 'canary', 'activated', 'deployed', 'failed', 'aborted', 'rolled-back'] as const;
export type DeployStatus = (typeof DEPLOY_STATUSES)[number];

/** The statuses of a deploy in progress. */
export const IN_PROGRESS: ReadonlySet<DeployStatus> = new Set(['deploying', 'canary', 'activated']);
/** The index of `swap` in `DEPLOY_STEPS`: the step that changes what serves. */
export const SWAP = DEPLOY_STEPS.indexOf('swap');

/** An immutable binding of `name@version` to component bytes and a manifest. */
export interface VersionRecord {
  readonly name: string;
  readonly version: string;
  readonly digest: string;
  readonly manifest: JsonObject;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** The last deploy of a name (in progress or settled). */
export interface DeployRecord {
  readonly version: string;
  readonly strategy: Strategy;
  /** The candidate's share of traffic during a canary, 0–100 (100 once promoted; 0 for other strategies). */
  readonly weight: number;
  readonly step: DeployStep;
  readonly status: DeployStatus;
  readonly reason: string | null;
  readonly actor: string;
  readonly startedAt: string;
  readonly updatedAt: string;
}

/** What runs under a name. */
export interface Deployment {
  readonly name: string;
  /** The version serving (all traffic, or `100 - weight`% during a canary); null before the first swap. */
  readonly active: string | null;
  /** The version active before the last swap or rollback (kept warm by blue-green). */
  readonly previous: string | null;
  readonly deploy: DeployRecord;
  /** Whether `deploy` is in progress (deploying, canary or activated). */
  readonly inProgress: boolean;
}

/** What `recover()` found and did. */
export interface RecoveryReport {
  /** Each name with an active version: what the host must serve again. */
  readonly serving: ReadonlyArray<{
    readonly name: string;
    readonly active: VersionRecord;
    readonly previous: VersionRecord | null;
    readonly strategy: Strategy;
  }>;
  /** Deploys caught before their swap, now marked failed. */
  readonly interrupted: readonly Deployment[];
}

/** Who asks for a transition, and why. */
export interface Actor {
  readonly actor: string;
  readonly reason?: string;
}

/** A `versions` row. */
export interface VersionRow {
  name: string;
  version: string;
  digest: string;
  manifest: string;
  created_at: string;
  created_by: string;
}
/** A `deployments` row. */
export interface DeploymentRow {
  name: string;
  active_version: string | null;
  previous_version: string | null;
  deploy_version: string;
  strategy: Strategy;
  weight: number;
  step: DeployStep;
  status: DeployStatus;
  reason: string | null;
  actor: string;
  started_at: string;
  updated_at: string;
}

/** A version row as a record. */
export function toVersion(r: VersionRow): VersionRecord {
  return {
    name: r.name,
    version: r.version,
    digest: r.digest,
    manifest: JSON.parse(r.manifest) as JsonObject,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

/** A deployment row as a record. */
export function toDeployment(r: DeploymentRow): Deployment {
  return {
    name: r.name,
    active: r.active_version,
    previous: r.previous_version,
    inProgress: IN_PROGRESS.has(r.status),
    deploy: {
      version: r.deploy_version,
      strategy: r.strategy,
      weight: r.weight,
      step: r.step,
      status: r.status,
      reason: r.reason,
      actor: r.actor,
      startedAt: r.started_at,
      updatedAt: r.updated_at,
    },
  };
}
