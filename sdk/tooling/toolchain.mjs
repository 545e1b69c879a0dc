// The SDK's build helpers, shared by every language's toolchain (sdk/<lang>/toolchain.mjs), the
// example plugins' build scripts (components/*/build.mjs) and the test fixtures.
// Plain Node ESM so that building a plugin needs no TypeScript compile step.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);

/** The repository root (sdk/tooling/../..). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The plugin WIT package every example is built against. */
export const witPath = fileURLToPath(new URL('../../wit/plugin.wit', import.meta.url));

/** The command that installs every Debian package the examples need. */
export const installHint = '.ci/install-toolchains.sh';

/**
 * Build tools are not installed. `debianPackages` names the packages that provide them; the
 * top-level build prints them with the install command.
 */
export class ToolchainMissingError extends Error {
  /** @param {Array<{ what: string, debianPackage: string }>} missing the missing tools or files */
  constructor(missing) {
    const packages = [...new Set(missing.map((m) => m.debianPackage))];
    super(
      `${missing.map((m) => m.what).join(', ')} not found: install the Debian ` +
        `package${packages.length > 1 ? 's' : ''} ${packages.join(' ')} ` +
        `(apt-get install ${packages.join(' ')}, or run ${installHint} for all of them)`,
    );
    this.name = 'ToolchainMissingError';
    this.code = 'TOOLCHAIN_MISSING';
    this.debianPackages = packages;
  }
}

/**
 * Runs a command, resolving to its stdout. A command that does not exist rejects with a
 * ToolchainMissingError naming `debianPackage`; a failing one rejects with its stderr.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd?: string, debianPackage: string, env?: NodeJS.ProcessEnv }} opts `env`: the
 *   environment (its PATH finds `cmd`; default: this process's)
 */
export async function run(cmd, args, { cwd, debianPackage, env }) {
  try {
    const { stdout } = await execFileAsync(cmd, args, { cwd, env, maxBuffer: 64 << 20 });
    return stdout;
  } catch (err) {
    if (err && /** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') {
      throw new ToolchainMissingError([{ what: cmd, debianPackage }]);
    }
    const e = /** @type {{ stderr?: string, message: string }} */ (err);
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.stderr || e.message}`, { cause: err });
  }
}

/**
 * Throws a ToolchainMissingError naming every `{ path, debianPackage }` whose path does not exist.
 * @param {Array<{ path: string, debianPackage: string }>} files
 */
export function requireFiles(files) {
  const missing = files
    .filter((f) => !existsSync(f.path))
    .map((f) => ({ what: f.path, debianPackage: f.debianPackage }));
  if (missing.length) throw new ToolchainMissingError(missing);
}

/** The text of wit/plugin.wit. */
export function readWit() {
  return readFile(witPath, 'utf8');
}

/**
 * Turns a core module built for the `plugin` world into a component: embeds the WIT
 * (`wasm-tools component embed`) and wraps it (`wasm-tools component new`) with jco's WASI
 * preview1 reactor adapter, which is only linked in if the module imports wasi_snapshot_preview1.
 *
 * The vendored wasm-tools runs without file-system access, so the WIT goes in as text
 * (`witSource`), never as `witPath`.
 * @param {Uint8Array} core the core module
 * @param {{ world?: string }} [opts]
 * @returns {Promise<Uint8Array>}
 */
export async function componentFromCore(core, { world = 'plugin' } = {}) {
  const { componentEmbed, componentNew } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  // jco's package exports do not list lib/, so go there from its main entry (dist/api.js).
  const jcoMain = require.resolve('@bytecodealliance/jco');
  const adapterPath = join(dirname(jcoMain), '..', 'lib', 'wasi_snapshot_preview1.reactor.wasm');
  const embedded = await componentEmbed({ binary: core, witSource: await readWit(), world });
  return componentNew(embedded, [['wasi_snapshot_preview1', await readFile(adapterPath)]]);
}

/**
 * Turns a core module built as a WASI preview1 command (wasi-libc's `_start`, e.g. clang
 * `--target=wasm32-wasi` without `-mexec-model=reactor`) into a `wasi:cli/command` component
 * (`wasm-tools component new`) with jco's WASI preview1 command adapter. No WIT is embedded: the
 * component's imports are the WASI 0.2 interfaces the adapter uses, its export `wasi:cli/run`.
 * @param {Uint8Array} core the core module
 * @returns {Promise<Uint8Array>}
 */
export async function commandComponentFromCore(core) {
  const { componentNew } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  const jcoMain = require.resolve('@bytecodealliance/jco');
  const adapterPath = join(dirname(jcoMain), '..', 'lib', 'wasi_snapshot_preview1.command.wasm');
  return componentNew(core, [['wasi_snapshot_preview1', await readFile(adapterPath)]]);
}
