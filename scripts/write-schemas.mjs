#!/usr/bin/env node
// Writes the JSON Schemas editors use, from the zod schemas the host validates with. Run after
// `npm run build`:
//
//   npm run docs:schema
//
// docs/manifest.schema.json  plugin manifests (host/versions/manifest.ts);
//                            test/unit/versions/manifest.test.ts fails when it is out of date
// docs/pipeline.schema.json  pipeline files (host/pipelines/pipeline-schema.ts);
//                            test/unit/pipelines/pipeline-definition.test.ts fails when it is out of date
import { writeFileSync } from 'node:fs';
import { pipelineJsonSchema } from '../dist/host/pipelines/pipeline-schema.js';
import { manifestJsonSchema } from '../dist/host/versions/manifest.js';

for (const [name, schema] of [
  ['manifest', manifestJsonSchema()],
  ['pipeline', pipelineJsonSchema()],
]) {
  const file = new URL(`../docs/${name}.schema.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${file.pathname}`);
}
