#!/usr/bin/env node
// Regenerates the capability table of docs/capabilities.md from the registered capabilities
// (host/capabilities/registry.ts through catalog.ts, compiled to dist/ by `npm run build`). The
// prose around the table is kept as it is.
//
//   npm run docs:capabilities
import { readFileSync, writeFileSync } from 'node:fs';

const { CATALOG_TABLE_HEADER, catalogTable } = await import(new URL('../dist/host/capabilities/catalog.js', import.meta.url).href);
const path = new URL('../docs/capabilities.md', import.meta.url);
const doc = readFileSync(path, 'utf8');
const start = doc.indexOf(CATALOG_TABLE_HEADER);
if (start < 0) throw new Error(`docs/capabilities.md has no table header "${CATALOG_TABLE_HEADER}"`);
const end = doc.indexOf('\n\n', start);
writeFileSync(path, `${doc.slice(0, start)}${catalogTable()}${doc.slice(end)}`);
console.log('docs/capabilities.md: capability table written');
