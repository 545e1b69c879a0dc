// Builds echo-js with the SDK's js language module (sdk/js/toolchain.mjs), exactly as
// `lnano build` does for a plugin project (see README.md).
import { fileURLToPath } from 'node:url';
import { build as buildPlugin } from '../../sdk/js/toolchain.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

/** SDK files this example is built from besides its own (for components/build.mjs's digest). */
export const sharedInputs = ['sdk/js', 'sdk/ts/componentize.mjs', 'sdk/ts/lib'];

/**
 * Builds the component.
 * @param {{ quiet?: boolean }} [opts]
 * @returns {Promise<Uint8Array>} the component's bytes
 */
export function build({ quiet = true } = {}) {
  return buildPlugin({ dir: here, quiet });
}
