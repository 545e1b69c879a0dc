import { writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { LnError } from '../../errors/ln-error.js';
import { parseCommandArgs, usageError } from '../args.js';
import type { CliIo } from '../cli-io.js';
import { loadLanguage, readProject } from '../sdk-project.js';

export const BUILD_HELP = `Usage: lnano build [folder] [--out <file>] [--verbose]

Builds the plugin project in <folder> (default: the current folder), made by \`lnano new\`: reads
its lnano.json for the language, runs that language's toolchain (compile, then embed
wit/plugin.wit and wrap the core module into a component) and writes the component. Prints each
step, then the component's size and the build time.

A missing toolchain fails with LN_ERR_CONFIG_TOOLCHAIN_MISSING naming the Debian packages to
install; a compile error prints the compiler's output and fails with LN_ERR_CONFIG_BUILD_FAILED.

Options:
  --out <file>   where to write the component (default: <folder>/component.wasm, which the
                 project's manifest.json points at)
  --verbose      print every command in full
  -h, --help     show this help
`;

interface BuildFlags {
  out?: string;
  verbose?: boolean;
  help?: boolean;
}

/** A thrown toolchain error of the SDK (sdk/tooling/toolchain.mjs `ToolchainMissingError`). */
interface ToolchainMissing {
  readonly code: 'TOOLCHAIN_MISSING';
  readonly message: string;
  readonly debianPackages: readonly string[];
}

function isToolchainMissing(err: unknown): err is ToolchainMissing {
  return typeof err === 'object' && err !== null && (err as ToolchainMissing).code === 'TOOLCHAIN_MISSING';
}

/** The first line of a tool's output that says "error", else the message's first line. */
function firstError(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /\berror\b/i.test(l) && !/ failed:$/.test(l)) ?? lines[0] ?? 'unknown error';
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;
}

/** `lnano build`: returns the process exit code. */
export async function buildCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs<BuildFlags>('build', argv, {
    out: { type: 'string' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(BUILD_HELP);
    return 0;
  }
  if (positionals.length > 1) throw usageError('build', `unexpected argument "${positionals[1]}"`);
  const dir = resolve(io.cwd, positionals[0] ?? '.');
  const shown = relative(io.cwd, dir) || '.';
  const project = await readProject(dir);
  const module = await loadLanguage('build', project.language);
  const out = resolve(io.cwd, values.out ?? resolve(dir, 'component.wasm'));

  const started = performance.now();
  let step = 'start';
  io.stdout.write(`building ${shown} (${project.language})\n`);
  let bytes: Uint8Array;
  try {
    bytes = await module.build({
      dir,
      quiet: !values.verbose,
      env: io.env,
      onStep: (label) => {
        step = label.split(':')[0]!;
        io.stdout.write(`  ${label}\n`);
      },
    });
  } catch (err) {
    if (isToolchainMissing(err)) {
      throw new LnError(
        'LN_ERR_CONFIG_TOOLCHAIN_MISSING',
        {
          language: project.language,
          reason: err.message,
          packages: err.debianPackages.join(' '),
        },
        { cause: err },
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    // Before the first step, the language module was reading the project's own settings.
    if (step === 'start') throw new LnError('LN_ERR_CONFIG_PROJECT_INVALID', { dir: shown, reason: message }, { cause: err });
    io.stderr.write(`${message.trimEnd()}\n\n`);
    throw new LnError('LN_ERR_CONFIG_BUILD_FAILED', { dir: shown, language: project.language, step, reason: firstError(message) }, { cause: err });
  }
  await writeFile(out, bytes);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const outShown = relative(io.cwd, out);
  io.stdout.write(`wrote ${outShown.startsWith('..') ? out : outShown} (${formatBytes(bytes.length)}) in ${seconds} s\n`);
  return 0;
}
