/**
 * Race-free resolution of a guest path beneath an open directory, the way cap-std and
 * `openat2(RESOLVE_BENEATH)` do it, with only what Node.js offers (it has no `openat`).
 *
 * A guest path is never handed to the kernel whole. It is walked one component at a time from
 * an open directory descriptor: each step opens `/proc/self/fd/<dir>/<name>`, which the kernel
 * resolves through the magic link to the directory that is already open — not by a path that
 * someone could swap — and looks up exactly one name in it, with `O_NOFOLLOW`, so a symlink is
 * never followed by the kernel. Symlinks met on the way are read (`readlink` on the same form)
 * and their targets walked by this same walker: absolute targets are refused, and `..` is
 * handled here with a stack of open directories, never by the kernel, so nothing can climb above
 * the directory the walk started from. The caller then operates on the final name through
 * `/proc/self/fd/<parent>/<name>` with calls that never follow a final symlink.
 *
 * A concurrent swap of a directory for a symlink (the race that defeats preview2-shim's
 * check-then-open-by-full-path) can only make a step fail: the kernel either opens the real
 * directory or refuses the symlink, and a symlink read here is checked like any other.
 *
 * Needs Linux with `/proc` mounted.
 */
import { closeSync, constants, lstatSync, openSync, readlinkSync } from 'node:fs';
import { errnoOf, toFsErrorCode } from './fs-errors.js';

/** Symlinks one walk may follow before it fails with `loop` (Linux's own limit). */
export const MAX_SYMLINKS = 40;

/**
 * Directories one walk may hold open at once (its depth below the base) before it fails with
 * `name-too-long`. The walk keeps every ancestor open to handle `..` itself, and the fd table is
 * the whole host's: without a bound, symlinks to deep paths could make one call hold tens of
 * thousands of fds.
 */
export const MAX_DEPTH = 512;

/** Longest guest path accepted, bytes of UTF-16 (Linux's PATH_MAX); longer is `name-too-long`. */
export const MAX_PATH_LENGTH = 4096;

/** Flags of one intermediate step: a directory, opened only to look names up in it. */
const DIR_STEP = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** The path naming an open descriptor, or one name inside an open directory. */
export function procPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/** Where a guest path leads: one name in an open directory. */
export interface Resolved {
  /** The directory holding the final name: one the walk opened, or the base. */
  readonly dirFd: number;
  /** The final name (never empty, `.` or `..`); null when the path names `dirFd` itself. */
  readonly name: string | null;
  /** The path ended in `/`: its final name must be a directory. */
  readonly mustBeDir: boolean;
  /** How many directories below the base `dirFd` is. */
  readonly depth: number;
}

/** The components of a relative path, without empty ones and `.`. */
export function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * Resolves `path` beneath the directory `baseFd` and runs `use` on the result, then closes every
 * directory the walk opened (also when `use` throws).
 *
 * @param followFinal - follow a symlink in the final component too (the resolved `name` is then
 *   not a symlink at the time it was looked at; operate on it without following anyway)
 * @throws an `error-code`: `not-permitted` for an absolute path or one that climbs above
 *   `baseFd` (directly or through a symlink), `loop` after {@link MAX_SYMLINKS} symlinks,
 *   `name-too-long` past {@link MAX_PATH_LENGTH} or {@link MAX_DEPTH}, `no-entry` /
 *   `not-directory` for a missing or non-directory intermediate component
 */
export function withResolved<T>(baseFd: number, path: string, followFinal: boolean, use: (at: Resolved) => T): T {
  if (path === '') throw 'no-entry';
  if (path.length > MAX_PATH_LENGTH) throw 'name-too-long';
  if (path.startsWith('/')) throw 'not-permitted';
  if (path.includes('\0')) throw 'invalid';
  const mustBeDir = path.endsWith('/');
  const stack: number[] = [];
  try {
    return use(walk(baseFd, components(path), followFinal || mustBeDir, mustBeDir, stack));
  } finally {
    for (const fd of stack) closeSync(fd);
  }
}

function walk(baseFd: number, pending: string[], followFinal: boolean, mustBeDir: boolean, stack: number[]): Resolved {
  const top = (): number => stack.at(-1) ?? baseFd;
  const at = (name: string | null): Resolved => ({ dirFd: top(), name, mustBeDir, depth: stack.length });
  let symlinks = 0;
  const follow = (name: string): void => {
    if (++symlinks > MAX_SYMLINKS) throw 'loop';
    let target: string;
    try {
      target = readlinkSync(procPath(top(), name));
    } catch (err) {
      // Swapped for something else since it was seen as a symlink: look at the name again.
      if (errnoOf(err) === 'EINVAL') {
        pending.unshift(name);
        return;
      }
      throw toFsErrorCode(err);
    }
    if (target.startsWith('/')) throw 'not-permitted';
    pending.unshift(...components(target));
  };

  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '..') {
      if (stack.length === 0) throw 'not-permitted';
      closeSync(stack.pop()!);
      continue;
    }
    const last = pending.length === 0;
    if (last) {
      if (!followFinal) return at(name);
      const kind = entryKind(top(), name);
      if (kind !== 'symlink') return at(name);
      follow(name);
      continue;
    }
    let fd: number;
    try {
      fd = openSync(procPath(top(), name), DIR_STEP);
    } catch (err) {
      // A symlink fails O_NOFOLLOW with ELOOP, or ENOTDIR as O_DIRECTORY is checked first.
      const errno = errnoOf(err);
      if ((errno === 'ELOOP' || errno === 'ENOTDIR') && entryKind(top(), name) === 'symlink') {
        follow(name);
        continue;
      }
      throw toFsErrorCode(err);
    }
    stack.push(fd);
    if (stack.length > MAX_DEPTH) throw 'name-too-long';
  }
  return at(null);
}

/** Whether `name` in the directory `dirFd` is a symlink (not followed), something else, or absent. */
function entryKind(dirFd: number, name: string): 'symlink' | 'other' | 'absent' {
  try {
    return lstatSync(procPath(dirFd, name)).isSymbolicLink() ? 'symlink' : 'other';
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return 'absent';
    throw toFsErrorCode(err);
  }
}
