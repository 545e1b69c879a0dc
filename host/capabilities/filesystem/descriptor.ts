/**
 * `wasi:filesystem/types.descriptor`: an open file or directory of one preopen. Its methods are
 * the WIT methods of `descriptor`, named as jco calls them (`open-at` → `openAt`).
 *
 * Every path-taking method resolves its path with the race-free walker (`path-walker.ts`) from
 * this descriptor's own directory and never above it, then acts on the final name without
 * following it (`path-ops.ts`, and `open-at.ts` for opening). Errors are thrown as WASI
 * `error-code` strings only (`fs-errors.ts`); a thrown exception would trap the guest.
 *
 * Policy, beyond what the kernel enforces:
 * - on a read-only preopen every mutating call fails with `read-only`, and so does opening
 *   with `create`, `truncate`, `write` or `mutate-directory`;
 * - `link-at` always fails with `not-permitted`, and a regular file with more than one hard
 *   link cannot be opened (`not-permitted`): a hard link planted from outside could be the
 *   same inode as a host file, and nothing in the preopen can tell;
 * - `symlink-at` refuses absolute targets and targets that climb above this descriptor's
 *   directory from where the link would be (`not-permitted`), so no outward link is planted for
 *   host tools to trip over (the walker would not follow one anyway);
 * - only directories and regular files can be opened (`unsupported` otherwise);
 * - an instance holds at most `MAX_OPEN_FILES` descriptors and file streams at once
 *   (`insufficient-memory` past it; `fd-budget.ts`).
 */
import { closeSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, readSync, writeSync } from 'node:fs';
import { type DirectoryEntryStream, readDirectoryOf } from './directory-entry-stream.js';
import type { FdBudget } from './fd-budget.js';
import { fileInputStream, fileOutputStream } from './file-streams.js';
import { guard } from './fs-errors.js';
import { hashOf, position, timeFor, toStat } from './metadata.js';
import { type Opened, openResolved, wantsWrite } from './open-at.js';
import { makeDirectory, makeSymlink, readLink, removeDirectory, renameBetween, setTimesOf, statOf, unlinkFile } from './path-ops.js';
import { type Resolved, withResolved } from './path-walker.js';
import type { Advice, DescriptorFlags, DescriptorStat, DescriptorType, MetadataHashValue, NewTimestamp, OpenFlags, PathFlags } from './wasi-types.js';

/** One preopened directory, shared by every descriptor opened beneath it. */
export interface Mount {
  /** The preopen's host directory, open for the instance's lifetime. */
  readonly rootFd: number;
  readonly readOnly: boolean;
  /** The instance's open-file count (shared by all its preopens). */
  readonly budget: FdBudget;
}

/** Largest read one `read` call does, bytes (the guest asks for any length; it gets at most this). */
const MAX_READ_BYTES = 1024 * 1024;

const CREATE = Symbol('create');
/** Closes what a guest never dropped, once its descriptor is garbage. */
const closer = new FinalizationRegistry<{ fd: number; budget: FdBudget }>(({ fd, budget }) => {
  budget.release();
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
});

/** An open file or directory beneath a preopen. */
export class Descriptor {
  #mount: Mount;
  #fd: number;
  #directory: boolean;
  #flags: DescriptorFlags;
  #owned: boolean;

  /** @internal Use {@link preopenDescriptor}; the guest cannot construct one. */
  constructor(token: symbol, mount: Mount, fd: number, directory: boolean, flags: DescriptorFlags, owned: boolean) {
    if (token !== CREATE) throw new TypeError('Descriptor has no public constructor');
    this.#mount = mount;
    this.#fd = fd;
    this.#directory = directory;
    this.#flags = flags;
    this.#owned = owned;
    if (owned) closer.register(this, { fd, budget: mount.budget }, this);
  }

