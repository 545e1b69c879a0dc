// TypeScript plugins: src/index.ts exports `handler` (and optionally `lifecycle`, `state`),
// typed by types/plugin.d.ts (a copy of sdk/ts/plugin.d.ts, generated from the WIT) and helped
// by the `@liquid-nano/guest` library (lib/liquid-nano.js).
//
//   build: esbuild (TS → one ESM file) → componentize-js 0.19.3 → component (see componentize.mjs)
//
// esbuild strips types without checking them: run `npx tsc --noEmit` in the project for that.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPluginName } from '../tooling/project-files.mjs';
import { writeTemplate } from '../tooling/template.mjs';
import { buildJsComponent, checkJsToolchain } from './componentize.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const ENTRY = 'src/index.ts';

/** Throws a ToolchainMissingError when esbuild or componentize-js 0.19.3 is missing. */
export const check = checkJsToolchain;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'ES2022',
    moduleResolution: 'Bundler',
    strict: true,
    noEmit: true,
    lib: ['ES2022'],
    types: [],
  },
  include: ['src', 'types'],
};

/**
 * Writes a new TypeScript plugin (the echo contract of components/README.md) into `dir`.
 * @param {{ dir: string, name: string }} opts
 */
export async function scaffold({ dir, name }) {
  checkPluginName(name);
  const read = (/** @type {string} */ file) => readFile(join(here, file), 'utf8');
  return writeTemplate(join(here, 'template'), dir, { name }, {
    'types/plugin.d.ts': await read('plugin.d.ts'),
    'types/liquid-nano.d.ts': (await read('lib/liquid-nano.d.ts')).replace('../plugin.d.ts', './plugin.d.ts'),
    'tsconfig.json': `${JSON.stringify(TSCONFIG, null, 2)}\n`,
  });
}

/**
 * Builds `dir` into a component.
 * @param {{ dir: string, entry?: string, quiet?: boolean, onStep?: (label: string) => void }} opts
 *   `entry`: the module that exports `handler` (default src/index.ts)
 * @returns {Promise<Uint8Array>}
 */
export function build({ dir, entry = ENTRY, quiet = true, onStep }) {
  return buildJsComponent({ dir, entry, quiet, onStep });
}
