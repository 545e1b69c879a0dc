// C++ plugins: Debian clang++-14 + libc++ + wasi-libc → wasm32-wasi reactor core module →
// component, with the guest library sdk/cpp/liquid_nano.hpp (on top of sdk/c/liquid_nano.h).
// See sdk/README.md ("Language modules").
import { fileURLToPath } from 'node:url';
import { buildClang, checkClang } from '../tooling/clang.mjs';
import { writeTemplate } from '../tooling/template.mjs';

const templateDir = fileURLToPath(new URL('./template/', import.meta.url));

/**
 * Writes a new C++ plugin (src/plugin.cpp, manifest.json, README.md) into `dir`.
 * @param {{ dir: string, name: string }} opts
 */
export function scaffold({ dir, name }) {
  return writeTemplate(templateDir, dir, { name });
}

/** @param {{ env?: NodeJS.ProcessEnv }} [opts] */
export function check({ env } = {}) {
  return checkClang({ cxx: true, env });
}

/**
 * Compiles src/*.cpp (C++17, no exceptions or RTTI) with `-I sdk/cpp -I sdk/c` and wraps the
 * module into a component.
 * @param {{ dir: string, quiet?: boolean, onStep?: (label: string) => void, env?: NodeJS.ProcessEnv }} opts
 */
export function build(opts) {
  return buildClang({ ...opts, cxx: true });
}
