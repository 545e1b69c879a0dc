#!/usr/bin/env node
// Entry point of the `lnano` command. The TypeScript sources are compiled to dist/ by
// `npm install` (the `prepare` script); this file only forwards to the compiled CLI.
import { main } from '../dist/host/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`LN_ERR_INTERNAL_UNEXPECTED: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
