/**
 * Pipelines on a host: the hot-reloaded directory of pipeline files, the scheduler that runs
 * them, and what the admin API, the CLI and the event ingress ask of them.
 *
 * @example
 * const pipelines = await PipelineService.open({ dir: '.lnano/pipelines', caller, logger });
 * const { runId, done } = pipelines.run('sensor', { id: '1', type: 'sensor.reading', source: '/s/1', data: { celsius: 21.5 } });
 * pipelines.onEvent(envelope);            // starts every pipeline whose trigger matches
 * await pipelines.close();
 */
import { randomUUID } from 'node:crypto';
import type { JsonEnvelope } from '../engine/plugin-event.js';
import { LnError } from '../errors/ln-error.js';
import type { PluginCaller } from '../events/plugin-caller.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { eventTypeMatches } from '../support/event-pattern.js';
import { type PipelineDefinition, parsePipeline } from './pipeline-definition.js';
import { PipelineDirectory, type PipelineEntry } from './pipeline-directory.js';
import { PipelineScheduler, type SchedulerOptions, type StartedRun, type StartOptions } from './pipeline-scheduler.js';
import { PIPELINE_NAME } from './pipeline-schema.js';
import type { RunRecord, RunSummary } from './run-record.js';

/** A pipeline as `GET /v1/pipelines` lists it (contract C). */
export type PipelineListing =
  | {
      name: string;
      file: string;
      valid: true;
      description?: string;
      trigger: { events: readonly string[] };
      priority: number;
      steps: unknown[];
      order: readonly string[];
    }
  | { name: string; file: string; valid: false; error: { code: string; message: string }; servingPrevious: boolean };

export interface PipelineServiceOptions extends Omit<SchedulerOptions, 'caller' | 'logger'> {
  /** The pipeline directory (created when missing). */
  readonly dir: string;
  readonly caller: PluginCaller;
  readonly logger?: Logger;
  /** Watch the directory for changes; default true. */
  readonly watch?: boolean;
  readonly debounceMs?: number;
  readonly rescanIntervalMs?: number;
  readonly onChange?: (names: string[]) => void;
}

/** Runs listed with a pipeline. */
const RECENT_RUNS = 20;

function listing(entry: PipelineEntry): PipelineListing {
  if (!entry.valid) {
    return {
      name: entry.name,
      file: entry.file,
      valid: false,
      error: { code: entry.error!.code, message: entry.error!.message },
      servingPrevious: entry.definition !== undefined,
    };
  }
  const d = entry.definition!;
  return {
    name: d.name,
    file: entry.file,
    valid: true,
    ...(d.description !== undefined ? { description: d.description } : {}),
    trigger: d.trigger,
    priority: d.priority,
    steps: structuredClone(d.document.steps) as unknown[],
    order: d.order,
  };
}

export class PipelineService {
  readonly directory: PipelineDirectory;
  readonly scheduler: PipelineScheduler;
  readonly #log: Logger;

  private constructor(directory: PipelineDirectory, scheduler: PipelineScheduler, logger: Logger) {
    this.directory = directory;
    this.scheduler = scheduler;
    this.#log = logger;
  }

  /** Loads the directory (creating it) and starts watching it. */
  static async open(options: PipelineServiceOptions): Promise<PipelineService> {
    const logger = options.logger ?? silentLogger();
    const directory = new PipelineDirectory({
      dir: options.dir,
      logger,
      ...(options.watch !== undefined ? { watch: options.watch } : {}),
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      ...(options.rescanIntervalMs !== undefined ? { rescanIntervalMs: options.rescanIntervalMs } : {}),
      ...(options.onChange ? { onChange: options.onChange } : {}),
    });
    await directory.open();
    return new PipelineService(directory, new PipelineScheduler({ ...options, logger }), logger);
  }

  list(): PipelineListing[] {
    return this.directory.list().map(listing);
  }

