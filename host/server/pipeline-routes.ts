/**
 * The admin API's pipeline routes (contract C; see docs/pipelines.md and docs/admin-api.md):
 * list, read, save (`PUT`, validated like files and picked up by hot reload), delete and
 * validate pipelines; start runs (optionally waiting, with NDJSON step progress) and read them.
 */
import { z } from 'zod';
import type { PipelineService } from '../pipelines/pipeline-service.js';
import type { StepRecord } from '../pipelines/run-record.js';
import { type AdminRoute, defineRoute } from './admin-server.js';
import type { AdminAnswers } from './api-types.js';

const anyObject = z.record(z.string(), z.unknown());
const runSchema = z.strictObject({
  event: anyObject.optional(),
  priority: z.number().int().min(-1000).max(1000).optional(),
  wait: z.boolean().optional(),
});

/** The progress line of a step, as `lnano pipeline run --wait` prints it. */
function progressLine(step: StepRecord): Record<string, unknown> {
  return {
    step: step.id,
    status: step.status,
    attempts: step.attempts,
    durationMs: step.durationMs,
    ...(step.error ? { error: step.error } : {}),
    ...(step.skipReason ? { skipReason: step.skipReason } : {}),
  };
}

/** Every pipeline route, bound to `pipelines`. */
export function pipelineRoutes(pipelines: PipelineService): AdminRoute[] {
  return [
    {
      method: 'POST',
      path: '/v1/pipelines/validate',
      handler: (req) => {
        const definition = pipelines.validate(req.json(anyObject));
        return { body: { valid: true, name: definition.name, order: definition.order } satisfies AdminAnswers['POST /v1/pipelines/validate'] };
      },
    },
    { method: 'GET', path: '/v1/pipelines', handler: () => ({ body: { pipelines: pipelines.list() } satisfies AdminAnswers['GET /v1/pipelines'] }) },
    {
      method: 'GET',
      path: '/v1/pipelines/:name',
      handler: (req) => ({ body: pipelines.get(req.params.name!) satisfies AdminAnswers['GET /v1/pipelines/:name'] }),
    },
    {
      method: 'PUT',
      path: '/v1/pipelines/:name',
      handler: async (req) => {
        const pipeline = await pipelines.save(req.params.name!, req.json(anyObject));
        return { body: { pipeline } };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/pipelines/:name',
      handler: async (req) => {
        await pipelines.remove(req.params.name!);
        return { body: { deleted: req.params.name } };
      },
    },
    {
      method: 'GET',
      path: '/v1/pipelines/:name/runs',
      handler: (req) => ({ body: { runs: pipelines.runs(req.params.name!) } satisfies AdminAnswers['GET /v1/pipelines/:name/runs'] }),
    },
    {
      method: 'GET',
      path: '/v1/pipelines/:name/runs/:runId',
      handler: (req) => ({ body: pipelines.runOf(req.params.name!, req.params.runId!) satisfies AdminAnswers['GET /v1/pipelines/:name/runs/:runId'] }),
    },
    defineRoute({
      method: 'POST',
      path: '/v1/pipelines/:name/runs',
      body: runSchema,
      handler: async (req) => {
        const body = req.body;
        const options = body.priority !== undefined ? { priority: body.priority } : {};
        if (!body.wait) {
          const started = pipelines.run(req.params.name!, body.event, options);
          return { status: 202, body: { runId: started.runId, status: started.status } satisfies AdminAnswers['POST /v1/pipelines/:name/runs'] };
        }
        if (!/application\/x-ndjson/.test(String(req.raw.headers.accept ?? ''))) {
          return { body: (await pipelines.run(req.params.name!, body.event, options).done) satisfies AdminAnswers['GET /v1/pipelines/:name/runs/:runId'] };
        }
        // NDJSON: one line per step change, then the run (or a coded error) as the last line.
        // Lines of steps settled while the run starts wait until the headers are out; a run that
        // cannot start answers with its coded error as usual.
        const early: string[] = [];
        let open = false;
        const write = (line: string): void => void (open ? res.write(line) : early.push(line));
        const started = pipelines.run(req.params.name!, body.event, { ...options, onProgress: (step) => write(`${JSON.stringify(progressLine(step))}\n`) });
        const res = req.stream();
        res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
        open = true;
        for (const line of early) res.write(line);
        res.end(`${JSON.stringify(await started.done)}\n`);
      },
    }),
  ];
}
