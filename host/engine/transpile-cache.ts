import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** What the cache keeps per key: the classic-script bindings and the core modules by name. */
export interface TranspiledArtifact {
  readonly bindings: string;
  readonly modules: ReadonlyMap<string, Uint8Array>;
}

const BINDINGS_FILE = 'bindings.js';
/** The file names jco gives core modules: `component.core.wasm`, `component.core2.wasm`, … */
export const CORE_MODULE_FILE = /^[\w.-]+\.core\d*\.wasm$/;

/**
 * The on-disk cache of transpile output, content-addressed by a key the engine derives from the
 * component digest, the jco version and the options.
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

  /** Reads an entry, or returns undefined when it is missing or damaged. */
  async get(key: string): Promise<TranspiledArtifact | undefined> {
    const dir = join(this.#dir, key);
    try {
      const names = await readdir(dir);
      const bindings = await readFile(join(dir, BINDINGS_FILE), 'utf8');
      const modules = new Map<string, Uint8Array>();
      for (const name of names.filter((n) => CORE_MODULE_FILE.test(n)).sort()) {
        modules.set(name, new Uint8Array(await readFile(join(dir, name))));
      }
      return { bindings, modules };
    } catch {
      return undefined;
    }
  }

  /** Stores an entry atomically; a concurrent writer of the same key wins harmlessly. */
  async put(key: string, artifact: TranspiledArtifact): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const tmp = join(this.#dir, `.tmp-${key}-${randomBytes(6).toString('hex')}`);
    await mkdir(tmp);
    try {
      await writeFile(join(tmp, BINDINGS_FILE), artifact.bindings);
      for (const [name, bytes] of artifact.modules) {
        if (!CORE_MODULE_FILE.test(name)) throw new Error(`bad module name ${name}`);
        await writeFile(join(tmp, name), bytes);
      }
      await rename(tmp, join(this.#dir, key));
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw err;
    }
  }
}
