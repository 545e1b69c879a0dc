/**
 * Runs pipelines: each run walks its DAG, starting every step whose dependencies are finished
 * (independent steps side by side, up to `maxParallelStepsPerRun`), under one global cap on
 * step executions in flight (`maxStepsInFlight`) whose waiting steps are served by run priority.
 * Each attempt has a deadline; a failed step is retried with capped exponential backoff, then
 * its fallback runs in its place. What steps hand each other is deeply frozen JSON, and each
 * attempt gets its own freshly decoded event, so no step can change what another one sees.
 */
import { randomUUID } from 'node:crypto';
import { envelopeToEvent, eventToEnvelope, type JsonEnvelope } from '../engine/plugin-event.js';
import { LnError, toLnError } from '../errors/ln-error.js';
import type { PluginCaller } from '../events/plugin-caller.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { type Usage, usageFromDetails } from '../sandbox/usage.js';
import type { PluginCallOutcome } from '../versions/version-manager.js';
import { evaluate } from './condition.js';
import { deepFreeze, frozenJson } from './deep-freeze.js';
import { PIPELINE_DEFAULTS } from './pipeline-defaults.js';
import { EVENT_INPUT, type PipelineDefinition, type PipelineStep } from './pipeline-definition.js';
import { RunHistory, type RunRecord, type RunSummary, type StepError, type StepRecord, summarize } from './run-record.js';
import { StepSlots } from './step-slots.js';

/** Scheduler settings; every default is in `PIPELINE_DEFAULTS`. */
export interface SchedulerOptions {
  readonly caller: PluginCaller;
  readonly logger?: Logger;
  readonly maxStepsInFlight?: number;
  readonly maxParallelStepsPerRun?: number;
  readonly maxActiveRuns?: number;
  readonly historyRuns?: number;
  readonly stepTimeoutMs?: number;
  /** Monotonic clock for durations, ms; default `performance.now`. */
  readonly now?: () => number;
  /** Wall clock for timestamps; default `new Date()`. */
  readonly clock?: () => Date;
  /** Waits between retries; default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Run ids; default `r-` + a random UUID. */
  readonly newRunId?: () => string;
  /** Called (synchronously) when a run is queued, with its record (do not keep or change it); the metrics count runs here. */
  readonly onRunStarted?: (run: Readonly<RunRecord>) => void;
  /** Called (synchronously) when a run finishes, with its final record (do not keep or change it). */
  readonly onRunFinished?: (run: Readonly<RunRecord>) => void;
}

export interface StartOptions {
  /** Higher runs first; default the pipeline's `priority`. */
  readonly priority?: number;
  /** Called (synchronously) each time a step changes status or starts an attempt, with a copy of it. */
  readonly onProgress?: (step: StepRecord) => void;
}

export interface StartedRun {
  readonly runId: string;
  readonly status: RunRecord['status'];
  /** Settles with the finished run (a copy); never rejects. */
  readonly done: Promise<RunRecord>;
}

/** Guest error tags a retry cannot fix (see `liquid-nano:plugin/types#error`). */
const NOT_RETRIED = new Set(['invalid-event', 'unsupported']);

function retryable(error: StepError): boolean {
  const tag = (error.value as { tag?: unknown } | undefined)?.tag;
  return !(error.code === 'LN_ERR_GUEST_ERROR' && typeof tag === 'string' && NOT_RETRIED.has(tag));
}

function stepError(outcome: Extract<PluginCallOutcome, { ok: false }>): StepError {
  const e = outcome.error;
  if ('value' in e) {
    const v = e.value as { tag?: unknown; val?: unknown } | undefined;
    const text =
      v && typeof v === 'object' && typeof v.tag === 'string' ? `${v.tag}${v.val !== undefined ? `: ${String(v.val)}` : ''}` : JSON.stringify(e.value);
    return { code: e.code, message: `${outcome.plugin} returned an error: ${text}`.slice(0, 2048), value: e.value };
  }
  return { code: e.code, message: e.message };
}

function usageOf(outcome: PluginCallOutcome): Usage | null {
  const usage = (outcome as { usage?: Usage }).usage;
  if (usage && typeof usage === 'object') return usage;
  if (!outcome.ok && 'details' in outcome.error) return usageFromDetails(outcome.error.details) ?? null;
  return null;
}

