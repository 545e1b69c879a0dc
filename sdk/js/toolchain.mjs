// JavaScript plugins: src/index.js exports `handler` (and optionally `lifecycle`, `state`),
// optionally using the `@liquid-nano/guest` library (sdk/ts/lib/liquid-nano.js).
//
//   build: esbuild (bundles the modules and the library into one file; finds the
//   `liquid-nano:plugin/*` imports) → componentize-js 0.19.3 → component (sdk/ts/componentize.mjs)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPluginName } from '../tooling/project-files.mjs';
import { writeTemplate } from '../tooling/template.mjs';
import { buildJsComponent, checkJsToolchain } from '../ts/componentize.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const ENTRY = 'src/index.js';

/** Throws a ToolchainMissingError when esbuild or componentize-js 0.19.3 is missing. */
export const check = checkJsToolchain;

/**
 * Writes a new JavaScript plugin (the echo contract of components/README.md) into `dir`.
 * @param {{ dir: string, name: string }} opts
 */
export async function scaffold({ dir, name }) {
  checkPluginName(name);
  return writeTemplate(join(here, 'template'), dir, { name });
}

/**
 * Builds `dir` into a component.
 * @param {{ dir: string, entry?: string, quiet?: boolean, onStep?: (label: string) => void }} opts
 *   `entry`: the module that exports `handler` (default src/index.js)
 * @returns {Promise<Uint8Array>}
 */
export function build({ dir, entry = ENTRY, quiet = true, onStep }) {
  return buildJsComponent({ dir, entry, quiet, onStep });
}
