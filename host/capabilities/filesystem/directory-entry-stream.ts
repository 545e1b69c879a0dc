/**
 * `wasi:filesystem/types.directory-entry-stream`: the entries of one directory, read when the
 * stream is created (so no directory handle stays open between calls), without `.` and `..`.
 */
import { type Dirent, readdirSync } from 'node:fs';
import { guard } from './fs-errors.js';
import { procPath } from './path-walker.js';
import type { DescriptorType, DirectoryEntry } from './wasi-types.js';

const CREATE = Symbol('create');

/** The `descriptor-type` of a directory entry or `fs.Stats`. */
export function typeOf(
  entry: Pick<Dirent, 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>,
): DescriptorType {
  if (entry.isFile()) return 'regular-file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'symbolic-link';
  if (entry.isFIFO()) return 'fifo';
  if (entry.isSocket()) return 'socket';
  if (entry.isCharacterDevice()) return 'character-device';
  if (entry.isBlockDevice()) return 'block-device';
  return 'unknown';
}

/** The entries of an open directory, one per `readDirectoryEntry()` call. */
export class DirectoryEntryStream {
  #entries: DirectoryEntry[];
  #next = 0;

  /** @internal Use {@link readDirectoryOf}; the guest cannot construct one. */
  constructor(token: symbol, entries: DirectoryEntry[]) {
    if (token !== CREATE) throw new TypeError('DirectoryEntryStream has no public constructor');
    this.#entries = entries;
  }

  /** The next entry, or undefined at the end. */
  readDirectoryEntry(): DirectoryEntry | undefined {
    const entry = this.#entries[this.#next];
    if (entry) this.#next++;
    return entry;
  }

  [Symbol.dispose](): void {
    this.#entries = [];
  }
}

/**
 * Lists the open directory `dirFd` (through its `/proc/self/fd` magic link, never a path).
 * @throws an `error-code`
 */
export function readDirectoryOf(dirFd: number): DirectoryEntryStream {
  return guard(() => {
    const entries = readdirSync(procPath(dirFd), { withFileTypes: true }).map((d) => ({ name: d.name, type: typeOf(d) }));
    return new DirectoryEntryStream(CREATE, entries);
  });
}
