/**
 * The SDK as the CLI sees it: where `sdk/` is, its language modules, and the project marker
 * `lnano.json` that `lnano new` writes and `lnano build` reads.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { LnError } from '../errors/ln-error.js';
import { describeIssues } from '../support/schema.js';

/** The project marker's file name. */
export const PROJECT_FILE = 'lnano.json';

/** A language's toolchain module, `sdk/<lang>/toolchain.mjs` (sdk/README.md, "Language modules"). */
export interface LanguageModule {
  scaffold(opts: { dir: string; name: string }): Promise<string[]>;
  check(opts?: { env?: NodeJS.ProcessEnv }): Promise<void>;
  build(opts: { dir: string; quiet?: boolean; onStep?: (label: string) => void; env?: NodeJS.ProcessEnv }): Promise<Uint8Array>;
}

/** What the SDK's languages.mjs exports. */
interface LanguagesIndex {
  LANGUAGES: Readonly<Record<string, { label: string; dir: string }>>;
}

/**
 * The SDK folder of this installation: the first `sdk/` holding languages.mjs above this file
 * (host/cli/ when run from sources, dist/host/cli/ when compiled; both sit under the package).
 */
export function sdkDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'sdk', 'languages.mjs'))) return join(dir, 'sdk');
    const up = dirname(dir);
    if (up === dir) throw new LnError('LN_ERR_INTERNAL_UNEXPECTED', { reason: 'the SDK (sdk/languages.mjs) is not installed next to the CLI' });
    dir = up;
  }
}

/** The supported languages: id → label, in the SDK's order. */
export async function languages(): Promise<Readonly<Record<string, { label: string; dir: string }>>> {
  const index = (await import(pathToFileURL(join(sdkDir(), 'languages.mjs')).href)) as LanguagesIndex;
  return index.LANGUAGES;
}

/**
 * The toolchain module of `language`.
 * @throws LN_ERR_CONFIG_USAGE for an unknown language, or one this installation lacks
 */
export async function loadLanguage(command: string, language: string): Promise<LanguageModule> {
  const all = await languages();
  const entry = Object.hasOwn(all, language) ? all[language] : undefined;
  if (!entry) {
    throw new LnError('LN_ERR_CONFIG_USAGE', { command, reason: `lnano ${command}: unknown language "${language}" (known: ${Object.keys(all).join(', ')})` });
  }
  const file = join(sdkDir(), entry.dir, 'toolchain.mjs');
  if (!existsSync(file)) {
    throw new LnError('LN_ERR_CONFIG_USAGE', { command, reason: `lnano ${command}: ${entry.label} is not available in this installation (no ${file})` });
  }
  return (await import(pathToFileURL(file).href)) as LanguageModule;
}

/** lnano.json: the language, and settings only that language reads under `build`. */
const projectSchema = z.strictObject({
  $schema: z.string().optional(),
  language: z.string().min(1),
  build: z.record(z.string(), z.unknown()).optional(),
});
export type Project = z.infer<typeof projectSchema>;

/**
 * Reads and checks `<dir>/lnano.json`.
 * @throws LN_ERR_CONFIG_PROJECT_INVALID when it is missing, not JSON, has unknown keys or an
 *   unknown language
 */
export async function readProject(dir: string): Promise<Project> {
  const file = join(dir, PROJECT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `no ${PROJECT_FILE} in it` : `cannot read ${PROJECT_FILE}: ${(err as Error).message}`;
    throw new LnError('LN_ERR_CONFIG_PROJECT_INVALID', { dir, reason });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LnError('LN_ERR_CONFIG_PROJECT_INVALID', { dir, reason: `${PROJECT_FILE} is not JSON: ${(err as Error).message}` });
  }
  const parsed = projectSchema.safeParse(json);
  if (!parsed.success) throw new LnError('LN_ERR_CONFIG_PROJECT_INVALID', { dir, reason: `${PROJECT_FILE}: ${describeIssues(parsed.error)}` });
  const all = await languages();
  if (!Object.hasOwn(all, parsed.data.language)) {
    throw new LnError('LN_ERR_CONFIG_PROJECT_INVALID', {
      dir,
      reason: `${PROJECT_FILE}: unknown language "${parsed.data.language}" (known: ${Object.keys(all).join(', ')})`,
    });
  }
  return parsed.data;
}
