/**
 * The artifact store: component bytes kept by content, at `<data-dir>/artifacts/sha256/<hex>.wasm`.
 *
 * A digest names exactly one sequence of bytes, so a stored file is never rewritten in place: `put`
 * writes a temporary file in the same folder, fsyncs it, renames it over the final name and fsyncs
 * the folder, so after a crash a digest's file is either absent or whole. `get` hashes what it
 * reads, so a file damaged on disk is reported, never served.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LnError } from '../errors/ln-error.js';
import { readFileMapped } from '../support/mapped-file.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../support/private-files.js';

/** A digest as Liquid Nano writes it everywhere (manifests, registry, audit): `sha256:<64 lowercase hex>`. */
export const DIGEST = /^sha256:[0-9a-f]{64}$/;

const ARTIFACT_FILE = /^([0-9a-f]{64})\.wasm$/;
const TEMPORARY_PREFIX = '.tmp-';

/** The digest of some bytes, `sha256:<hex>`. */
export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * The hex part of a digest, after checking its form; anything else (`../x`, uppercase, another
 * length or algorithm) never reaches the file system.
 *
 * @throws LnError `LN_ERR_LOAD_NOT_FOUND` for a string that is not a digest
 */
export function hexOf(digest: string): string {
  if (typeof digest !== 'string' || !DIGEST.test(digest)) {
    throw new LnError('LN_ERR_LOAD_NOT_FOUND', {
      path: String(digest).slice(0, 100),
      reason: 'not a digest of the form sha256:<64 lowercase hex digits>',
    });
  }
  return digest.slice('sha256:'.length);
}

/** Flushes a folder's entries (new, renamed or removed names) to disk. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Content-addressed component bytes in the data directory.
 *
 * @example
 * const store = new ArtifactStore('.lnano');
 * const digest = await store.put(bytes);   // 'sha256:…'
 * const same = await store.get(digest);    // verified against the digest
 */
export class ArtifactStore {
  /** The folder holding `<hex>.wasm` files. */
  readonly dir: string;
  readonly #dataDir: string;
  #dirReady = false;

  /** @param dataDir - the data directory; the store lives in its `artifacts/sha256` folder */
  constructor(dataDir: string) {
    this.#dataDir = dataDir;
    this.dir = join(dataDir, 'artifacts', 'sha256');
  }

  /** The file a digest is stored in (whether or not it exists). @throws LnError `LN_ERR_LOAD_NOT_FOUND` for a malformed digest */
  pathOf(digest: string): string {
    return join(this.dir, `${hexOf(digest)}.wasm`);
  }

  /**
   * Stores bytes and returns their digest. Idempotent: bytes already stored (and intact) are not
   * written again; a damaged file under the same digest is replaced. Durable when it returns.
   */
  async put(bytes: Uint8Array): Promise<string> {
    const digest = digestOf(bytes);
    const path = this.pathOf(digest);
    if (await this.#intact(path, digest)) return digest;
    await this.#ensureDir();
    const tmp = join(this.dir, `${TEMPORARY_PREFIX}${hexOf(digest)}-${randomBytes(6).toString('hex')}`);
    try {
      const handle = await open(tmp, 'wx', PRIVATE_FILE_MODE);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await syncDir(this.dir);
    return digest;
  }

  /**
   * Reads stored bytes, checking them against their digest.
   *
   * @throws LnError `LN_ERR_LOAD_NOT_FOUND` for a malformed digest or one not stored here;
   *   `LN_ERR_LOAD_INVALID` when the file's bytes no longer hash to its digest
   */
  async get(digest: string): Promise<Uint8Array> {
    const path = this.pathOf(digest);
    let bytes: Uint8Array;
    try {
      bytes = await readFileMapped(path); // not malloc'd: see readFileMapped
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no artifact with this digest is stored' : (err as Error).message;
      throw new LnError('LN_ERR_LOAD_NOT_FOUND', { path: digest, reason }, { cause: err });
    }
    const actual = digestOf(bytes);
    if (actual !== digest) {
      throw new LnError('LN_ERR_LOAD_INVALID', {
        subject: path,
        reason: `the stored artifact is corrupted: its bytes hash to ${actual}, not ${digest}`,
      });
    }
    return bytes;
  }

  /**
   * The size of the file stored under a digest, without reading it (nor checking its bytes: a
   * caller serving from the transpile cache never uses them).
   *
   * @throws LnError `LN_ERR_LOAD_NOT_FOUND` when none is stored or the digest is malformed
   */
  async size(digest: string): Promise<number> {
    try {
      return (await stat(this.pathOf(digest))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new LnError('LN_ERR_LOAD_NOT_FOUND', { path: digest, reason: 'no artifact with this digest is stored' }, { cause: err });
    }
  }

  /** Whether a file is stored under the digest (without reading it). @throws LnError `LN_ERR_LOAD_NOT_FOUND` for a malformed digest */
  async has(digest: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(digest))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /**
   * Deletes an artifact; returns whether there was one. The caller decides that no retained
   * version refers to it (see `Registry.prune`).
   */
  async remove(digest: string): Promise<boolean> {
    const path = this.pathOf(digest);
    try {
      await rm(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await syncDir(this.dir);
    return true;
  }

  /** Every stored digest, sorted. Temporary files of unfinished writes are not listed. */
  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .flatMap((n) => {
        const m = ARTIFACT_FILE.exec(n);
        return m ? [`sha256:${m[1]}`] : [];
      })
      .sort();
  }

  /** The total size of the stored artifacts, in bytes. */
  async totalBytes(): Promise<number> {
    let total = 0;
    for (const digest of await this.list()) {
      try {
        total += (await stat(this.pathOf(digest))).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return total;
  }

  /**
   * Deletes the temporary files that writes interrupted by a crash left behind; returns how many.
   * Call it at start-up, before this process stores anything (it would delete a write in flight).
   */
  async sweepTemporaries(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    const stale = names.filter((n) => n.startsWith(TEMPORARY_PREFIX));
    for (const n of stale) await rm(join(this.dir, n), { force: true });
    if (stale.length > 0) await syncDir(this.dir);
    return stale.length;
  }

  async #intact(path: string, digest: string): Promise<boolean> {
    try {
      return digestOf(await readFileMapped(path)) === digest;
    } catch {
      return false;
    }
  }

  /** Creates the folders, flushing each new entry so the folders themselves survive a crash. */
  async #ensureDir(): Promise<void> {
    if (this.#dirReady) return;
    const artifacts = join(this.#dataDir, 'artifacts');
    await mkdir(this.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await syncDir(this.#dataDir);
    await syncDir(artifacts);
    this.#dirReady = true;
  }
}