  /** Closes the file (jco calls this when the guest drops the handle); a preopen's stays open. */
  [Symbol.dispose](): void {
    if (!this.#owned) return;
    this.#owned = false;
    closer.unregister(this);
    this.#mount.budget.release();
    try {
      closeSync(this.#fd);
    } catch {
      /* already closed */
    }
  }

  #file(access?: 'read' | 'write'): number {
    if (this.#directory) throw 'is-directory';
    if (access === 'write' && this.#mount.readOnly) throw 'read-only';
    if (access && !this.#flags[access]) throw 'bad-descriptor';
    return this.#fd;
  }

  #dir(): number {
    if (!this.#directory) throw 'not-directory';
    return this.#fd;
  }

  #mutating(): void {
    this.#dir();
    if (this.#mount.readOnly) throw 'read-only';
  }

  #at<T>(path: string, follow: boolean, use: (at: Resolved) => T): T {
    return withResolved(this.#dir(), path, follow, use);
  }

  /** A mutation of the name at `path` (never following a final symlink); `read-only` on a read-only preopen. */
  #mutatingAt<T>(path: string, use: (at: Resolved) => T): T {
    this.#mutating();
    return this.#at(path, false, use);
  }

  readViaStream(offset: bigint): unknown {
    return guard(() => fileInputStream(this.#file('read'), offset, this.#mount.budget));
  }

  writeViaStream(offset: bigint): unknown {
    return guard(() => fileOutputStream(this.#file('write'), offset, this.#mount.budget));
  }

  appendViaStream(): unknown {
    return guard(() => fileOutputStream(this.#file('write'), fstatSync(this.#fd, { bigint: true }).size, this.#mount.budget));
  }

  advise(offset: bigint, length: bigint, advice: Advice): void {
    void offset;
    void length;
    void advice; // A hint; nothing to do without posix_fadvise.
    guard(() => this.#file());
  }

  syncData(): void {
    guard(() => (this.#directory ? fsyncSync(this.#fd) : fdatasyncSync(this.#fd)));
  }

  sync(): void {
    guard(() => fsyncSync(this.#fd));
  }

  getFlags(): DescriptorFlags {
    return { ...this.#flags };
  }

  getType(): DescriptorType {
    return this.#directory ? 'directory' : 'regular-file';
  }

  setSize(size: bigint): void {
    guard(() => ftruncateSync(this.#file('write'), Number(size)));
  }

  setTimes(atime: NewTimestamp, mtime: NewTimestamp): void {
    guard(() => {
      if (this.#mount.readOnly) throw 'read-only';
      const s = fstatSync(this.#fd, { bigint: true });
      futimesSync(this.#fd, timeFor(atime, s.atimeNs), timeFor(mtime, s.mtimeNs));
    });
  }

  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    return guard(() => {
      const fd = this.#file('read');
      const buffer = Buffer.alloc(Math.min(Number(length), MAX_READ_BYTES));
      const n = readSync(fd, buffer, 0, buffer.length, position(offset));
      return [new Uint8Array(buffer.buffer, buffer.byteOffset, n), n === 0 && buffer.length > 0];
    });
  }

  write(buffer: Uint8Array, offset: bigint): bigint {
    return guard(() => BigInt(writeSync(this.#file('write'), buffer, 0, buffer.length, position(offset))));
  }

  readDirectory(): DirectoryEntryStream {
    return guard(() => readDirectoryOf(this.#dir()));
  }

  stat(): DescriptorStat {
    return guard(() => toStat(fstatSync(this.#fd, { bigint: true })));
  }

  statAt(pathFlags: PathFlags, path: string): DescriptorStat {
    return guard(() => this.#at(path, Boolean(pathFlags.symlinkFollow), (at) => toStat(statOf(at))));
  }

  metadataHash(): MetadataHashValue {
    return guard(() => hashOf(fstatSync(this.#fd, { bigint: true })));
  }

  metadataHashAt(pathFlags: PathFlags, path: string): MetadataHashValue {
    return guard(() => this.#at(path, Boolean(pathFlags.symlinkFollow), (at) => hashOf(statOf(at))));
  }

  isSameObject(other: Descriptor): boolean {
    return guard(() => {
      if (!(other instanceof Descriptor)) return false;
      const a = fstatSync(this.#fd, { bigint: true });
      const b = fstatSync(other.#fd, { bigint: true });
      return a.dev === b.dev && a.ino === b.ino;
    });
  }

  setTimesAt(pathFlags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): void {
    guard(() => {
      this.#mutating();
      this.#at(path, Boolean(pathFlags.symlinkFollow), (at) => setTimesOf(at, atime, mtime, this.#mount.rootFd));
    });
  }

  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor {
    return guard(() => {
      this.#dir();
      if (this.#mount.readOnly && wantsWrite(openFlags, flags)) throw 'read-only';
      this.#mount.budget.take();
      let opened: Opened;
      try {
        opened = this.#at(path, Boolean(pathFlags.symlinkFollow), (at) => openResolved(at, openFlags, flags, this.#mount.rootFd));
      } catch (err) {
        this.#mount.budget.release();
        throw err;
      }
      return new Descriptor(CREATE, this.#mount, opened.fd, opened.directory, { ...flags }, true);
    });
  }

  createDirectoryAt(path: string): void {
    guard(() => this.#mutatingAt(path, makeDirectory));
  }

  removeDirectoryAt(path: string): void {
    guard(() => this.#mutatingAt(path, removeDirectory));
  }

  unlinkFileAt(path: string): void {
    guard(() => this.#mutatingAt(path, unlinkFile));
  }

  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    guard(() => {
      if (!(newDescriptor instanceof Descriptor)) throw 'bad-descriptor';
      newDescriptor.#mutating();
      this.#mutatingAt(oldPath, (from) => newDescriptor.#at(newPath, false, (to) => renameBetween(from, to)));
    });
  }

  symlinkAt(target: string, path: string): void {
    guard(() => this.#mutatingAt(path, (at) => makeSymlink(at, target)));
  }

  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    void oldPathFlags;
    void oldPath;
    void newDescriptor;
    void newPath;
    guard(() => {
      this.#mutating();
      throw 'not-permitted';
    });
  }

  readlinkAt(path: string): string {
    return guard(() => this.#at(path, false, readLink));
  }
}

/** A descriptor for a preopen's root directory; it shares the preopen's fd and never closes it. */
export function preopenDescriptor(mount: Mount): Descriptor {
  return new Descriptor(CREATE, mount, mount.rootFd, true, { read: true, mutateDirectory: !mount.readOnly }, false);
}
