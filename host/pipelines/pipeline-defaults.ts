/**
 * Every default and bound of pipelines in one place: the scheduler, the file format and the
 * directory watcher. Units are in the names.
 */
export const PIPELINE_DEFAULTS = Object.freeze({
  /** Step executions in flight across every run (the global concurrency cap). */
  maxStepsInFlight: 256,
  /** Steps of one run executing at once (independent steps run side by side up to this). */
  maxParallelStepsPerRun: 16,
  /** Runs queued or running at once; one more is refused with `LN_ERR_BUDGET_PIPELINE_QUEUE`. */
  maxActiveRuns: 10_000,
  /** Finished runs kept in memory (run history), across all pipelines; the oldest go first. */
  historyRuns: 1000,
  /** Deadline of one step attempt when the step sets no `timeout`, ms. */
  stepTimeoutMs: 30_000,
  /** Largest `timeout` a step may set, ms. */
  maxStepTimeoutMs: 10 * 60_000,
  /** Largest `retries` a step may set. */
  maxRetries: 10,
  /** First retry delay when a step retries without `backoff`, ms. */
  backoffInitialMs: 100,
  /** Each further retry waits this many times longer … */
  backoffFactor: 2,
  /** … capped at this, ms (a step's `backoff.max` replaces it). */
  backoffMaxMs: 5_000,
  /** Largest backoff a step may set, ms. */
  maxBackoffMs: 60_000,
  /** Run priority when neither the request nor the pipeline sets one (higher runs first). */
  priority: 0,
  /** Largest step output kept in a run record, bytes of JSON (the next steps get all of it). */
  maxRecordedOutputBytes: 64 * 1024,
  /** Largest pipeline file, bytes. */
  maxFileBytes: 256 * 1024,
  /** Most steps in one pipeline. */
  maxSteps: 64,
  /** Most steps one step takes as input. */
  maxInputs: 16,
  /** Deepest nesting of a pipeline document (and so of `when` conditions). */
  maxDepth: 16,
  /** Most pipeline files read from a directory. */
  maxFiles: 500,
  /** Quiet time after a file change before the directory is read again, ms. */
  watchDebounceMs: 100,
  /** The directory is also read again this often, in case a change event was missed, ms. */
  rescanIntervalMs: 5_000,
});

export type PipelineDefaults = typeof PIPELINE_DEFAULTS;
