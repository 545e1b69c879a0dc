/**
 * The admin API's answers as they go over the wire (docs/admin-api.md, contracts A and C): the one
 * source of these shapes for the server and the web console. It imports nothing, so the console
 * (a browser bundle) imports it as it is; the routes check each answer against it with
 * `satisfies`, so a change in the host's own types that would break a client (a field renamed, a
 * `number` becoming `number | null`) fails the type check instead of drifting.
 *
 * One concept, one name: `peakMemoryBytes` is the largest instance memory a call left behind (a
 * wasm memory only grows, so this is its peak): per call in its usage receipt (`Usage` in
 * sandbox/usage.ts: ingress results, a failed call's error details), per call in the timeline's
 * entry, per version in `usage`. Until 2026-12 the receipt called it `memoryBytes` and the timeline
 * `memoryPeakBytes`. The memory *limit* is a different concept with its own names: `limits.memory`
 * in a manifest, `limitBytes` in `LN_ERR_BUDGET_MEMORY`'s details.
 */

/** Every coded error answer: `details` only when the code is shown to clients. */
export interface ErrorAnswer {
  readonly code: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
  readonly requestId: string;
}

/** A version's calls over its health window; latencies are null before the first call. */
export interface Health {
  readonly calls: number;
  readonly errors: number;
  readonly windowCalls: number;
  readonly windowErrors: number;
  readonly errorRate: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** A version's usage receipts, summed. `fuelUsed` is 0 for a version that is not fuel-metered. */
export interface UsageTotals {
  readonly calls: number;
  readonly durationMs: number;
  readonly fuelUsed: number;
  /** The largest instance memory seen after a call, bytes. */
  readonly peakMemoryBytes: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly hostCalls: Readonly<Record<string, number>>;
}

/** A version's instance pool. */
export interface PoolStats {
  readonly instances: number;
  readonly idle: number;
  readonly busy: number;
  readonly starting: number;
  readonly queued: number;
  readonly started: number;
  readonly died: number;
  readonly refused: number;
}

/** One version with instances. */
export interface VersionStatus {
  readonly version: string;
  readonly digest: string;
  readonly stateful: boolean;
  readonly watched: boolean;
  readonly health: Health;
  readonly usage: UsageTotals;
  readonly pool: PoolStats;
}

/** The last deploy of a name. */
export interface DeployRecord {
  readonly version: string;
  readonly strategy: 'immediate' | 'canary' | 'blue-green';
  readonly weight: number;
  readonly step: string;
  readonly status: string;
  readonly reason: string | null;
  readonly actor: string;
  readonly startedAt: string;
  readonly updatedAt: string;
}

/** A name's deployment, as the registry holds it. */
export interface Deployment {
  readonly name: string;
  readonly active: string | null;
  readonly previous: string | null;
  readonly inProgress: boolean;
  readonly deploy: DeployRecord;
}

/** `GET /v1/components/:name` (and each of `GET /v1/components`). */
export interface ComponentStatus {
  readonly name: string;
  readonly deployment: Deployment;
  readonly active: VersionStatus | null;
  readonly candidate: (VersionStatus & { readonly weight: number }) | null;
  readonly standby: VersionStatus | null;
}

/** A retained version. */
export interface VersionRecord {
  readonly name: string;
  readonly version: string;
  readonly digest: string;
  readonly manifest: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** One audit trail entry (hash-chained). */
export interface AuditEntry {
  readonly seq: number;
  readonly time: string;
  readonly actor: string;
  readonly action: string;
  readonly name: string | null;
  readonly version: string | null;
  readonly digest: string | null;
  readonly fromVersion: string | null;
  readonly reason: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

/** Whether the audit chain verifies (`?verify=1`), else null. */
export type AuditVerification =
  | { readonly ok: true; readonly entries: number; readonly head: string }
  | { readonly ok: false; readonly seq: number; readonly reason: string }
  | null;

/** One grant that a deploy adds, removes or changes. */
export interface CapabilityChange {
  readonly capability: string;
  readonly grant: string;
}
export interface CapabilityDiff {
  readonly added: readonly CapabilityChange[];
  readonly removed: readonly CapabilityChange[];
  readonly changed: readonly CapabilityChange[];
}

/** One serving version's grants and limits (`GET /v1/grants`). */
export interface ServingGrants {
  readonly name: string;
  readonly version: string;
  readonly role: 'active' | 'candidate';
  readonly capabilities: Readonly<Record<string, unknown>>;
  readonly limits: Readonly<Record<string, unknown>>;
}

/** `POST /v1/deployments` (JSON, or the last NDJSON line). */
export interface DeployAnswer {
  readonly name: string;
  readonly version: string;
  readonly digest: string;
  readonly outcome: 'deployed' | 'canary' | 'unchanged';
  readonly strategy: DeployRecord['strategy'];
  readonly from: string | null;
  readonly deployment: Deployment;
  readonly capabilities: CapabilityDiff | null;
}

/** Contract A: one diagnostics timeline entry. */
export interface TimelineEntry {
  readonly seq: number;
  readonly time: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly source: string;
  readonly plugin: string;
  readonly version: string;
  readonly status: 'ok' | 'error';
  readonly code?: string;
  readonly durationMs: number;
  /** The call's receipt; `fuelUsed` is null when the plugin is not fuel-metered; null when the call never reached an instance. */
  readonly usage: { readonly fuelUsed: number | null; readonly peakMemoryBytes: number } | null;
  readonly depth: number;
  readonly parentEventId?: string;
  readonly pipeline?: { readonly name: string; readonly runId: string; readonly step: string };
  readonly traceId?: string;
}

/** Contract C: pipelines. */
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed';
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'fallback';
export interface StepError {
  readonly code: string;
  readonly message: string;
  readonly value?: unknown;
}

/** `GET /v1/pipelines`: a valid pipeline, or the error of its file. */
export type PipelineListing =
  | {
      readonly name: string;
      readonly file: string;
      readonly valid: true;
      readonly description?: string;
      readonly trigger: { readonly events: readonly string[] };
      readonly priority: number;
      readonly steps: readonly unknown[];
      readonly order: readonly string[];
    }
  | { readonly name: string; readonly file: string; readonly valid: false; readonly error: StepError; readonly servingPrevious: boolean };

/** A run without step outputs (`GET /v1/pipelines/:name/runs`). */
export interface RunSummary {
  readonly runId: string;
  readonly pipeline: string;
  readonly status: RunStatus;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  readonly steps: ReadonlyArray<{ readonly id: string; readonly status: StepStatus; readonly attempts: number; readonly durationMs: number | null }>;
}

/** A run with its steps (`GET /v1/pipelines/:name/runs/:runId`). */
export interface PipelineRun extends Omit<RunSummary, 'steps'> {
  readonly steps: ReadonlyArray<{
    readonly id: string;
    readonly component: string;
    readonly status: StepStatus;
    readonly attempts: number;
    readonly durationMs: number | null;
    readonly error?: StepError;
  }>;
}

/** A pipeline step as a pipeline file (and `PUT /v1/pipelines/:name`) writes it. */
export interface PipelineStep {
  id: string;
  component: string;
  /** `event` (the default), an earlier step, or several. */
  input?: string | string[];
  timeout?: string;
  retries?: number;
  backoff?: unknown;
  fallback?: string;
  role?: string;
  /** Fields an editor does not know (`when`, `description`, …) are kept as they are. */
  [more: string]: unknown;
}

/** The body of `PUT /v1/pipelines/:name` and `POST /v1/pipelines/validate` (validated by the pipeline schema). */
export interface PipelineDefinition {
  name: string;
  description?: string;
  trigger?: { events: string[] };
  steps: PipelineStep[];
  [more: string]: unknown;
}

/** `POST /v1/components/:name/capability-diff`. */
export interface CapabilityDiffAnswer {
  readonly name: string;
  readonly from: string | null;
  readonly to: string;
  readonly diff: CapabilityDiff;
  readonly needsApproval: boolean;
}

/** `GET /v1/timeline`: oldest first. */
export interface TimelinePage {
  readonly entries: readonly TimelineEntry[];
  readonly capacity: number;
  readonly size: number;
  readonly latestSeq: number;
}

/** `GET /v1/components/:name/history`. */
export interface HistoryAnswer {
  readonly name: string;
  readonly deployment: Deployment | null;
  readonly versions: readonly VersionRecord[];
  readonly entries: readonly AuditEntry[];
}

/** `GET /v1/audit`. */
export interface AuditAnswer {
  readonly entries: readonly AuditEntry[];
  readonly verification: AuditVerification;
}

/** Each route's answer, by route: what the console's `api()` calls are typed with. */
/**
 * One kept log line about a component (pino's JSON object: `level` 10–60, `time` in ms since the
 * epoch, `msg`; a guest's own line has `guest: { message, fields }`, its output `guest: { stream,
 * line }`; a failure's has `code`). Any other key the host logged is kept.
 */
export interface LogLine {
  readonly component: string;
  readonly level?: number;
  readonly time?: number;
  readonly msg?: string;
  readonly version?: string;
  readonly code?: string;
  readonly guest?: { readonly message?: string; readonly line?: string; readonly stream?: string; readonly fields?: Readonly<Record<string, string>> };
  readonly [key: string]: unknown;
}

export interface AdminAnswers {
  'GET /v1/health': { readonly status: 'ok'; readonly components: number };
  'PUT /v1/artifacts': { readonly digest: string; readonly sizeBytes: number; readonly created: boolean };
  'POST /v1/deployments': DeployAnswer;
  'GET /v1/components': { readonly components: readonly ComponentStatus[] };
  'GET /v1/components/:name': ComponentStatus;
  'GET /v1/components/:name/history': HistoryAnswer;
  /** The last `lines` (default 100) log lines about the component, oldest first. */
  'GET /v1/components/:name/logs': { readonly lines: readonly LogLine[] };
  'GET /v1/audit': AuditAnswer;
  'GET /v1/grants': { readonly grants: readonly ServingGrants[] };
  'POST /v1/components/:name/capability-diff': CapabilityDiffAnswer;
  'GET /v1/timeline': TimelinePage;
  'GET /v1/pipelines': { readonly pipelines: readonly PipelineListing[] };
  'GET /v1/pipelines/:name': { readonly pipeline: PipelineListing; readonly runs: readonly RunSummary[] };
  'POST /v1/pipelines/validate': { readonly valid: true; readonly name: string; readonly order: readonly string[] };
  /** The file's document, every key kept (`$schema` too): what an editor saves back (host/server/pipeline-document-route.ts). */
  'GET /v1/pipelines/:name/document': { readonly name: string; readonly document: PipelineDefinition };
  'GET /v1/pipelines/:name/runs': { readonly runs: readonly RunSummary[] };
  'GET /v1/pipelines/:name/runs/:runId': PipelineRun;
  'POST /v1/pipelines/:name/runs': { readonly runId: string; readonly status: RunStatus };
}
