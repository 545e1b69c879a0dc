// Worker threads run the compiled sandbox from dist/, so every test run compiles first.
//
// tsc emits even when it finds type errors; here those are printed and the run goes on, so one
// engineer's half-typed file does not stop everyone's tests. `npm test` type-checks first and
// fails on any error, so CI stays strict.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  try {
    execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.json`], {
      stdio: 'inherit',
    });
  } catch {
    console.warn('global-setup: tsc reported type errors (above); dist/ was emitted anyway');
  }
}
