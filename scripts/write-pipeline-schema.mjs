#!/usr/bin/env node
// Writes docs/pipeline.schema.json, the JSON Schema of pipeline files, from the zod schema the
// host validates them with (host/runtime/pipelines/pipeline-schema.ts). Run after `npm run build`:
//
//   npm run docs:schema
//
// test/unit/runtime/pipeline-definition.test.ts fails when the committed file is out of date.
import { writeFileSync } from 'node:fs';
import { pipelineJsonSchema } from '../dist/host/runtime/pipelines/pipeline-schema.js';

const file = new URL('../docs/pipeline.schema.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
