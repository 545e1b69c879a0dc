// Builds echo-ts with the SDK's TypeScript language module (sdk/ts/toolchain.mjs): esbuild →
// componentize-js 0.19.3 (SpiderMonkey/StarlingMonkey embedded, ~11 MB) with a world narrowed
// to the imports the code uses. sdk/ts/componentize.mjs explains each choice (why 0.19.3 and
// not 0.22, why the WIT goes in as text, why the world is narrowed).
//
// The output is not byte-reproducible (the wizer snapshot sees real randomness, clocks and
// temp paths); components/build.mjs skips the build when the inputs are unchanged.
import { fileURLToPath } from 'node:url';
import { build as buildPlugin } from '../../sdk/ts/toolchain.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

/** SDK files this example is built from besides its own (for components/build.mjs's digest). */
export const sharedInputs = ['sdk/ts/toolchain.mjs', 'sdk/ts/componentize.mjs', 'sdk/ts/lib'];

/**
 * Builds the component.
 * @param {{ quiet?: boolean }} [opts]
 * @returns {Promise<Uint8Array>} the component's bytes
 */
export function build({ quiet = true } = {}) {
  return buildPlugin({ dir: here, entry: 'src/echo.ts', quiet });
}
