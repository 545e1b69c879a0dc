// WAT plugins: plugin.wat is a core module written against the canonical ABI of the `plugin`
// world (template/plugin.wat explains each part).
//
//   build: jco-transpile's wasm-tools `parse` (text → core module) → componentFromCore
//
// No Debian package is needed: wasm-tools ships inside the npm package
// @bytecodealliance/jco-transpile. (wabt's `wat2wasm` would do the first step too.)
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPluginName, importNpmTool } from '../tooling/project-files.mjs';
import { writeTemplate } from '../tooling/template.mjs';
import { componentFromCore } from '../tooling/toolchain.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const SOURCE = 'plugin.wat';

/** @returns {Promise<typeof import('@bytecodealliance/jco-transpile/wasm-tools')>} */
function wasmTools() {
  return importNpmTool('@bytecodealliance/jco-transpile/wasm-tools', '@bytecodealliance/jco-transpile');
}

/** Throws a ToolchainMissingError when @bytecodealliance/jco-transpile is missing. */
export async function check() {
  await wasmTools();
}

/**
 * Writes a new WAT plugin (the echo contract of components/README.md) into `dir`.
 * @param {{ dir: string, name: string }} opts
 */
export async function scaffold({ dir, name }) {
  checkPluginName(name);
  return writeTemplate(join(here, 'template'), dir, { name });
}

/**
 * wasm-tools reports WAT errors as a Rust debug dump: keep the position and the message.
 * @param {unknown} err
 */
export function describeWatError(err) {
  const text = err instanceof Error ? err.message : String(err);
  const message = /kind: Custom\("((?:[^"\\]|\\.)*)"\)/.exec(text)?.[1];
  const position = /line: (\d+), col: (\d+)/.exec(text);
  if (!message) return text.replace(/\s*\n\s*/g, ': ');
  return position ? `line ${Number(position[1]) + 1}, column ${Number(position[2]) + 1}: ${message}` : message;
}

/**
 * Builds `dir`/plugin.wat into a component.
 * @param {{ dir: string, quiet?: boolean, onStep?: (label: string) => void }} opts
 * @returns {Promise<Uint8Array>}
 */
export async function build({ dir, quiet = true, onStep = () => {} }) {
  const { parse } = await wasmTools();
  const path = join(dir, SOURCE);
  onStep('parse');
  if (!quiet) console.log(`  wasm-tools parse ${path}`);
  /** @type {Uint8Array} */
  let core;
  try {
    // The vendored wasm-tools has no file system: hand it the text.
    core = await parse(await readFile(path, 'utf8'));
    await WebAssembly.compile(core); // parse only encodes: validate here, with a clear message
  } catch (cause) {
    throw new Error(`${path}: ${describeWatError(cause)}`, { cause });
  }
  onStep('component new');
  return componentFromCore(core);
}
