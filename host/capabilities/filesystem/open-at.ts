/**
 * `open-at`'s policy: which flags are allowed, how the final name is opened, and what an opened
 * file must look like before the guest gets it.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readlinkSync } from 'node:fs';
import { errnoOf } from './fs-errors.js';
import { procPath, type Resolved } from './path-walker.js';
import type { DescriptorFlags, OpenFlags } from './wasi-types.js';

/** What was opened: an fd this module owns, and whether it is a directory. */
export interface Opened {
  readonly fd: number;
  readonly directory: boolean;
}

/** Whether opening with these flags would change anything on disk or allow it later. */
export function wantsWrite(openFlags: OpenFlags, flags: DescriptorFlags): boolean {
  return Boolean(openFlags.create || openFlags.truncate || flags.write || flags.mutateDirectory);
}

function accessMode(flags: DescriptorFlags): number {
  if (flags.read && flags.write) return constants.O_RDWR;
  return flags.write ? constants.O_WRONLY : constants.O_RDONLY;
}

/**
 * Opens the resolved name with the guest's flags, never following a final symlink, then checks
 * the result (see {@link checkOpened}).
 * @param rootFd - the preopen's directory, for the defence-in-depth location check
 * @throws an `error-code` or a Node error (mapped by the caller)
 */
export function openResolved(at: Resolved, openFlags: OpenFlags, flags: DescriptorFlags, rootFd: number): Opened {
  if (flags.requestedWriteSync || flags.fileIntegritySync || flags.dataIntegritySync) throw 'unsupported';
  let fd: number;
  if (at.name === null) {
    // The path names the directory itself ("." or "a/..").
    if (openFlags.create && openFlags.exclusive) throw 'exist';
    if (flags.write || openFlags.truncate) throw 'is-directory';
    fd = openSync(procPath(at.dirFd), constants.O_RDONLY | constants.O_DIRECTORY);
  } else {
    let osFlags = accessMode(flags) | constants.O_NOFOLLOW | constants.O_NOCTTY | constants.O_NONBLOCK;
    if (openFlags.create) osFlags |= constants.O_CREAT;
    if (openFlags.create && openFlags.exclusive) osFlags |= constants.O_EXCL;
    // No O_TRUNC: the kernel would truncate before the checks below could refuse the file (a
    // hard link to a host file would be emptied). It is truncated after them instead.
    if (openFlags.directory || at.mustBeDir) osFlags |= constants.O_DIRECTORY;
    try {
      fd = openSync(procPath(at.dirFd, at.name), osFlags, 0o666);
    } catch (err) {
      // O_NOFOLLOW met a symlink: the final name was swapped for one after it was resolved, or
      // the guest asked not to follow it.
      if (errnoOf(err) === 'ELOOP') throw openFlags.directory ? 'not-directory' : 'loop';
      throw err;
    }
  }
  try {
    const directory = checkOpened(fd, flags, rootFd);
    if (openFlags.truncate) {
      if (directory) throw 'is-directory';
      ftruncateSync(fd, 0);
    }
    return { fd, directory };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * What an opened descriptor must be before the guest may use it:
 * - a directory or a regular file (no FIFOs, devices or sockets: they could block the host);
 * - a regular file with exactly one link: a file with a second hard link may be the same inode
 *   as a file outside the preopen (a hard link planted from outside), so it is refused with
 *   `not-permitted`; for the same reason `link-at` is refused;
 * - not a directory opened for writing (`is-directory`);
 * - located beneath the preopen's directory by the kernel's own account of where it is
 *   (`/proc/self/fd/<fd>`): defence in depth, since the walk already guarantees it.
 * @returns whether it is a directory
 */
function checkOpened(fd: number, flags: DescriptorFlags, rootFd: number): boolean {
  const stats = fstatSync(fd);
  const directory = stats.isDirectory();
  if (directory && flags.write) throw 'is-directory';
  if (!directory && !stats.isFile()) throw 'unsupported';
  if (!directory && stats.nlink > 1) throw 'not-permitted';
  const root = readlinkSync(procPath(rootFd));
  const where = readlinkSync(procPath(fd));
  if (root !== '/' && where !== root && !where.startsWith(`${root}/`)) throw 'not-permitted';
  return directory;
}
