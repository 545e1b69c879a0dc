/**
 * What a pipeline run looks like from outside (contract C): the run, its steps, and the bounded
 * in-memory history of runs.
 */
import type { Usage } from '../sandbox/usage.js';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed';
/** `fallback`: the step failed for good and its fallback step succeeded in its place. */
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'fallback';

/** Why a step failed: the code of the plugin call (or of the scheduler), its message, a guest error value. */
export interface StepError {
  readonly code: string;
  readonly message: string;
  readonly value?: unknown;
}

export interface StepRecord {
  readonly id: string;
  readonly component: string;
  readonly role: 'step' | 'fallback';
  status: StepStatus;
  /** Attempts made (0: never started). */
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  /** From its first attempt's start to its end (retry waits included), ms. */
  durationMs: number | null;
  /** The usage receipt of the last attempt, or null. */
  usage: Usage | null;
  error?: StepError;
  /** Why it did not run. */
  skipReason?: string;
  /** The events it returned (JSON envelopes); a large output is recorded as `{ truncated, bytes }`. */
  output?: unknown;
}

export interface RunRecord {
  readonly runId: string;
  readonly pipeline: string;
  readonly priority: number;
  /** The trigger event's id, type and source. */
  readonly event: { readonly id: string; readonly type: string; readonly source: string };
  status: RunStatus;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** The first step that failed for good. */
  error?: { readonly step: string } & StepError;
  readonly steps: StepRecord[];
}

/** A run without step outputs, for lists. */
export interface RunSummary extends Omit<RunRecord, 'steps'> {
  readonly steps: Array<Pick<StepRecord, 'id' | 'status' | 'attempts' | 'durationMs'>>;
}

export function summarize(run: RunRecord): RunSummary {
  const { steps, ...rest } = run;
  return structuredClone({ ...rest, steps: steps.map((s) => ({ id: s.id, status: s.status, attempts: s.attempts, durationMs: s.durationMs })) });
}

/** Runs by id: every active run, and the most recent `capacity` finished ones. */
export class RunHistory {
  readonly #runs = new Map<string, RunRecord>();
  readonly #finished: string[] = [];
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  add(run: RunRecord): void {
    this.#runs.set(run.runId, run);
  }

  /** Marks a run finished; the oldest finished runs past the capacity are forgotten. */
  finished(run: RunRecord): void {
    this.#finished.push(run.runId);
    while (this.#finished.length > this.#capacity) this.#runs.delete(this.#finished.shift()!);
  }

  get(runId: string): RunRecord | undefined {
    return this.#runs.get(runId);
  }

  /** Runs (of one pipeline, or all), newest first. */
  list(pipeline?: string, limit = Number.POSITIVE_INFINITY): RunRecord[] {
    const out: RunRecord[] = [];
    for (const run of [...this.#runs.values()].reverse()) {
      if (pipeline !== undefined && run.pipeline !== pipeline) continue;
      out.push(run);
      if (out.length >= limit) break;
    }
    return out;
  }

  get size(): number {
    return this.#runs.size;
  }
}