  /** @throws LnError `LN_ERR_EVENT_PIPELINE_NOT_FOUND` */
  get(name: string): { pipeline: PipelineListing; runs: RunSummary[] } {
    return { pipeline: listing(this.#entry(name)), runs: this.scheduler.list(name, RECENT_RUNS) };
  }

  /** Validates a definition without saving it. @throws LnError `LN_ERR_CONFIG_PIPELINE_INVALID` */
  validate(value: unknown, source = 'the request body'): PipelineDefinition {
    return parsePipeline(value, source);
  }

  /**
   * Validates and saves a pipeline as `<dir>/<name>.json`; live when this returns.
   *
   * @throws LnError `LN_ERR_CONFIG_PIPELINE_INVALID` (also when the body's name is not `name`)
   */
  async save(name: string, value: unknown): Promise<PipelineListing> {
    if (!PIPELINE_NAME.test(name))
      throw new LnError('LN_ERR_CONFIG_PIPELINE_INVALID', {
        file: 'the request',
        reason: `name: "${name.slice(0, 80)}" must be 1-63 of a-z 0-9 - starting with a letter`,
      });
    const definition = this.validate(value);
    if (definition.name !== name)
      throw new LnError('LN_ERR_CONFIG_PIPELINE_INVALID', { file: 'the request body', reason: `name: "${definition.name}" must match the path's "${name}"` });
    return listing(await this.directory.write(name, definition.document));
  }

  /** @throws LnError `LN_ERR_EVENT_PIPELINE_NOT_FOUND` */
  remove(name: string): Promise<void> {
    return this.directory.delete(name);
  }

  /**
   * Starts a run of `name` (with the definition new runs use now). Without an event, a
   * `pipeline.manual` event is made up.
   *
   * @throws LnError `LN_ERR_EVENT_PIPELINE_NOT_FOUND` (also for a file that never was valid),
   *   `LN_ERR_EVENT_INVALID`, `LN_ERR_BUDGET_PIPELINE_QUEUE`
   */
  run(name: string, event?: unknown, options: StartOptions = {}): StartedRun {
    const definition = this.#entry(name).definition;
    if (!definition) throw new LnError('LN_ERR_EVENT_PIPELINE_NOT_FOUND', { name });
    const envelope = event ?? { id: randomUUID(), type: 'pipeline.manual', source: `/pipelines/${name}` };
    return this.scheduler.start(definition, envelope, options);
  }

  /** Recent runs of `name`, newest first. @throws LnError `LN_ERR_EVENT_PIPELINE_NOT_FOUND` for a name neither loaded nor in the history */
  runs(name: string): RunSummary[] {
    const runs = this.scheduler.list(name);
    if (runs.length === 0 && !this.directory.get(name)) throw new LnError('LN_ERR_EVENT_PIPELINE_NOT_FOUND', { name });
    return runs;
  }

  /** @throws LnError `LN_ERR_EVENT_RUN_NOT_FOUND` */
  runOf(name: string, runId: string): RunRecord {
    const run = this.scheduler.get(runId);
    if (!run || run.pipeline !== name) throw new LnError('LN_ERR_EVENT_RUN_NOT_FOUND', { name, runId: runId.slice(0, 80) });
    return run;
  }

  /**
   * Starts a run of every pipeline whose trigger matches the event's type. A pipeline that cannot
   * start (its queue is full) is logged and left out; this never throws for one.
   */
  onEvent(envelope: JsonEnvelope): Array<{ name: string; runId: string }> {
    const started: Array<{ name: string; runId: string }> = [];
    for (const entry of this.directory.list()) {
      const d = entry.definition;
      if (!d?.trigger.events.some((p) => eventTypeMatches(p, String(envelope.type)))) continue;
      try {
        started.push({ name: d.name, runId: this.scheduler.start(d, envelope).runId });
      } catch (err) {
        this.#log.warn({ pipeline: d.name, err }, 'pipeline run not started');
      }
    }
    return started;
  }

  /** Stops watching, refuses new runs and waits for the active ones. */
  async close(): Promise<void> {
    await this.directory.close();
    await this.scheduler.close();
  }

  #entry(name: string): PipelineEntry {
    const entry = this.directory.get(name);
    if (!entry) throw new LnError('LN_ERR_EVENT_PIPELINE_NOT_FOUND', { name: name.slice(0, 80) });
    return entry;
  }
}
