/**
 * `wasi:filesystem/types.descriptor`: an open file or directory of one preopen.
 *
 * Every path-taking method resolves its path with the race-free walker (`path-walker.ts`) from
 * this descriptor's own directory and never above it, then operates on the final name through
 * `/proc/self/fd/<parent>/<name>` with calls that do not follow a final symlink (`lstat`,
 * `mkdir`, `rmdir`, `unlink`, `rename`, `symlink`, `readlink`, `lutimes`, `open` with
 * `O_NOFOLLOW`). Errors are thrown as WASI `error-code` strings only (`fs-errors.ts`).
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
 * - only directories and regular files can be opened (`unsupported` otherwise).
 */
import { createHash } from 'node:crypto';
import {
  closeSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, lstatSync, lutimesSync,
  mkdirSync, readlinkSync, readSync, renameSync, rmdirSync, symlinkSync, unlinkSync, writeSync, type BigIntStats,
} from 'node:fs';
import { readDirectoryOf, typeOf, type DirectoryEntryStream } from './directory-entry-stream.js';
import { fileInputStream, fileOutputStream } from './file-streams.js';
import { guard } from './fs-errors.js';
import { openResolved, wantsWrite } from './open-at.js';
import { components, procPath, withResolved, type Resolved } from './path-walker.js';
import type {
  Advice, Datetime, DescriptorFlags, DescriptorStat, DescriptorType, MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
} from './wasi-types.js';

/** One preopened directory, shared by every descriptor opened beneath it. */
export interface Mount {
  /** The preopen's host directory, open for the instance's lifetime. */
  readonly rootFd: number;
  readonly readOnly: boolean;
}

/** Largest read one `read` call does, bytes (the guest asks for any length; it gets at most this). */
const MAX_READ_BYTES = 1024 * 1024;

const CREATE = Symbol('create');
const closer = new FinalizationRegistry<number>((fd) => {
  try { closeSync(fd); } catch { /* already closed */ }
});

function toDatetime(ns: bigint): Datetime {
  return { seconds: ns / 1_000_000_000n, nanoseconds: Number(ns % 1_000_000_000n) };
}

function toStat(s: BigIntStats): DescriptorStat {
  return {
    type: typeOf(s), linkCount: s.nlink, size: s.size,
    dataAccessTimestamp: toDatetime(s.atimeNs),
    dataModificationTimestamp: toDatetime(s.mtimeNs),
    statusChangeTimestamp: toDatetime(s.ctimeNs),
  };
}

/** A stable hash of an inode's identity that does not show the host's inode numbers. */
function hashOf(s: BigIntStats): MetadataHashValue {
  const digest = createHash('sha256').update(`${s.dev}:${s.ino}`).digest();
  return { upper: digest.readBigUInt64LE(0), lower: digest.readBigUInt64LE(8) };
}

/** A file offset as Node takes it (`writeSync` treats a non-number position as "current position"). */
function position(offset: bigint): number {
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw 'invalid';
  return Number(offset);
}

