// Builds echo-as with the SDK's assemblyscript language module (sdk/assemblyscript/toolchain.mjs), exactly as
// `lnano build` does for a plugin project (see README.md).
import { fileURLToPath } from 'node:url';
import { build as buildPlugin } from '../../sdk/assemblyscript/toolchain.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

/** SDK files this example is built from besides its own (for components/build.mjs's digest). */
export const sharedInputs = ['sdk/assemblyscript', 'sdk/tooling/core-exports.mjs'];

/**
 * Builds the component.
 * @param {{ quiet?: boolean }} [opts]
 * @returns {Promise<Uint8Array>} the component's bytes
 */
export function build({ quiet = true } = {}) {
  return buildPlugin({ dir: here, quiet });
}
