// Helpers the language modules share to scaffold a project (`scaffold({ dir, name })`) and to
// load the npm packages their toolchains run on.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ToolchainMissingError } from './toolchain.mjs';

/**
 * Writes `files` (relative path → text) into `dir`, creating it. Refuses a folder that has
 * anything in it besides the project marker `lnano.json` (which `lnano new` writes first), so a
 * scaffold never overwrites a project.
 * @param {string} dir
 * @param {Record<string, string>} files
 * @returns {Promise<string[]>} the relative paths written, sorted
 */
export async function writeProject(dir, files) {
  if (existsSync(dir) && (await readdir(dir)).some((entry) => entry !== 'lnano.json')) {
    throw new Error(`${dir} is not empty: a new plugin needs an empty or new folder`);
  }
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  return Object.keys(files).sort();
}

/**
 * The `manifest.json` of a new plugin (host/versions/manifest.ts, docs/manifest.schema.json): every event type, no capabilities
 * beyond the always-available host services, the given limits.
 * @param {{ name: string, description: string, memory: string, timeout: string }} opts
 */
export function manifestText({ name, description, memory, timeout }) {
  const manifest = {
    name,
    version: '0.1.0',
    description,
    component: './component.wasm',
    events: ['*'],
    limits: { memory, timeout, concurrency: 2, maxPayload: '1MiB' },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

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
