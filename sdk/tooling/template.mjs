// Writes a language's project template (sdk/<lang>/template/) into a new project folder.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/**
 * Copies every file under `templateDir` to `dir`, replacing `{{key}}` with `vars[key]` in file
 * contents and names, then writes `extra` (relative path → text, as is: files a language
 * generates rather than copies). Refuses a folder that has anything in it besides the project
 * marker `lnano.json` (which `lnano new` writes first), and never overwrites a file (`wx`).
 * @param {string} templateDir
 * @param {string} dir the project folder (created if missing)
 * @param {Record<string, string>} vars
 * @param {Record<string, string>} [extra]
 * @returns {Promise<string[]>} the files written, relative to `dir`, sorted
 */
export async function writeTemplate(templateDir, dir, vars, extra = {}) {
  if (existsSync(dir) && (await readdir(dir)).some((entry) => entry !== 'lnano.json')) {
    throw new Error(`${dir} is not empty: a new plugin needs an empty or new folder`);
  }
  const fill = (text) => text.replace(/\{\{(\w+)\}\}/g, (whole, key) => (Object.hasOwn(vars, key) ? vars[key] : whole));
  const entries = await readdir(templateDir, { withFileTypes: true, recursive: true });
  const written = [];
  for (const [rel, text] of Object.entries(extra)) {
    const to = join(dir, rel);
    await mkdir(dirname(to), { recursive: true });
    await writeFile(to, text, { flag: 'wx' });
    written.push(rel);
  }
  for (const e of entries.filter((x) => x.isFile())) {
    const from = join(e.parentPath ?? e.path, e.name);
    const rel = fill(relative(templateDir, from));
    const to = join(dir, rel);
    await mkdir(dirname(to), { recursive: true });
    await writeFile(to, fill(await readFile(from, 'utf8')), { flag: 'wx' });
    written.push(rel);
  }
  return written.sort();
}

/**
 * The language's own settings from the project's lnano.json (its `build` object), checked
 * against the keys the language knows.
 * @param {string} dir the project folder
 * @param {Record<string, 'string[]'>} known the accepted keys and their types
 * @returns {Promise<Record<string, string[]>>}
 * @throws {Error} naming an unknown key or a value of the wrong type
 */
export async function readBuildSettings(dir, known) {
  const project = JSON.parse(await readFile(join(dir, 'lnano.json'), 'utf8'));
  const build = project.build ?? {};
  if (typeof build !== 'object' || build === null || Array.isArray(build)) throw new Error('lnano.json: "build" must be an object');
  for (const [key, value] of Object.entries(build)) {
    if (!Object.hasOwn(known, key)) {
      throw new Error(`lnano.json: unknown key "build.${key}" (known: ${Object.keys(known).join(', ') || 'none'})`);
    }
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      throw new Error(`lnano.json: "build.${key}" must be a list of strings`);
    }
  }
  return build;
}
