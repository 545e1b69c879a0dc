// Builds transformer with the SDK's TypeScript language module (sdk/ts/toolchain.mjs): esbuild →
// componentize-js 0.19.3 (~11 MB) with a world narrowed to the imports the code uses; see
// components/echo-ts/build.mjs and sdk/ts/componentize.mjs for the why of each choice.
import { fileURLToPath } from 'node:url';
import { build as buildPlugin } from '../../sdk/ts/toolchain.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

/** SDK files this plugin is built from besides its own (for components/build.mjs's digest). */
export const sharedInputs = ['sdk/ts/toolchain.mjs', 'sdk/ts/componentize.mjs', 'sdk/ts/lib'];

/**
 * Builds the component.
 * @param {{ quiet?: boolean }} [opts]
 * @returns {Promise<Uint8Array>} the component's bytes
 */
export function build({ quiet = true } = {}) {
  return buildPlugin({ dir: here, entry: 'src/transformer.ts', quiet });
}
