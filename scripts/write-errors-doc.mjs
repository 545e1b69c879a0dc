#!/usr/bin/env node
// Regenerates the table of docs/errors.md from the error registry (host/errors/codes.ts, compiled
// to dist/ by `npm run build`). The prose above the table is kept as it is.
//
//   npm run docs:errors
import { readFileSync, writeFileSync } from 'node:fs';

const { ERROR_CODES } = await import(new URL('../dist/host/errors/codes.js', import.meta.url).href);
const path = new URL('../docs/errors.md', import.meta.url);
const doc = readFileSync(path, 'utf8');
const start = doc.indexOf('| code | HTTP |');
if (start < 0) throw new Error('docs/errors.md has no table header "| code | HTTP |"');
const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const extra = (s) => (s.extra ?? []).map((name) => `\`${name}\``).join(', ');
const rows = Object.entries(ERROR_CODES).map(
  ([code, s]) => `| \`${code}\` | ${s.status} | ${s.exit} | ${s.expose ? 'yes' : 'no'} | ${cell(s.message)} | ${cell(s.fix)} | ${extra(s)} |`,
);
const header = '| code | HTTP | exit | shown | message | fix | extra details |\n|---|---|---|---|---|---|---|';
writeFileSync(path, `${doc.slice(0, start)}${header}\n${rows.join('\n')}\n`);
console.log(`docs/errors.md: ${rows.length} codes`);
