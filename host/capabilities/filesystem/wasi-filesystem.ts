/**
 * `wasi:filesystem/types` and `wasi:filesystem/preopens` for one instance, built from its
 * preopen grants: our own implementation, not preview2-shim's, whose sandbox checks a path and
 * then opens it by its full host path (a concurrent directory-for-symlink swap let reads escape).
 *
 * Each preopen's host directory is opened once, here, and stays open for the instance's
 * lifetime (its worker; Node closes a worker's fds when it exits). Every guest path is then
 * resolved beneath an open directory without ever giving the kernel a path to follow — see
 * `path-walker.ts` for how, and `descriptor.ts` for the policy (read-only preopens, hard links,
 * symlink targets). Linux only: it needs `/proc/self/fd`.
 *
 * Bounds, so one guest cannot hurt the host: `MAX_OPEN_FILES` (1024) descriptors and file streams
 * per instance (`fd-budget.ts`); one walk holds at most `MAX_DEPTH` (512) directories, follows
 * `MAX_SYMLINKS` (40) links and takes paths up to `MAX_PATH_LENGTH` (4096) (`path-walker.ts`);
 * one `read` returns at most 1 MiB.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { LnError } from '../../errors/ln-error.js';
import type { PreopenGrant } from './capability.js';
import { Descriptor, type Mount, preopenDescriptor } from './descriptor.js';
import { DirectoryEntryStream } from './directory-entry-stream.js';
import { FdBudget } from './fd-budget.js';
import { codeForErrno, errnoOf } from './fs-errors.js';
import type { FsErrorCode } from './wasi-types.js';

/** The filesystem part of an instance's WASI imports. */
export interface FilesystemImports {
  /** `wasi:filesystem/types`. */
  readonly types: {
    Descriptor: typeof Descriptor;
    DirectoryEntryStream: typeof DirectoryEntryStream;
    filesystemErrorCode(err: unknown): FsErrorCode | undefined;
  };
  /** `wasi:filesystem/preopens`. */
  readonly preopens: { getDirectories(): Array<[Descriptor, string]> };
}

/**
 * `filesystem-error-code`: the `error-code` behind a `wasi:io/error` of a file stream (the
 * shim's stream errors carry the Node error as `payload`), or undefined.
 */
function filesystemErrorCode(err: unknown): FsErrorCode | undefined {
  return codeForErrno(errnoOf((err as { payload?: unknown } | null)?.payload));
}

function openMount(grant: PreopenGrant, budget: FdBudget): Mount {
  try {
    const rootFd = openSync(grant.host, constants.O_RDONLY | constants.O_DIRECTORY);
    return { rootFd, readOnly: grant.readOnly, budget };
  } catch (err) {
    throw new LnError(
      'LN_ERR_CONFIG_INVALID',
      {
        key: `preopen ${grant.guest}`,
        source: 'grants',
        reason: `cannot open the host directory "${grant.host}" (${errnoOf(err) ?? String(err)})`,
      },
      { cause: err },
    );
  }
}

/**
 * The filesystem imports of one instance: `get-directories` lists exactly `preopens`, each
 * under its guest path, read-only ones refusing every write.
 *
 * @param preopens - resolved grants (absolute host directories without symlinks)
 * @throws LnError `LN_ERR_CONFIG_INVALID` when a host directory cannot be opened
 */
export function createFilesystem(preopens: readonly PreopenGrant[]): FilesystemImports {
  const budget = new FdBudget();
  const mounts: Array<[Mount, string]> = [];
  try {
    for (const grant of preopens) mounts.push([openMount(grant, budget), grant.guest]);
  } catch (err) {
    for (const [mount] of mounts) closeSync(mount.rootFd);
    throw err;
  }
  return {
    types: { Descriptor, DirectoryEntryStream, filesystemErrorCode },
    // A fresh descriptor per call: each is its own guest handle, and none closes the shared fd.
    preopens: { getDirectories: () => mounts.map(([mount, guest]) => [preopenDescriptor(mount), guest]) },
  };
}
