/** The shapes the admin API answers with (see docs/admin-api.md and contracts A and C). */

export interface Health {
  readonly calls: number; readonly errors: number; readonly windowCalls: number; readonly windowErrors: number;
  readonly errorRate: number; readonly p50Ms: number | null; readonly p99Ms: number | null;
}
export interface Usage {
  readonly calls: number; readonly durationMs: number; readonly fuelUsed: number; readonly peakMemoryBytes: number;
  readonly bytesIn: number; readonly bytesOut: number;
}
export interface VersionStatus {
  readonly version: string; readonly digest: string; readonly health: Health; readonly usage: Usage;
  readonly pool: { readonly instances: number; readonly busy: number; readonly queued: number; readonly died: number };
}
export interface Deployment {
  readonly name: string; readonly active: string | null; readonly previous: string | null; readonly inProgress: boolean;
  readonly deploy: { readonly version: string; readonly strategy: string; readonly weight: number; readonly step: string; readonly status: string; readonly reason: string | null; readonly updatedAt: string };
}
export interface ComponentStatus {
  readonly name: string; readonly deployment: Deployment;
  readonly active: VersionStatus | null; readonly candidate: (VersionStatus & { readonly weight: number }) | null; readonly standby: VersionStatus | null;
}
export interface Grants {
  readonly name: string; readonly version: string; readonly role: 'active' | 'candidate';
  readonly capabilities: Record<string, unknown>; readonly limits: Record<string, unknown>;
}
export interface VersionRecord {
  readonly name: string; readonly version: string; readonly digest: string; readonly manifest: Record<string, unknown>;
  readonly createdAt: string; readonly createdBy: string;
}
export interface AuditEntry {
  readonly seq: number; readonly time: string; readonly actor: string; readonly action: string; readonly name: string | null;
  readonly version: string | null; readonly fromVersion: string | null; readonly reason: string | null; readonly hash: string;
}
export type Verification = { readonly ok: true; readonly entries: number; readonly head: string } | { readonly ok: false; readonly seq: number; readonly reason: string } | null;
export interface CapabilityChange { readonly capability: string; readonly grant: string }
export interface CapabilityDiff { readonly added: CapabilityChange[]; readonly removed: CapabilityChange[]; readonly changed: CapabilityChange[] }
export interface DiffAnswer { readonly name: string; readonly from: string | null; readonly to: string; readonly diff: CapabilityDiff; readonly needsApproval: boolean }

/** Contract A: one diagnostics timeline entry. */
export interface TimelineEntry {
  readonly seq: number; readonly time: string; readonly eventId: string; readonly eventType: string; readonly source: string;
  readonly plugin: string; readonly version: string; readonly status: 'ok' | 'error'; readonly code?: string; readonly durationMs: number;
  readonly usage: { readonly fuelUsed: number; readonly memoryPeakBytes: number } | null; readonly depth: number;
  readonly pipeline?: { readonly name: string; readonly runId: string; readonly step: string }; readonly traceId?: string;
}

/** Contract C: pipelines. */
export interface PipelineStep {
  id: string; component: string;
  /** `event` (the default), an earlier step, or several. */
  input?: string | string[];
  timeout?: string; retries?: number; backoff?: unknown; fallback?: string; role?: string;
  /** Fields the composer does not edit (`when`, `description`, …) are kept as they are. */
  [more: string]: unknown;
}
export interface PipelineDefinition {
  name: string; description?: string; trigger?: { events: string[] }; steps: PipelineStep[];
  [more: string]: unknown;
}
export type PipelineListing = (PipelineDefinition & { readonly file: string; readonly valid: true }) | { readonly name: string; readonly file: string; readonly valid: false; readonly error: string };
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'fallback';
export interface PipelineRun {
  readonly runId: string; readonly pipeline: string; readonly status: 'queued' | 'running' | 'succeeded' | 'failed';
  readonly startedAt: string | null; readonly finishedAt: string | null; readonly durationMs: number | null;
  readonly steps?: ReadonlyArray<{ readonly id: string; readonly component: string; readonly status: StepStatus; readonly attempts: number; readonly durationMs: number | null; readonly error?: unknown }>;
}
