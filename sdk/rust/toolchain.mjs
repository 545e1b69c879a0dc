// Rust plugins without cargo or crates.io: rustc (Debian's 1.63 has the wasm32 standard library
// in libstd-rust-dev-wasm32) compiles the guest crate sdk/rust/src/lib.rs to an rlib and the
// project's src/lib.rs to a wasm32-unknown-unknown cdylib, which is wrapped into a component.
// See sdk/README.md ("Language modules").
//
// wasm32-unknown-unknown, not wasm32-wasi: the module then imports nothing but the host
// services, and a plain wasm32-wasi cdylib fails at run time (`cannot leave component instance`).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readBuildSettings, writeTemplate } from '../tooling/template.mjs';
import { componentFromCore, run, ToolchainMissingError } from '../tooling/toolchain.mjs';
import { worldOfCore } from '../tooling/world.mjs';

const execFileAsync = promisify(execFile);
const templateDir = fileURLToPath(new URL('./template/', import.meta.url));
const crateSource = fileURLToPath(new URL('./src/lib.rs', import.meta.url));
const TARGET = 'wasm32-unknown-unknown';

/**
 * Writes a new Rust plugin (src/lib.rs, manifest.json, README.md) into `dir`.
 * @param {{ dir: string, name: string }} opts
 */
export function scaffold({ dir, name }) {
  return writeTemplate(templateDir, dir, { name });
}

/** Whether the rustc at `path` has the standard library for TARGET. */
async function hasWasmStd(path, env) {
  try {
    const { stdout } = await execFileAsync(path, ['--print', 'sysroot'], { env });
    const lib = join(stdout.trim(), 'lib', 'rustlib', TARGET, 'lib');
    return existsSync(lib) && readdirSync(lib).some((f) => f.startsWith('libstd-'));
  } catch {
    return false;
  }
}

/**
 * The first `rustc` on PATH that can build for wasm32-unknown-unknown (rustup's may come first
 * and lack the target; Debian's /usr/bin/rustc has it with libstd-rust-dev-wasm32).
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {Promise<string>} its path
 * @throws {ToolchainMissingError} naming rustc and/or libstd-rust-dev-wasm32
 */
export async function findRustc(env = process.env) {
  const found = [];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const path = join(dir, 'rustc');
    if (!existsSync(path) || found.includes(path)) continue;
    found.push(path);
    if (await hasWasmStd(path, env)) return path;
  }
  if (found.length === 0) {
    throw new ToolchainMissingError([
      { what: 'rustc', debianPackage: 'rustc' },
      { what: `the ${TARGET} standard library`, debianPackage: 'libstd-rust-dev-wasm32' },
    ]);
  }
  throw new ToolchainMissingError([
    { what: `a rustc with the ${TARGET} standard library (${found.join(', ')} ha${found.length > 1 ? 've' : 's'} none)`, debianPackage: 'libstd-rust-dev-wasm32' },
  ]);
}

/** @param {{ env?: NodeJS.ProcessEnv }} [opts] */
export async function check({ env } = {}) {
  await findRustc(env);
}

/**
 * Compiles the guest crate and src/lib.rs; extra rustc flags come from lnano.json `build.flags`.
 * @param {{ dir: string, quiet?: boolean, onStep?: (label: string) => void, env?: NodeJS.ProcessEnv }} opts
 * @returns {Promise<Uint8Array>}
 */
export async function build({ dir, quiet = true, onStep = () => {}, env }) {
  const settings = await readBuildSettings(dir, { flags: 'string[]' });
  onStep('check toolchain');
  const rustc = await findRustc(env);
  const main = join(dir, 'src', 'lib.rs');
  if (!existsSync(main)) throw new Error(`no Rust crate root at ${main}`);
  const out = await mkdtemp(join(tmpdir(), 'lnano-build-'));
  try {
    const common = ['--edition', '2021', '--target', TARGET, '-C', 'opt-level=s', '-C', 'panic=abort'];
    const rlib = join(out, 'libliquid_nano.rlib');
    const crateArgs = [...common, '--crate-type', 'rlib', '--crate-name', 'liquid_nano', '-o', rlib, crateSource];
    onStep(`compile guest crate: ${quiet ? 'rustc liquid_nano' : `${rustc} ${crateArgs.join(' ')}`}`);
    await run(rustc, crateArgs, { cwd: dir, debianPackage: 'rustc', env });
    const core = join(out, 'core.wasm');
    const args = [...common, '--crate-type', 'cdylib', '--crate-name', 'plugin', '-C', 'strip=symbols',
      '-L', out, '--extern', `liquid_nano=${rlib}`, ...(settings.flags ?? []), '-o', core, 'src/lib.rs'];
    onStep(`compile: ${quiet ? 'rustc src/lib.rs' : `${rustc} ${args.join(' ')}`}`);
    await run(rustc, args, { cwd: dir, debianPackage: 'rustc', env });
    const bytes = await readFile(core);
    const world = worldOfCore(bytes);
    onStep(`componentize: embed wit/plugin.wit (world ${world}) + new`);
    return await componentFromCore(bytes, { world });
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
