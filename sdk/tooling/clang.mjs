// Building a C or C++ plugin with Debian's clang-14 for wasm32-wasi (reactor), shared by
// sdk/c and sdk/cpp: finding the toolchain's pieces, compiling a project's sources into one core
// module, and wrapping it into a component of the world its exports pick.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { componentFromCore, requireFiles, run } from './toolchain.mjs';
import { readBuildSettings } from './template.mjs';
import { worldOfCore } from './world.mjs';

/** The folder holding liquid_nano.h (and liquid_nano.hpp in sdk/cpp). */
export const cIncludeDir = fileURLToPath(new URL('../c/', import.meta.url));
export const cppIncludeDir = fileURLToPath(new URL('../cpp/', import.meta.url));

const TARGET = '--target=wasm32-wasi';

/**
 * Throws a ToolchainMissingError naming the Debian package of every missing piece: the
 * compiler, wasi-libc, the wasm32 compiler-rt builtins, wasm-ld, and for C++ libc++/libc++abi.
 * @param {{ cxx: boolean, env?: NodeJS.ProcessEnv }} opts
 */
export async function checkClang({ cxx, env }) {
  const cc = cxx ? 'clang++-14' : 'clang-14';
  const opts = { debianPackage: 'clang-14', env };
  // -print-file-name prints an absolute path when clang finds the file, the bare name otherwise.
  const found = async (file) => (await run(cc, [TARGET, `-print-file-name=${file}`], opts)).trim();
  const libc = await found('libc.a');
  const builtins = (await run(cc, [TARGET, '-print-libgcc-file-name'], opts)).trim();
  // clang-14 runs `wasm-ld` from its own bin directory (/usr/lib/llvm-14/bin), shipped by lld-14.
  const resourceDir = (await run(cc, ['-print-resource-dir'], opts)).trim();
  const wasmLd = join(resourceDir.replace(/\/lib\/clang\/[^/]+$/, ''), 'bin', 'wasm-ld');
  const abs = (p, fallback) => (p.startsWith('/') ? p : fallback);
  const files = [
    { path: abs(libc, '/usr/lib/wasm32-wasi/libc.a'), debianPackage: 'wasi-libc' },
    { path: builtins, debianPackage: 'libclang-rt-14-dev-wasm32' },
    { path: wasmLd, debianPackage: 'lld-14' },
  ];
  if (cxx) {
    files.push({ path: abs(await found('libc++.a'), '/usr/lib/wasm32-wasi/libc++.a'), debianPackage: 'libc++-14-dev-wasm32' });
    files.push({ path: abs(await found('libc++abi.a'), '/usr/lib/wasm32-wasi/libc++abi.a'), debianPackage: 'libc++abi-14-dev-wasm32' });
  }
  requireFiles(files);
}

/** The files under `dir` whose names end in one of `extensions`, relative, sorted. */
async function sources(dir, extensions) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && extensions.some((x) => e.name.endsWith(x)))
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

/**
 * Compiles `<dir>/src/**` (C: *.c; C++: *.cpp, *.cc, *.cxx) into one core module and returns
 * the component. Extra compiler flags come from lnano.json `build.flags`.
 * @param {{ dir: string, cxx: boolean, quiet?: boolean, onStep?: (label: string) => void, env?: NodeJS.ProcessEnv }} opts
 * @returns {Promise<Uint8Array>}
 */
export async function buildClang({ dir, cxx, quiet = true, onStep = () => {}, env }) {
  const cc = cxx ? 'clang++-14' : 'clang-14';
  const settings = await readBuildSettings(dir, { flags: 'string[]' });
  onStep('check toolchain');
  await checkClang({ cxx, env });
  const srcDir = join(dir, 'src');
  const files = await sources(srcDir, cxx ? ['.cpp', '.cc', '.cxx'] : ['.c']).catch(() => []);
  if (files.length === 0) throw new Error(`no ${cxx ? 'C++ (.cpp)' : 'C (.c)'} sources under ${srcDir}`);
  const out = await mkdtemp(join(tmpdir(), 'lnano-build-'));
  try {
    const core = join(out, 'core.wasm');
    const language = cxx ? ['-std=c++17', '-fno-exceptions', '-fno-rtti', '-I', cppIncludeDir] : ['-std=c11'];
    const args = [
      TARGET, '-mexec-model=reactor', ...language, '-I', cIncludeDir, '-I', srcDir,
      '-Oz', '-Wall', '-Wextra', ...(settings.flags ?? []),
      '-Wl,--strip-all', '-o', core, ...files.map((f) => relative(dir, f)),
    ];
    onStep(`compile: ${cc} ${quiet ? files.map((f) => relative(dir, f)).join(' ') : args.join(' ')}`);
    await run(cc, args, { cwd: dir, debianPackage: 'clang-14', env });
    const bytes = await readFile(core);
    const world = worldOfCore(bytes);
    onStep(`componentize: embed wit/plugin.wit (world ${world}) + new (WASI reactor adapter)`);
    return await componentFromCore(bytes, { world });
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
