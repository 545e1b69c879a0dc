// Builds transformer: TypeScript → esbuild → componentize-js 0.19.3 (~11 MB), with the shared
// sdk/tooling/typescript-plugin.mjs (the same steps as components/echo-ts/build.mjs).
import { fileURLToPath } from 'node:url';
import { buildTypeScriptPlugin } from '../../sdk/tooling/typescript-plugin.mjs';

/** Extra build inputs (repo-relative) that components/build.mjs hashes into component.inputs.sha256. */
export const inputs = ['sdk/tooling/typescript-plugin.mjs'];

/** @param {{ quiet?: boolean }} [opts] @returns {Promise<Uint8Array>} */
export function build({ quiet = true } = {}) {
  return buildTypeScriptPlugin({ dir: fileURLToPath(new URL('.', import.meta.url)), entry: 'transformer', label: 'transformer', quiet });
}
