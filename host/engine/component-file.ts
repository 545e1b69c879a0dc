import { type FileHandle, open } from 'node:fs/promises';
import { LnError } from '../errors/ln-error.js';
import { ENGINE_DEFAULTS } from './engine.js';

/**
 * Reads a component file, refusing oversized files before reading them.
 *
 * @throws LnError `LN_ERR_LOAD_NOT_FOUND` (missing, unreadable, a directory) or `LN_ERR_LOAD_TOO_LARGE`
 */
export async function readComponentFile(path: string, maxBytes: number = ENGINE_DEFAULTS.maxComponentBytes): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new LnError('LN_ERR_LOAD_NOT_FOUND', { path, reason }, { cause: err });
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new LnError('LN_ERR_LOAD_NOT_FOUND', { path, reason: 'it is a directory' });
    if (!info.isFile()) throw new LnError('LN_ERR_LOAD_NOT_FOUND', { path, reason: 'it is not a regular file' });
    if (info.size > maxBytes) {
      throw new LnError('LN_ERR_LOAD_TOO_LARGE', { subject: path, size: info.size, limit: maxBytes });
    }
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
}
