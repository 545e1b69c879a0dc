#!/usr/bin/env node
// Writes docs/manifest.schema.json, the JSON Schema of plugin manifests, from the zod schema the
// host validates them with (host/versions/manifest.ts). Run after `npm run build`:
//
//   npm run docs:schema
//
// test/unit/versions/manifest.test.ts fails when the committed file is out of date.
import { writeFileSync } from 'node:fs';
import { manifestJsonSchema } from '../dist/host/versions/manifest.js';

const file = new URL('../docs/manifest.schema.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
