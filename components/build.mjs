#!/usr/bin/env node
// Builds every example plugin under components/: each folder that is an SDK project (an
// `lnano.json` naming its language, built by that language's sdk/<lang>/toolchain.mjs, exactly
// like `lnano build`), or that has its own `build.mjs` exporting
// `async function build({ quiet }): Promise<Uint8Array>`.
//
//   node components/build.mjs [name ...] [--force | --verify] [--verbose]
//
// Writes `<folder>/component.wasm` only when its bytes change. componentize-js output is not
// reproducible (its wizer snapshot sees real randomness and clocks, and temp-dir paths), so
// byte comparison alone would rewrite the 12 MB echo-ts component on every run. Each folder
// therefore also records `component.inputs.sha256`, a digest of its sources plus the shared
// build inputs (sdk/tooling/toolchain.mjs, wit/plugin.wit; for an SDK project also sdk/tooling/
// and its language's SDK folder): an example whose digest matches is skipped
// as up to date, without needing its toolchain. `--force` rebuilds anyway and writes what it
// built (do that after a toolchain upgrade). `--verify` rebuilds every example to prove its
// sources still build (CI does this) but keeps the committed bytes of an example whose inputs
// digest matches, so the committed binaries change only when their inputs do.
//
// Exit codes: 0 all built; 1 a build failed or a toolchain is missing (the message names the
// Debian package; .ci/install-toolchains.sh installs all of them); 2 usage error.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LANGUAGES, loadLanguage } from '../sdk/languages.mjs';
import { installHint, repoRoot, witPath } from '../sdk/tooling/toolchain.mjs';

const componentsDir = fileURLToPath(new URL('.', import.meta.url));

/**
 * @typedef {object} BuildResult
 * @property {string} name the example's folder name
 * @property {string} path the component.wasm path
 * @property {'written' | 'unchanged' | 'verified' | 'up-to-date' | 'failed'} status
 *   written: new bytes; unchanged: rebuilt, same bytes; verified: rebuilt from unchanged inputs
 *   (`verify`), other bytes, the committed ones kept; up-to-date: inputs unchanged, not rebuilt
 * @property {number} [sizeBytes] the component's size
 * @property {number} durationMs build time
 * @property {Error} [error] why it failed (a ToolchainMissingError has `debianPackages`)
 */

/**
 * The folders under `dir` that have a build.mjs or an lnano.json, sorted.
 * @param {string} [dir] default: components/
 */
export async function listComponents(dir = componentsDir) {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && ['build.mjs', 'lnano.json'].some((f) => existsSync(join(dir, e.name, f))))
    .map((e) => e.name)
    .sort();
}

/**
 * The language of an SDK project folder (its lnano.json), or undefined when the folder has its
 * own build.mjs.
 * @param {string} folder
 */
async function sdkLanguage(folder) {
  if (existsSync(join(folder, 'build.mjs'))) return undefined;
  const { language } = JSON.parse(await readFile(join(folder, 'lnano.json'), 'utf8'));
  if (!Object.hasOwn(LANGUAGES, language)) throw new Error(`${join(folder, 'lnano.json')}: unknown language "${language}"`);
  return language;
}

/**
 * Builds one folder: through its build.mjs, or as an SDK project.
 * @param {string} folder
 * @param {boolean} quiet
 * @returns {Promise<Uint8Array>}
 */
async function buildFolder(folder, quiet) {
  const language = await sdkLanguage(folder);
  if (language === undefined) {
    const mod = await import(pathToFileURL(join(folder, 'build.mjs')).href);
    return mod.build({ quiet });
  }
  const toolchain = await loadLanguage(language);
  return toolchain.build({ dir: folder, quiet, onStep: quiet ? () => {} : (label) => console.log(`  ${label}`) });
}

/** @param {Uint8Array} a @param {Uint8Array} b */
function sameBytes(a, b) {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

const OUTPUT = 'component.wasm';
const DIGEST = 'component.inputs.sha256';

/**
 * Files under `dir` (recursive, sorted), without build outputs, dotfiles and node_modules.
 * @param {string} dir
 */
async function sourceFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .filter((p) => {
      const parts = relative(dir, p).split('/');
      if (parts.some((x) => x.startsWith('.') || x === 'node_modules')) return false;
      // The manifest describes how the host runs the component, not how it is built.
      return ![OUTPUT, DIGEST, 'manifest.json'].includes(parts.join('/'));
    })
    .sort();
}

/**
 * sha256 over a folder's sources and the shared build inputs, one line per file.
 * @param {string} folder the example's folder
 */
