import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LnError } from '../errors/ln-error.js';
import { readFileMapped } from '../support/mapped-file.js';
import { bindingsScript, isCurrentBindings } from './bindings-source.js';

/** What the cache keeps per key: the bindings (see `bindingsScript`) and the core modules by name. */
export interface TranspiledArtifact {
  readonly bindings: string;
  readonly modules: ReadonlyMap<string, Uint8Array>;
}

const BINDINGS_FILE = 'bindings.js';
const JSON_FILE = 'value.json';
/** The file names jco gives core modules: `component.core.wasm`, `component.core2.wasm`, … */
export const CORE_MODULE_FILE = /^[\w.-]+\.core\d*\.wasm$/;

/**
 * The cache entry of jco's output files: the bindings (`<name>.js`, as the classic script with
 * the lean call path of `bindingsScript`) and the core modules.
 *
 * @throws LnError `LN_ERR_LOAD_INVALID` when there are no bindings or they have an unknown shape
 */
export function transpiledArtifact(files: Readonly<Record<string, Uint8Array>>, name: string, subject: string): TranspiledArtifact {
  const js = files[`${name}.js`];
  if (!js) throw new LnError('LN_ERR_LOAD_INVALID', { subject, reason: 'transpile produced no bindings' });
  const modules = new Map<string, Uint8Array>();
  for (const [file, content] of Object.entries(files)) {
    if (CORE_MODULE_FILE.test(file)) modules.set(file, content);
  }
  return { bindings: bindingsScript(Buffer.from(js).toString('utf8')), modules };
}

/** Whether a rename failed because the target folder exists. */
function taken(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}

/**
 * The on-disk cache of transpile output (and of decoded types, as JSON entries), content-addressed
 * by a key the engine derives from the component digest, the jco version and the options.
 *
 * Entries are written to a temporary folder and renamed into place, so a crash never leaves a
 * half-written entry under its key; an unreadable entry is treated as a miss.
 */
export class TranspileCache {
  readonly #dir: string;

  /** @param dir - the cache folder (created on first write) */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The cache folder. */
  get dir(): string {
    return this.#dir;
  }

  /**
   * Reads an entry, or returns undefined when it is missing, damaged, or its bindings were made in
   * another format (`BINDINGS_FORMAT`: an older host's entry is made again and replaced).
   */
  async get(key: string): Promise<TranspiledArtifact | undefined> {
    const dir = join(this.#dir, key);
    try {
      const names = (await readdir(dir)).filter((n) => CORE_MODULE_FILE.test(n)).sort();
      // Read side by side, and kept as read: no copy of 11 MB modules (see `readFileMapped`).
      const [bindings, ...contents] = await Promise.all([readFile(join(dir, BINDINGS_FILE), 'utf8'), ...names.map((name) => readFileMapped(join(dir, name)))]);
      if (!isCurrentBindings(bindings as string)) return undefined;
      return { bindings: bindings as string, modules: new Map(names.map((name, i) => [name, contents[i] as Uint8Array])) };
    } catch {
      return undefined;
    }
  }

  /**
   * Stores an entry atomically; a concurrent writer of the same key wins harmlessly, a damaged
   * entry under the key is replaced.
   */
  async put(key: string, artifact: TranspiledArtifact): Promise<void> {
    for (const name of artifact.modules.keys()) {
      if (!CORE_MODULE_FILE.test(name)) throw new Error(`bad module name ${name}`);
    }
    await this.#write(key, [[BINDINGS_FILE, artifact.bindings], ...artifact.modules], async () => (await this.get(key)) !== undefined);
  }

  /** Reads a JSON entry (see `putJson`), or returns undefined when it is missing or damaged. */
  async getJson(key: string): Promise<unknown> {
    try {
      return JSON.parse(await readFile(join(this.#dir, key, JSON_FILE), 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  /** Stores a JSON value (a decoded component) atomically under its own key. */
  async putJson(key: string, value: unknown): Promise<void> {
    await this.#write(key, [[JSON_FILE, JSON.stringify(value)]], async () => (await this.getJson(key)) !== undefined);
  }

  async #write(key: string, files: ReadonlyArray<readonly [string, string | Uint8Array]>, intact: () => Promise<boolean>): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const tmp = join(this.#dir, `.tmp-${key}-${randomBytes(6).toString('hex')}`);
    await mkdir(tmp);
    const target = join(this.#dir, key);
    try {
      for (const [name, content] of files) await writeFile(join(tmp, name), content);
      try {
        await rename(tmp, target);
      } catch (err) {
        if (!taken(err)) throw err;
        // Another writer's entry wins; a damaged one (a reader found it unreadable) is replaced.
        if (await intact()) return;
        await rm(target, { recursive: true, force: true });
        await rename(tmp, target);
      }
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if (taken(err)) return;
      throw err;
    }
  }
}
