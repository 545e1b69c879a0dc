import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { LnError } from '../../errors/ln-error.js';
import { parseCommandArgs, usageError } from '../args.js';
import type { CliIo } from '../cli-io.js';
import { languages, loadLanguage, PROJECT_FILE, sdkDir } from '../sdk-project.js';

export const NEW_HELP = `Usage: lnano new <name> --lang <language> [--dir <folder>]

Starts a plugin project: writes ${PROJECT_FILE} (the project marker \`lnano build\` reads), the
sources of a working plugin for the \`plugin\` world (it echoes each event back), a manifest.json
ready for \`lnano deploy\`, and a README. Then checks the language's toolchain and says which
Debian packages to install if some are missing.

<name> is the plugin's name, kebab-case like in manifests: a-z, 0-9 and single dashes, starting
with a letter, at most 63 characters.

Options:
  --lang <language>   c, cpp, rust, ts, js, assemblyscript or wat (required; \`lnano new --help\`
                      says which this installation has)
  --dir <folder>      where to create it (default: ./<name>); must be new or empty
  -h, --help          show this help
`;

/** Plugin names, as in manifests, without a trailing dash or double dashes. */
const KEBAB_NAME = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,62}$/;

interface NewFlags {
  lang?: string;
  dir?: string;
  help?: boolean;
}

/** Throws LN_ERR_CONFIG_DIR_NOT_EMPTY unless `dir` is missing or an empty folder. */
async function requireEmptyDir(dir: string): Promise<void> {
  const info = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!info) return;
  if (!info.isDirectory()) throw new LnError('LN_ERR_CONFIG_DIR_NOT_EMPTY', { dir, reason: 'it exists and is not a folder' });
  const entries = await readdir(dir);
  if (entries.length > 0) {
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
    throw new LnError('LN_ERR_CONFIG_DIR_NOT_EMPTY', { dir, reason: `it holds ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} (${shown})` });
  }
}

/**
 * Points the new project's manifest.json at the manifest JSON Schema of this installation
 * (`"$schema"`, a path relative to the project, as the examples in components/ do), so editors
 * complete and check it. The templates stay as they are: the line is added to the written text.
 */
async function linkManifestSchema(dir: string): Promise<void> {
  const file = join(dir, 'manifest.json');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined || !text.startsWith('{\n') || text.includes('"$schema"')) return;
  const schema = relative(dir, join(sdkDir(), '..', 'docs', 'manifest.schema.json'))
    .split(sep)
    .join('/');
  await writeFile(file, `{\n  "$schema": ${JSON.stringify(schema)},\n${text.slice(2)}`);
}

/** `lnano new`: returns the process exit code. */
export async function newCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs<NewFlags>('new', argv, {
    lang: { type: 'string' },
    dir: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    const known = Object.entries(await languages()).map(
      ([id, l]) => `  ${id.padEnd(15)} ${l.label}${existsSync(join(sdkDir(), l.dir, 'toolchain.mjs')) ? '' : ' (not in this installation)'}`,
    );
    io.stdout.write(`${NEW_HELP}\nLanguages:\n${known.join('\n')}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw usageError('new', positionals.length === 0 ? 'missing <name>' : `unexpected argument "${positionals[1]}"`);
  const name = positionals[0]!;
  if (!KEBAB_NAME.test(name)) {
    throw usageError('new', `"${name}" is not a plugin name: use kebab-case (a-z, 0-9, single dashes), starting with a letter, at most 63 characters`);
  }
  if (values.lang === undefined) throw usageError('new', 'missing --lang <language>');
  const language = values.lang;
  const module = await loadLanguage('new', language);
  const dir = resolve(io.cwd, values.dir ?? name);
  await requireEmptyDir(dir);

  await mkdir(dir, { recursive: true });
  await writeFile(resolve(dir, PROJECT_FILE), `${JSON.stringify({ language }, null, 2)}\n`, { flag: 'wx' });
  const files = [PROJECT_FILE, ...(await module.scaffold({ dir, name }))];
  await linkManifestSchema(dir);
  const shown = relative(io.cwd, dir) || '.';
  io.stdout.write(`created ${name} (${language}) in ${shown}:\n${files.map((f) => `  ${f}\n`).join('')}`);
  try {
    await module.check({ env: io.env });
  } catch (err) {
    io.stdout.write(`\nnote: this machine cannot build it yet: ${(err as Error).message}\n`);
  }
  io.stdout.write(`\nnext:\n  cd ${shown}\n  lnano build\n  lnano deploy .        # to a running \`lnano serve\`\n`);
  return 0;
}