export async function inputsDigest(folder) {
  const shared = [join(repoRoot, 'sdk', 'tooling', 'toolchain.mjs'), witPath];
  // An SDK project depends on the SDK's tooling and its language module; a folder with its own
  // build.mjs names what it reads besides its sources (`export const sharedInputs = [...]`).
  const language = await sdkLanguage(folder);
  const extra = language !== undefined
    ? ['sdk/tooling', `sdk/${LANGUAGES[language].dir}`]
    : /** @type {string[]} */ ((await import(pathToFileURL(join(folder, 'build.mjs')).href)).sharedInputs ?? []);
  for (const rel of extra) {
    const path = join(repoRoot, rel);
    for (const file of (await stat(path)).isDirectory() ? await sourceFiles(path) : [path]) if (!shared.includes(file)) shared.push(file);
  }
  const files = [...(await sourceFiles(folder)), ...shared];
  const hash = createHash('sha256');
  for (const file of files) {
    const content = createHash('sha256').update(await readFile(file)).digest('hex');
    hash.update(`${relative(repoRoot, file)}\0${content}\n`);
  }
  return hash.digest('hex');
}

/**
 * Builds the examples one after another. Never throws for a failed build: each result says
 * how it went, so one missing toolchain does not stop the others.
 * @param {{ dir?: string, only?: string[], force?: boolean, verify?: boolean, quiet?: boolean, log?: (line: string) => void }} [opts]
 *   `dir`: the folder holding the component folders (default: components/; the test fixtures
 *   use their own); `only`: folder names to build (default: all); `force`: rebuild even when the inputs
 *   digest matches, and write the result (default false); `verify`: rebuild even when the inputs
 *   digest matches, but keep the committed bytes of such an example (default false; a rebuild
 *   of changed inputs is written as always); `quiet`: no per-step output from the builders (default
 *   true); `log`: progress lines (default: none)
 * @returns {Promise<BuildResult[]>}
 */
export async function buildComponents({ dir = componentsDir, only, force = false, verify = false, quiet = true, log = () => {} } = {}) {
  const all = await listComponents(dir);
  const unknown = (only ?? []).filter((n) => !all.includes(n));
  if (unknown.length) throw new Error(`no such example: ${unknown.join(', ')} (have: ${all.join(', ')})`);
  const names = only?.length ? only : all;
  /** @type {BuildResult[]} */
  const results = [];
  for (const name of names) {
    const path = join(dir, name, OUTPUT);
    const digestPath = join(dir, name, DIGEST);
    const started = performance.now();
    try {
      const digest = await inputsDigest(join(dir, name));
      const old = existsSync(path) ? await readFile(path) : undefined;
      const oldDigest = existsSync(digestPath) ? (await readFile(digestPath, 'utf8')).trim() : '';
      const inputsUnchanged = old !== undefined && oldDigest === digest;
      if (!force && !verify && inputsUnchanged) {
        results.push({ name, path, status: 'up-to-date', sizeBytes: old.length, durationMs: 0 });
        log(`${name}: ${formatBytes(old.length)}, up to date`);
        continue;
      }
      log(`building ${name} …`);
      const bytes = await buildFolder(join(dir, name), quiet);
      const differs = !old || !sameBytes(old, bytes);
      // componentize-js output differs from build to build (see above): with `verify`, a build
      // of unchanged inputs proves the sources build and leaves the committed binary alone.
      const keep = verify && !force && inputsUnchanged;
      if (differs && !keep) await writeFile(path, bytes);
      if (oldDigest !== digest) await writeFile(digestPath, `${digest}\n`);
      const durationMs = performance.now() - started;
      const status = !differs ? 'unchanged' : keep ? 'verified' : 'written';
      results.push({ name, path, status, sizeBytes: bytes.length, durationMs });
      log(`  ${name}: ${formatBytes(bytes.length)} in ${(durationMs / 1000).toFixed(1)} s (${status})`);
    } catch (err) {
      const error = /** @type {Error} */ (err);
      results.push({ name, path, status: 'failed', durationMs: performance.now() - started, error });
      log(`  ${name}: FAILED: ${error.message}`);
    }
  }
  return results;
}

/** @param {number} n */
function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

async function main() {
  const args = process.argv.slice(2);
  const flags = args.filter((a) => a.startsWith('--'));
  const only = args.filter((a) => !a.startsWith('--'));
  const all = await listComponents();
  const bad = [...flags.filter((f) => !['--force', '--verify', '--verbose'].includes(f)), ...only.filter((n) => !all.includes(n))];
  if (bad.length || (flags.includes('--force') && flags.includes('--verify'))) {
    console.error(bad.length ? `unknown option or example: ${bad.join(' ')} (examples: ${all.join(', ')})` : '--force and --verify exclude each other');
    console.error('usage: node components/build.mjs [name ...] [--force | --verify] [--verbose]');
    process.exitCode = 2;
    return;
  }
  const results = await buildComponents({
    only,
    force: flags.includes('--force'),
    verify: flags.includes('--verify'),
    quiet: !flags.includes('--verbose'),
    log: (line) => console.log(line),
  });
  const failed = results.filter((r) => r.status === 'failed');
  if (!failed.length) return;
  const packages = [...new Set(failed.flatMap((r) => /** @type {any} */ (r.error).debianPackages ?? []))];
  if (packages.length) {
    console.error(
      `\nmissing toolchain: apt-get install -y ${packages.join(' ')}   (or: ${installHint})`,
    );
  }
  process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
