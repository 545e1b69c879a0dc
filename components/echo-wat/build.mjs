// Builds echo-wat with the SDK's wat language module (sdk/wat/toolchain.mjs), exactly as
// `lnano build` does for a plugin project (see README.md).
import { fileURLToPath } from 'node:url';
import { build as buildPlugin } from '../../sdk/wat/toolchain.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

/** SDK files this example is built from besides its own (for components/build.mjs's digest). */
export const sharedInputs = ['sdk/wat'];

/**
 * Builds the component.
 * @param {{ quiet?: boolean }} [opts]
 * @returns {Promise<Uint8Array>} the component's bytes
 */
export function build({ quiet = true } = {}) {
  return buildPlugin({ dir: here, quiet });
}
