#!/usr/bin/env node
// Writes the JSON Schemas editors use, from the schemas the host validates with. Run after
// `npm run build`:
//
//   npm run docs:schema
//
// docs/manifest.schema.json     plugin manifests (host/versions/manifest.ts, the capabilities'
//                               manifest keys, host/resources/limits.ts);
//                               test/unit/versions/manifest.test.ts fails when it is out of date
// docs/pipeline.schema.json     pipeline files (host/pipelines/pipeline-schema.ts);
//                               test/unit/pipelines/pipeline-definition.test.ts fails when it is out of date
// docs/host-config.schema.json  the host config, lnano.yaml (host/config/config-schema.ts);
//                               test/unit/config/config-schema.test.ts fails when it is out of date
import { writeFileSync } from 'node:fs';
import { hostConfigJsonSchema } from '../dist/host/config/config-schema.js';
import { pipelineJsonSchema } from '../dist/host/pipelines/pipeline-schema.js';
import { manifestJsonSchema } from '../dist/host/versions/manifest.js';

for (const [name, schema] of [
  ['manifest', manifestJsonSchema()],
  ['pipeline', pipelineJsonSchema()],
  ['host-config', hostConfigJsonSchema()],
]) {
  const file = new URL(`../docs/${name}.schema.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${file.pathname}`);
}