/** The per-run state the scheduler keeps beside the public record. */
interface RunState {
  readonly seq: number;
  readonly definition: PipelineDefinition;
  readonly record: RunRecord;
  readonly event: JsonEnvelope;
  readonly steps: Map<string, StepRecord>;
  /** Frozen outputs (events as JSON envelopes) of finished steps, by id. */
  readonly outputs: Map<string, readonly JsonEnvelope[]>;
  readonly started: Set<string>;
  readonly onProgress: ((step: StepRecord) => void) | undefined;
  readonly startedMs: number;
  running: number;
  finish: (run: RunRecord) => void;
}

const TERMINAL = new Set(['succeeded', 'failed', 'skipped', 'fallback']);

export class PipelineScheduler {
  readonly #caller: PluginCaller;
  readonly #log: Logger;
  readonly #slots: StepSlots;
  readonly #history: RunHistory;
  readonly #maxParallel: number;
  readonly #maxActive: number;
  readonly #stepTimeoutMs: number;
  readonly #now: () => number;
  readonly #clock: () => Date;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #newRunId: () => string;
  readonly #active = new Map<string, RunState>();
  readonly #onRunStarted: ((run: Readonly<RunRecord>) => void) | undefined;
  readonly #onRunFinished: ((run: Readonly<RunRecord>) => void) | undefined;
  #seq = 0;
  #closed = false;

