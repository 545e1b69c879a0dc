// Helpers the language modules share: the plugin-name check of `scaffold({ dir, name })` (the
// files come from sdk/tooling/template.mjs), loading the npm packages their toolchains run on, and
// the command line of the generator scripts.
import { readFile, writeFile } from 'node:fs/promises';
import { ToolchainMissingError } from './toolchain.mjs';

/**
 * A plugin name as `lnano new` accepts it: lowercase letters, digits and dashes, starting with a
 * letter (it becomes the manifest name, a folder and a package name).
 * @param {string} name
 */
export function checkPluginName(name) {
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) {
    throw new Error(`plugin name "${name}" must be lowercase letters, digits and dashes, starting with a letter`);
  }
}

/**
 * Imports an npm package a toolchain needs; when it is not installed, throws a
 * ToolchainMissingError (code TOOLCHAIN_MISSING) whose message and `npmPackages` name it.
 * @param {string} specifier what to import, e.g. `assemblyscript/asc`
 * @param {string} npmPackage the package to install, e.g. `assemblyscript`
 */
export async function importNpmTool(specifier, npmPackage) {
  try {
    return await import(specifier);
  } catch (cause) {
    const code = /** @type {{ code?: string }} */ (cause).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw cause;
    throw new NpmToolMissingError(npmPackage, { cause });
  }
}

/** An npm package a build needs is not installed (same `code` as a missing Debian tool). */
export class NpmToolMissingError extends ToolchainMissingError {
  /** @param {string} npmPackage @param {{ cause?: unknown }} [opts] */
  constructor(npmPackage, opts = {}) {
    super([]);
    this.message = `npm package ${npmPackage} not found: install it (npm install --save-dev ${npmPackage})`;
    this.debianPackages = [];
    this.npmPackages = [npmPackage];
    if (opts.cause) this.cause = opts.cause;
  }
}

/**
 * The command line of a generator script (`node sdk/tooling/wit-docs.mjs [--check]`): writes
 * `text()` to `path` when it differs, or with `--check` exits 1 if the committed file is stale.
 * @param {string} script the script's own path (for the message)
 * @param {string} path the generated file
 * @param {() => Promise<string> | string} text its content
 */
export function runGenerator(script, path, text) {
  const main = async () => {
    const check = process.argv.includes('--check');
    const next = await text();
    const current = await readFile(path, 'utf8').catch(() => '');
    if (check) {
      if (current !== next) {
        console.error(`${path} is stale: run node ${script}`);
        process.exitCode = 1;
      }
      return;
    }
    if (current !== next) await writeFile(path, next);
    console.log(`${current === next ? 'unchanged' : 'wrote'} ${path}`);
  };
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
