/**
 * The path-taking operations of a descriptor, each on a name the walker resolved
 * (`path-walker.ts`): they go through `/proc/self/fd/<parent>/<name>` with calls that never
 * follow a final symlink (`lstat`, `mkdir`, `rmdir`, `unlink`, `rename`, `symlink`, `readlink`,
 * `lutimes`), so a name swapped for a symlink after it was resolved is acted on as the link
 * itself, never as what it points to. Each throws an `error-code` or a Node error (mapped by the
 * caller's `guard`).
 */
import {
  type BigIntStats,
  closeSync,
  fstatSync,
  futimesSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { timeFor } from './metadata.js';
import { openResolved } from './open-at.js';
import { components, procPath, type Resolved } from './path-walker.js';
import type { NewTimestamp } from './wasi-types.js';

/**
 * `lstat` of the resolved name (never following it), or `fstat` of the directory itself (an
 * `lstat` of `/proc/self/fd/<fd>` would describe the magic link); checks a trailing `/`.
 */
export function statOf(at: Resolved): BigIntStats {
  const s = at.name === null ? fstatSync(at.dirFd, { bigint: true }) : lstatSync(procPath(at.dirFd, at.name), { bigint: true });
  if (at.mustBeDir && !s.isDirectory()) throw 'not-directory';
  return s;
}

/**
 * `set-times-at`: a symlink's own times (not followed), or anything else through an fd opened
 * with open-at's checks, so a hard-linked file — whose inode may be a host file's — is refused.
 */
export function setTimesOf(at: Resolved, atime: NewTimestamp, mtime: NewTimestamp, rootFd: number): void {
  const s = statOf(at);
  if (s.isSymbolicLink() && at.name !== null) {
    lutimesSync(procPath(at.dirFd, at.name), timeFor(atime, s.atimeNs), timeFor(mtime, s.mtimeNs));
    return;
  }
  const { fd } = openResolved(at, {}, { read: true }, rootFd);
  try {
    const now = fstatSync(fd, { bigint: true });
    futimesSync(fd, timeFor(atime, now.atimeNs), timeFor(mtime, now.mtimeNs));
  } finally {
    closeSync(fd);
  }
}

/** `create-directory-at`. */
export function makeDirectory(at: Resolved): void {
  if (at.name === null) throw 'exist';
  mkdirSync(procPath(at.dirFd, at.name), 0o777);
}

/** `remove-directory-at`. */
export function removeDirectory(at: Resolved): void {
  if (at.name === null) throw 'invalid';
  rmdirSync(procPath(at.dirFd, at.name));
}

/** `unlink-file-at`. */
export function unlinkFile(at: Resolved): void {
  if (at.name === null) throw 'is-directory';
  if (at.mustBeDir) throw lstatSync(procPath(at.dirFd, at.name)).isDirectory() ? 'is-directory' : 'not-directory';
  unlinkSync(procPath(at.dirFd, at.name));
}

/** `rename-at`, between two resolved names (possibly of two preopens). */
export function renameBetween(from: Resolved, to: Resolved): void {
  if (from.name === null || to.name === null) throw 'busy';
  renameSync(procPath(from.dirFd, from.name), procPath(to.dirFd, to.name));
}

/**
 * `symlink-at`: refuses (`not-permitted`) an absolute target, or one that climbs above the
 * descriptor the path was resolved from, counted from where the link would be — so no outward
 * link is planted for host tools to trip over. (The walker would not follow one anyway; links
 * that only lead out in combination are stopped when they are walked.)
 */
export function makeSymlink(at: Resolved, target: string): void {
  if (at.name === null) throw 'exist';
  if (target.startsWith('/')) throw 'not-permitted';
  let depth = at.depth;
  for (const c of components(target)) {
    depth += c === '..' ? -1 : 1;
    if (depth < 0) throw 'not-permitted';
  }
  symlinkSync(target, procPath(at.dirFd, at.name));
}

/** `readlink-at`: the link's target as stored (the guest resolves it through the walker). */
export function readLink(at: Resolved): string {
  if (at.name === null) throw 'invalid';
  return readlinkSync(procPath(at.dirFd, at.name));
}