/** Seconds (fractional) for `futimes`/`lutimes`; `no-change` keeps `currentNs`. */
function timeFor(t: NewTimestamp, currentNs: bigint): number {
  if (t.tag === 'now') return Date.now() / 1000;
  if (t.tag === 'timestamp') return Number(t.val.seconds) + t.val.nanoseconds / 1e9;
  return Number(currentNs) / 1e9;
}

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
    if (owned) closer.register(this, fd, this);
  }

  [Symbol.dispose](): void {
    if (!this.#owned) return;
    this.#owned = false;
    closer.unregister(this);
    try { closeSync(this.#fd); } catch { /* already closed */ }
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

  #mutating(): number {
    const fd = this.#dir();
    if (this.#mount.readOnly) throw 'read-only';
    return fd;
  }

  #at<T>(path: string, follow: boolean, use: (at: Resolved) => T): T {
    return withResolved(this.#dir(), path, follow, use);
  }

  readViaStream(offset: bigint): unknown {
    return guard(() => fileInputStream(this.#file('read'), offset));
  }

  writeViaStream(offset: bigint): unknown {
    return guard(() => fileOutputStream(this.#file('write'), offset));
  }

  appendViaStream(): unknown {
    return guard(() => fileOutputStream(this.#file('write'), fstatSync(this.#fd, { bigint: true }).size));
  }

  advise(offset: bigint, length: bigint, advice: Advice): void {
    void offset; void length; void advice; // A hint; nothing to do without posix_fadvise.
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
      this.#at(path, Boolean(pathFlags.symlinkFollow), (at) => {
        const s = statOf(at);
        if (s.isSymbolicLink() && at.name !== null) {
          // Not followed: the link's own times (lutimes never follows, even after a late swap).
          lutimesSync(procPath(at.dirFd, at.name), timeFor(atime, s.atimeNs), timeFor(mtime, s.mtimeNs));
          return;
        }
        // Through an fd opened with open-at's checks: a hard-linked file's inode may be a host
        // file's, and its times are not the guest's to change.
        const { fd } = openResolved(at, {}, { read: true }, this.#mount.rootFd);
        try {
          const now = fstatSync(fd, { bigint: true });
          futimesSync(fd, timeFor(atime, now.atimeNs), timeFor(mtime, now.mtimeNs));
        } finally {
          closeSync(fd);
        }
      });
    });
  }

  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor {
    return guard(() => {
      this.#dir();
      if (this.#mount.readOnly && wantsWrite(openFlags, flags)) throw 'read-only';
      const opened = this.#at(path, Boolean(pathFlags.symlinkFollow), (at) =>
        openResolved(at, openFlags, flags, this.#mount.rootFd));
      return new Descriptor(CREATE, this.#mount, opened.fd, opened.directory, { ...flags }, true);
    });
  }

  createDirectoryAt(path: string): void {
    guard(() => {
      this.#mutating();
      this.#at(path, false, (at) => {
        if (at.name === null) throw 'exist';
        mkdirSync(procPath(at.dirFd, at.name), 0o777);
      });
    });
  }

  removeDirectoryAt(path: string): void {
    guard(() => {
      this.#mutating();
      this.#at(path, false, (at) => {
        if (at.name === null) throw 'invalid';
        rmdirSync(procPath(at.dirFd, at.name));
      });
    });
  }

  unlinkFileAt(path: string): void {
    guard(() => {
      this.#mutating();
      this.#at(path, false, (at) => {
        if (at.name === null) throw 'is-directory';
        if (at.mustBeDir) throw lstatSync(procPath(at.dirFd, at.name)).isDirectory() ? 'is-directory' : 'not-directory';
        unlinkSync(procPath(at.dirFd, at.name));
      });
    });
  }

  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    guard(() => {
      this.#mutating();
      if (!(newDescriptor instanceof Descriptor)) throw 'bad-descriptor';
      newDescriptor.#mutating();
      this.#at(oldPath, false, (from) => newDescriptor.#at(newPath, false, (to) => {
        if (from.name === null || to.name === null) throw 'busy';
        renameSync(procPath(from.dirFd, from.name), procPath(to.dirFd, to.name));
      }));
    });
  }

  symlinkAt(target: string, path: string): void {
    guard(() => {
      this.#mutating();
      this.#at(path, false, (at) => {
        if (at.name === null) throw 'exist';
        if (climbsOut(target, at.depth)) throw 'not-permitted';
        symlinkSync(target, procPath(at.dirFd, at.name));
      });
    });
  }

  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    void oldPathFlags; void oldPath; void newDescriptor; void newPath;
    guard(() => {
      this.#mutating();
      throw 'not-permitted';
    });
  }

  readlinkAt(path: string): string {
    return guard(() => this.#at(path, false, (at) => {
      if (at.name === null) throw 'invalid';
      return readlinkSync(procPath(at.dirFd, at.name));
    }));
  }
}

/**
 * `lstat` of the resolved name (never following it), or `fstat` of the directory itself (an
 * `lstat` of `/proc/self/fd/<fd>` would describe the magic link); checks a trailing `/`.
 */
function statOf(at: Resolved): BigIntStats {
  const s = at.name === null ? fstatSync(at.dirFd, { bigint: true }) : lstatSync(procPath(at.dirFd, at.name), { bigint: true });
  if (at.mustBeDir && !s.isDirectory()) throw 'not-directory';
  return s;
}

/** Whether a symlink target, read from a link `depth` directories below the base, is absolute or climbs above the base. */
function climbsOut(target: string, depth: number): boolean {
  if (target.startsWith('/')) return true;
  let d = depth;
  for (const c of components(target)) {
    d += c === '..' ? -1 : 1;
    if (d < 0) return true;
  }
  return false;
}

/** A descriptor for a preopen's root directory; it shares the preopen's fd and never closes it. */
export function preopenDescriptor(mount: Mount): Descriptor {
  return new Descriptor(CREATE, mount, mount.rootFd, true, { read: true, mutateDirectory: !mount.readOnly }, false);
}