  constructor(options: SchedulerOptions) {
    this.#caller = options.caller;
    this.#log = options.logger ?? silentLogger();
    this.#slots = new StepSlots(options.maxStepsInFlight ?? PIPELINE_DEFAULTS.maxStepsInFlight);
    this.#history = new RunHistory(options.historyRuns ?? PIPELINE_DEFAULTS.historyRuns);
    this.#maxParallel = options.maxParallelStepsPerRun ?? PIPELINE_DEFAULTS.maxParallelStepsPerRun;
    this.#maxActive = options.maxActiveRuns ?? PIPELINE_DEFAULTS.maxActiveRuns;
    this.#stepTimeoutMs = options.stepTimeoutMs ?? PIPELINE_DEFAULTS.stepTimeoutMs;
    this.#now = options.now ?? (() => performance.now());
    this.#clock = options.clock ?? (() => new Date());
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()));
    this.#newRunId = options.newRunId ?? (() => `r-${randomUUID()}`);
    this.#onRunStarted = options.onRunStarted;
    this.#onRunFinished = options.onRunFinished;
  }

  /** Step executions in flight and waiting for a slot. */
  get load(): { inFlight: number; waiting: number; activeRuns: number } {
    return { inFlight: this.#slots.inFlight, waiting: this.#slots.waiting, activeRuns: this.#active.size };
  }

  /**
   * Queues a run of `definition` for `event` (a CloudEvents JSON envelope, validated here). The
   * run keeps this definition to its end, whatever replaces it meanwhile.
   *
   * @throws LnError `LN_ERR_EVENT_INVALID` for a malformed event, `LN_ERR_BUDGET_PIPELINE_QUEUE`
   *   when `maxActiveRuns` are queued or running, `LN_ERR_VERSION_STATE` after `close()`
   */
  start(definition: PipelineDefinition, event: unknown, options: StartOptions = {}): StartedRun {
    if (this.#closed) throw new LnError('LN_ERR_VERSION_STATE', { action: 'run', name: `pipeline "${definition.name}"`, reason: 'the host is shutting down' });
    if (this.#active.size >= this.#maxActive) throw new LnError('LN_ERR_BUDGET_PIPELINE_QUEUE', { runs: this.#active.size, name: definition.name });
    const envelope = frozenJson(eventToEnvelope(envelopeToEvent(event)));
    const priority = options.priority ?? definition.priority;
    const steps = definition.steps.map(
      (s): StepRecord => ({
        id: s.id,
        component: s.component,
        role: s.role,
        status: 'pending',
        attempts: 0,
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        usage: null,
      }),
    );
    const record: RunRecord = {
      runId: this.#newRunId(),
      pipeline: definition.name,
      priority,
      event: { id: String(envelope.id), type: String(envelope.type), source: String(envelope.source) },
      status: 'queued',
      queuedAt: this.#clock().toISOString(),
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      steps,
    };
    let finish!: (run: RunRecord) => void;
    const done = new Promise<RunRecord>((resolve) => {
      finish = resolve;
    });
    const state: RunState = {
      seq: this.#seq++,
      definition,
      record,
      event: envelope,
      steps: new Map(steps.map((s) => [s.id, s])),
      outputs: new Map(),
      started: new Set(),
      onProgress: options.onProgress,
      startedMs: this.#now(),
      running: 0,
      finish,
    };
    this.#active.set(record.runId, state);
    this.#history.add(record);
    this.#observe(this.#onRunStarted, record);
    this.#pump(state);
    return { runId: record.runId, status: record.status, done };
  }

  /** A copy of a run, or undefined when the history no longer holds it. */
  get(runId: string): RunRecord | undefined {
    const run = this.#history.get(runId);
    return run ? structuredClone(run) : undefined;
  }

  /** Summaries of recent runs (of one pipeline, or all), newest first. */
  list(pipeline?: string, limit?: number): RunSummary[] {
    return this.#history.list(pipeline, limit).map(summarize);
  }

  /** Refuses new runs and waits for the active ones to finish. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      [...this.#active.values()].map(
        (s) =>
          new Promise<void>((resolve) => {
            const finish = s.finish;
            s.finish = (run) => {
              finish(run);
              resolve();
            };
          }),
      ),
    );
  }

  /** Starts every step that can start; finishes the run when nothing is left. */
  #pump(state: RunState): void {
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const step of state.definition.steps) {
        if (state.started.has(step.id) || state.running >= this.#maxParallel) continue;
        // A step that depends on a step with a fallback also waits for the fallback (`after` has both).
        if (!step.after.every((d) => TERMINAL.has(state.steps.get(d)!.status))) continue;
        state.started.add(step.id);
        progressed = true;
        const input = this.#prepare(state, step);
        if (input === undefined) continue;
        state.running += 1;
        void this.#execute(state, step, input).finally(() => {
          state.running -= 1;
          this.#pump(state);
        });
      }
    }
    if (state.running === 0 && state.started.size === state.definition.steps.length) this.#finish(state);
  }

  /** The step's input event, or undefined when it is skipped (recorded). */
  #prepare(state: RunState, step: PipelineStep): JsonEnvelope | undefined {
    if (step.covers !== undefined && state.steps.get(step.covers)!.status !== 'failed') {
      return this.#skip(state, step, `"${step.covers}" did not fail`);
    }
    const parts: Array<[string, JsonEnvelope]> = [];
    for (const ref of step.inputs) {
      if (ref === EVENT_INPUT) {
        parts.push([ref, state.event]);
        continue;
      }
      const status = state.steps.get(ref)!.status;
      if (status !== 'succeeded' && status !== 'fallback')
        return this.#skip(state, step, `its input "${ref}" ${status === 'failed' ? 'failed' : 'was skipped'}`);
      const first = state.outputs.get(ref)?.[0];
      if (!first) return this.#skip(state, step, `its input "${ref}" returned no event`);
      parts.push([ref, first]);
    }
    const input = step.merge
      ? frozenJson({
          specversion: '1.0',
          id: `${state.record.runId}.${step.id}`,
          type: `pipeline.${state.definition.name}.${step.id}`,
          source: `/pipelines/${state.definition.name}`,
          datacontenttype: 'application/json',
          data: Object.fromEntries(parts),
        })
      : parts[0]![1];
    if (step.when && !evaluate(step.when, { input, status: (id) => state.steps.get(id)?.status })) return this.#skip(state, step, 'its condition is false');
    return input;
  }

  #skip(state: RunState, step: PipelineStep, reason: string): undefined {
    const record = state.steps.get(step.id)!;
    record.status = 'skipped';
    record.skipReason = reason;
    this.#progress(state, record);
    return undefined;
  }

  async #execute(state: RunState, step: PipelineStep, input: JsonEnvelope): Promise<void> {
    const record = state.steps.get(step.id)!;
    const timeoutMs = step.timeoutMs ?? this.#stepTimeoutMs;
    let firstStart = 0;
    for (let attempt = 1; ; attempt++) {
      const release = await this.#slots.acquire(state.record.priority, state.seq);
      if (state.record.status === 'queued') {
        state.record.status = 'running';
        state.record.startedAt = this.#clock().toISOString();
      }
      if (attempt === 1) {
        firstStart = this.#now();
        record.startedAt = this.#clock().toISOString();
      }
      record.status = 'running';
      record.attempts = attempt;
      this.#progress(state, record);
      let outcome: PluginCallOutcome | { timedOut: true } | { thrown: unknown };
      try {
        outcome = await this.#call(state, step, input, timeoutMs);
      } finally {
        release();
      }
      let error: StepError;
      if ('timedOut' in outcome) {
        error = new LnError('LN_ERR_BUDGET_TIME', { call: `${step.component} (pipeline step "${step.id}")`, timeoutMs }).toJSON();
      } else if ('thrown' in outcome) {
        const e = toLnError(outcome.thrown);
        error = { code: e.code, message: e.spec.expose ? e.message : 'Internal error' };
      } else {
        record.usage = usageOf(outcome);
        if (outcome.ok) {
          const output = frozenJson(outcome.events);
          state.outputs.set(step.id, output);
          this.#settle(state, record, 'succeeded', firstStart, output);
          return;
        }
        error = stepError(outcome);
      }
      record.error = error;
      if (attempt > step.retries || !retryable(error)) {
        this.#log.warn(
          { pipeline: state.definition.name, runId: state.record.runId, step: step.id, code: error.code, attempts: attempt },
          'pipeline step failed',
        );
        this.#settle(state, record, 'failed', firstStart);
        return;
      }
      const delay = Math.min(step.backoff.initialMs * step.backoff.factor ** (attempt - 1), step.backoff.maxMs);
      record.status = 'pending';
      this.#progress(state, record);
      await this.#sleep(delay);
    }
  }

  /** One attempt, raced against its deadline. Never throws. */
  async #call(
    state: RunState,
    step: PipelineStep,
    input: JsonEnvelope,
    timeoutMs: number,
  ): Promise<PluginCallOutcome | { timedOut: true } | { thrown: unknown }> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<{ timedOut: true }>((resolve) => {
      timer = setTimeout(() => resolve({ timedOut: true }), timeoutMs);
    });
    try {
      // A fresh event (its own bytes and arrays) for every attempt, decoded from frozen JSON.
      const call = Promise.resolve()
        .then(() =>
          this.#caller.invoke(step.component, envelopeToEvent(input), {
            timeoutMs,
            pipeline: { name: state.definition.name, runId: state.record.runId, step: step.id },
          }),
        )
        .catch((thrown: unknown) => ({ thrown }));
      return await Promise.race([call, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  #settle(state: RunState, record: StepRecord, status: 'succeeded' | 'failed', firstStart: number, output?: readonly JsonEnvelope[]): void {
    record.status = status;
    record.finishedAt = this.#clock().toISOString();
    record.durationMs = Math.round((this.#now() - firstStart) * 1000) / 1000;
    if (status === 'succeeded') delete record.error;
    if (output !== undefined) record.output = this.#recordable(output);
    const step = state.definition.steps.find((s) => s.id === record.id)!;
    if (step.covers !== undefined && status === 'succeeded') {
      // The fallback stands in for the failed step: its output is what the dependents get.
      const covered = state.steps.get(step.covers)!;
      covered.status = 'fallback';
      state.outputs.set(step.covers, output ?? []);
      this.#progress(state, covered);
    }
    this.#progress(state, record);
  }

  /** An output as the run record keeps it: whole up to `maxRecordedOutputBytes`. */
  #recordable(output: readonly JsonEnvelope[]): unknown {
    const bytes = Buffer.byteLength(JSON.stringify(output));
    return bytes <= PIPELINE_DEFAULTS.maxRecordedOutputBytes ? output : deepFreeze({ truncated: true, bytes, events: output.length });
  }

  #progress(state: RunState, record: StepRecord): void {
    if (!state.onProgress) return;
    try {
      state.onProgress(structuredClone(record));
    } catch (err) {
      this.#log.warn({ err, pipeline: state.definition.name }, 'a pipeline progress listener failed');
    }
  }

  #finish(state: RunState): void {
    const run = state.record;
    if (run.finishedAt !== null) return;
    const failed = run.steps.find((s) => s.status === 'failed' && s.role === 'step') ?? run.steps.find((s) => s.status === 'failed');
    run.status = failed ? 'failed' : 'succeeded';
    if (failed) run.error = { step: failed.id, ...(failed.error ?? { code: 'LN_ERR_INTERNAL_UNEXPECTED', message: 'failed' }) };
    run.finishedAt = this.#clock().toISOString();
    run.startedAt ??= run.finishedAt;
    run.durationMs = Math.round((this.#now() - state.startedMs) * 1000) / 1000;
    this.#active.delete(run.runId);
    this.#history.finished(run);
    this.#log.info({ pipeline: run.pipeline, runId: run.runId, status: run.status, durationMs: run.durationMs }, 'pipeline run finished');
    this.#observe(this.#onRunFinished, run);
    state.finish(structuredClone(run));
  }

  /** Calls a run hook; one that throws is logged, never fails the run. */
  #observe(hook: ((run: Readonly<RunRecord>) => void) | undefined, run: RunRecord): void {
    if (!hook) return;
    try {
      hook(run);
    } catch (err) {
      this.#log.warn({ err, pipeline: run.pipeline }, 'a pipeline run hook failed');
    }
  }
}
