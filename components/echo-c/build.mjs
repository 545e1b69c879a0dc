// Builds echo-c: C → wasm32-wasi reactor core module (Debian clang-14 + wasi-libc) → component.
//
//   clang-14 --target=wasm32-wasi -mexec-model=reactor -std=c11 -Oz -Wall -Wextra -Werror \
//     -Wl,--strip-all -o <tmp>/echo.core.wasm echo.c
//   componentEmbed({ binary, witSource: wit/plugin.wit, world: 'plugin' })
//   componentNew(embedded, [['wasi_snapshot_preview1', <jco's reactor adapter>]])
//
// The canonical-ABI glue is hand-written in plugin-abi.h (no wit-bindgen offline).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { componentFromCore, requireFiles, run } from '../../sdk/tooling/toolchain.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const CLANG = 'clang-14';

/** Checks the pieces clang-14 needs besides itself, naming the Debian package of each. */
async function checkToolchain() {
  const opts = { debianPackage: 'clang-14' };
  const target = '--target=wasm32-wasi';
  // Prints an absolute path when clang finds the file, the bare name otherwise.
  const libc = (await run(CLANG, [target, '-print-file-name=libc.a'], opts)).trim();
  const builtins = (await run(CLANG, [target, '-print-libgcc-file-name'], opts)).trim();
  // clang-14 runs `wasm-ld` from its own bin directory (/usr/lib/llvm-14/bin), shipped by lld-14.
  const resourceDir = (await run(CLANG, ['-print-resource-dir'], opts)).trim();
  const wasmLd = join(resourceDir.replace(/\/lib\/clang\/[^/]+$/, ''), 'bin', 'wasm-ld');
  requireFiles([
    { path: libc.startsWith('/') ? libc : '/usr/lib/wasm32-wasi/libc.a', debianPackage: 'wasi-libc' },
    { path: builtins, debianPackage: 'libclang-rt-14-dev-wasm32' },
    { path: wasmLd, debianPackage: 'lld-14' },
  ]);
}

/**
 * Builds the component.
 * @param {{ quiet?: boolean }} [opts]
 * @returns {Promise<Uint8Array>} the component's bytes
 */
export async function build({ quiet = true } = {}) {
  await checkToolchain();
  const out = await mkdtemp(join(tmpdir(), 'echo-c-'));
  try {
    const core = join(out, 'echo.core.wasm');
    const args = [
      '--target=wasm32-wasi',
      '-mexec-model=reactor',
      '-std=c11',
      '-Oz',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-Wl,--strip-all',
      '-o',
      core,
      'echo.c',
    ];
    if (!quiet) console.log(`  ${CLANG} ${args.join(' ')}`);
    await run(CLANG, args, { cwd: here, debianPackage: 'clang-14' });
    return await componentFromCore(await readFile(core));
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
