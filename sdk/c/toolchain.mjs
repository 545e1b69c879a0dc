// C plugins: Debian clang-14 + wasi-libc → wasm32-wasi reactor core module → component, with the
// single-header guest library sdk/c/liquid_nano.h. See sdk/README.md ("Language modules").
import { fileURLToPath } from 'node:url';
import { buildClang, checkClang } from '../tooling/clang.mjs';
import { writeTemplate } from '../tooling/template.mjs';

const templateDir = fileURLToPath(new URL('./template/', import.meta.url));

/**
 * Writes a new C plugin (src/plugin.c, manifest.json, README.md) into `dir`.
 * @param {{ dir: string, name: string }} opts
 */
export function scaffold({ dir, name }) {
  return writeTemplate(templateDir, dir, { name });
}

/** @param {{ env?: NodeJS.ProcessEnv }} [opts] */
export function check({ env } = {}) {
  return checkClang({ cxx: false, env });
}

/**
 * Compiles src/*.c with `-I sdk/c` and wraps the module into a component.
 * @param {{ dir: string, quiet?: boolean, onStep?: (label: string) => void, env?: NodeJS.ProcessEnv }} opts
 */
export function build(opts) {
  return buildClang({ ...opts, cxx: false });
}
