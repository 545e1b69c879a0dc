/**
 * `GET /v1/pipelines/:name/document`: a pipeline file's document as the host validated it, every
 * key kept (`$schema` too, which the listing leaves out). An editor (the console's composer) reads
 * it so that saving the pipeline back with `PUT` loses nothing it did not change.
 */
import { LnError } from '../errors/ln-error.js';
import type { PipelineService } from '../pipelines/pipeline-service.js';
import type { AdminRoute } from './admin-server.js';
import type { AdminAnswers, PipelineDefinition } from './api-types.js';

/** The route, bound to `pipelines`; a name with no valid file is `404 LN_ERR_EVENT_PIPELINE_NOT_FOUND`. */
export function pipelineDocumentRoute(pipelines: PipelineService): AdminRoute {
  return {
    method: 'GET',
    path: '/v1/pipelines/:name/document',
    handler: (req) => {
      const name = req.params.name!;
      const entry = pipelines.directory.get(name);
      const document = entry?.valid ? entry.definition?.document : undefined;
      if (!document) throw new LnError('LN_ERR_EVENT_PIPELINE_NOT_FOUND', { name: name.slice(0, 80) });
      return { body: { name, document: structuredClone(document) as PipelineDefinition } satisfies AdminAnswers['GET /v1/pipelines/:name/document'] };
    },
  };
}
