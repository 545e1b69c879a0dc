/**
 * The pipeline file format as a strict zod schema (unknown keys are errors at every level); the
 * DAG rules a schema cannot express (unique ids, references, cycles, fallbacks) are checked by
 * `parsePipeline` in pipeline-definition.ts. See docs/pipelines.md.
 *
 * @example
 * { "name": "sensor", "trigger": { "events": ["sensor.*"] },
 *   "steps": [
 *     { "id": "transform", "component": "transformer" },
 *     { "id": "stats", "component": "telemetry", "input": "transform", "retries": 2, "backoff": "100ms",
 *       "timeout": "2s", "fallback": "stats-fallback" },
 *     { "id": "stats-fallback", "component": "persistence", "input": "transform", "role": "fallback" } ] }
 */
import { z } from 'zod';
import { durationSchema } from '../support/schema.js';
import { PIPELINE_DEFAULTS } from './pipeline-defaults.js';

/** Pipeline names (also the file name) and step ids. */
export const PIPELINE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
/** Plugin names, as in manifests. */
const COMPONENT_NAME = /^[a-z][a-z0-9-]{0,62}$/;
/** `$`, then `.field` or `[index]` segments: `$.data.celsius`, `$.data.readings[0]`. */
export const JSON_PATH = /^\$(?:\.[A-Za-z_][A-Za-z0-9_-]{0,63}|\[\d{1,6}\])*$/;

const idSchema = z.string().regex(PIPELINE_NAME, 'must be 1-63 of a-z 0-9 - starting with a letter');
const scalarSchema = z.union([z.string().max(4096), z.number(), z.boolean(), z.null()]);
const pathSchema = z.string().max(256).regex(JSON_PATH, 'must be a path such as $.data.celsius or $.data.items[0]');

/**
 * A `when` condition, evaluated before a step runs (never `eval`): the status of an earlier step,
 * or a JSON path of the step's input event compared with a value; combined with all/any/not.
 */
export type Condition =
  | { readonly step: string; readonly status: 'succeeded' | 'failed' | 'skipped' }
  | { readonly path: string; readonly equals: string | number | boolean | null }
  | { readonly path: string; readonly contains: string | number | boolean | null }
  | { readonly path: string; readonly exists: boolean }
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({
      step: idSchema.describe('An earlier step'),
      status: z.enum(['succeeded', 'failed', 'skipped']).describe('True when that step ended so'),
    }),
    z.strictObject({
      path: pathSchema.describe('A JSON path into the input event, e.g. $.data.celsius'),
      equals: scalarSchema.describe('True when the value there is exactly this'),
    }),
    z.strictObject({
      path: pathSchema.describe('A JSON path into the input event'),
      contains: scalarSchema.describe('True when the string or list there contains this'),
    }),
    z.strictObject({ path: pathSchema.describe('A JSON path into the input event'), exists: z.boolean().describe('True when the path is (or is not) there') }),
    z.strictObject({ all: z.array(conditionSchema).min(1).max(16).describe('True when every condition is') }),
    z.strictObject({ any: z.array(conditionSchema).min(1).max(16).describe('True when one condition is') }),
    // Described through a lazy of its own: a described copy of `conditionSchema` itself would be
    // expanded again each time (a new schema every level), so JSON Schema output would never end.
    z.strictObject({ not: z.lazy(() => conditionSchema).describe('True when this condition is not') }),
  ]),
);

/** Retry delays: a duration (the first delay, doubling up to the default cap) or the full form. */
const backoffSchema = z.union([
  durationSchema,
  z.strictObject({
    initial: durationSchema.describe('The first delay, e.g. 100ms'),
    max: durationSchema.optional().describe('The longest delay'),
    factor: z.number().min(1).max(10).optional().describe('Each delay is the previous one times this (default 2)'),
  }),
]);

export const stepSchema = z.strictObject({
  id: idSchema.describe("The step's id, unique in the pipeline: 1-63 of a-z 0-9 -"),
  component: z
    .string()
    .regex(COMPONENT_NAME, 'must be a plugin name: 1-63 of a-z 0-9 - starting with a letter')
    .describe('The deployed plugin that runs this step'),
  description: z.string().max(1024).optional().describe('What the step does, for people'),
  /** `event` (the trigger event, the default), an earlier step's id, or several of them. */
  input: z
    .union([idSchema, z.array(idSchema).min(1).max(PIPELINE_DEFAULTS.maxInputs)])
    .optional()
    .describe("What the step gets: event (the run's event, the default), an earlier step's id (its output), or a list of them (a join)"),
  when: conditionSchema.optional().describe('Run the step only when this holds; otherwise it is skipped'),
  /** Deadline of each attempt: "2s", or ms. */
  timeout: durationSchema.optional().describe('Deadline of each attempt, e.g. 2s'),
  /** Attempts after the first when the step fails. */
  retries: z.number().int().min(0).max(PIPELINE_DEFAULTS.maxRetries).optional().describe('Attempts after the first when the step fails'),
  backoff: backoffSchema.optional().describe('Delay between attempts: a duration (doubling each time) or { initial, max, factor }'),
  /** The id of a step with `role: "fallback"` run when this one fails for good. */
  fallback: idSchema.optional().describe('The id of a step with role "fallback" to run when this one fails for good'),
  /** `fallback` steps run only in place of the step naming them. */
  role: z.enum(['step', 'fallback']).optional().describe('fallback: runs only in place of a step that names it (default: step)'),
});

export const pipelineSchema = z.strictObject({
  $schema: z.string().max(1024).optional().describe('The JSON Schema of this file, for editors (ignored by the host)'),
  name: idSchema.describe("The pipeline's name; in a pipeline directory, the file's name without .json/.yaml"),
  description: z.string().max(1024).optional().describe('What the pipeline does, for people'),
  /** Event types (manifest `events` patterns: `*` matches anything) that start a run. */
  trigger: z
    .strictObject({
      events: z
        .array(
          z
            .string()
            .min(1)
            .max(256)
            .regex(/^[A-Za-z0-9._*-]+$/, 'must be an event type pattern such as sensor.*')
            .describe('An event type, or a pattern with * such as sensor.*'),
        )
        .max(64)
        .describe('The event types that start a run'),
    })
    .optional()
    .describe('What starts a run besides `lnano pipeline run` and the admin API'),
  /** Priority of its runs (higher first) unless a run request sets one. */
  priority: z.number().int().min(-1000).max(1000).optional().describe('Priority of its runs, higher first, -1000 to 1000, unless a run request sets one'),
  steps: z.array(stepSchema).min(1).max(PIPELINE_DEFAULTS.maxSteps).describe('The steps, a DAG: each runs when its inputs are done'),
});

export type PipelineDocument = z.infer<typeof pipelineSchema>;
export type StepDocument = z.infer<typeof stepSchema>;

/** The JSON Schema of pipeline files, for editors (published as docs/pipeline.schema.json). */
export function pipelineJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(pipelineSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://liquid-nano.dev/schemas/pipeline.schema.json',
    title: 'Liquid Nano pipeline',
  };
}
