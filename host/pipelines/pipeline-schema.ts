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
    z.strictObject({ step: idSchema, status: z.enum(['succeeded', 'failed', 'skipped']) }),
    z.strictObject({ path: pathSchema, equals: scalarSchema }),
    z.strictObject({ path: pathSchema, contains: scalarSchema }),
    z.strictObject({ path: pathSchema, exists: z.boolean() }),
    z.strictObject({ all: z.array(conditionSchema).min(1).max(16) }),
    z.strictObject({ any: z.array(conditionSchema).min(1).max(16) }),
    z.strictObject({ not: conditionSchema }),
  ]),
);

/** Retry delays: a duration (the first delay, doubling up to the default cap) or the full form. */
const backoffSchema = z.union([
  durationSchema,
  z.strictObject({
    initial: durationSchema,
    max: durationSchema.optional(),
    factor: z.number().min(1).max(10).optional(),
  }),
]);

export const stepSchema = z.strictObject({
  id: idSchema,
  component: z.string().regex(COMPONENT_NAME, 'must be a plugin name: 1-63 of a-z 0-9 - starting with a letter'),
  description: z.string().max(1024).optional(),
  /** `event` (the trigger event, the default), an earlier step's id, or several of them. */
  input: z.union([idSchema, z.array(idSchema).min(1).max(PIPELINE_DEFAULTS.maxInputs)]).optional(),
  when: conditionSchema.optional(),
  /** Deadline of each attempt: "2s", or ms. */
  timeout: durationSchema.optional(),
  /** Attempts after the first when the step fails. */
  retries: z.number().int().min(0).max(PIPELINE_DEFAULTS.maxRetries).optional(),
  backoff: backoffSchema.optional(),
  /** The id of a step with `role: "fallback"` run when this one fails for good. */
  fallback: idSchema.optional(),
  /** `fallback` steps run only in place of the step naming them. */
  role: z.enum(['step', 'fallback']).optional(),
});

export const pipelineSchema = z.strictObject({
  $schema: z.string().max(1024).optional(),
  name: idSchema,
  description: z.string().max(1024).optional(),
  /** Event types (manifest `events` patterns: `*` matches anything) that start a run. */
  trigger: z
    .strictObject({
      events: z
        .array(
          z
            .string()
            .min(1)
            .max(256)
            .regex(/^[A-Za-z0-9._*-]+$/, 'must be an event type pattern such as sensor.*'),
        )
        .max(64),
    })
    .optional(),
  /** Priority of its runs (higher first) unless a run request sets one. */
  priority: z.number().int().min(-1000).max(1000).optional(),
  steps: z.array(stepSchema).min(1).max(PIPELINE_DEFAULTS.maxSteps),
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
