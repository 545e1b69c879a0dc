#!/usr/bin/env node
// Entry point of the `lnano` command. The TypeScript sources are compiled to dist/ by
// `npm install` (the `prepare` script); this file only forwards to the compiled CLI.
import { beginStartUp } from '../dist/host/cli/start-up-memory.js';

// `lnano serve` keeps V8's young generation small while it loads and seeds (see start-up-memory.ts).
if (process.argv[2] === 'serve') beginStartUp();
const { main } = await import('../dist/host/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`LN_ERR_INTERNAL_UNEXPECTED: ${err?.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
