/**
 * Turning anything a filesystem host call throws into a WASI `error-code`.
 *
 * jco's bindings return a thrown non-`Error` value to the guest as the `err` of the call's
 * `result<_, error-code>`; a thrown `Error` (a raw Node exception) would instead trap the guest.
 * So every host method runs inside {@link guard}, which throws only `error-code` strings.
 */
import type { FsErrorCode } from './wasi-types.js';

const ERRNO_TO_CODE: Readonly<Record<string, FsErrorCode>> = {
  EACCES: 'access',
  EAGAIN: 'would-block',
  EWOULDBLOCK: 'would-block',
  EALREADY: 'already',
  EBADF: 'bad-descriptor',
  EBUSY: 'busy',
  EDEADLK: 'deadlock',
  EDQUOT: 'quota',
  EEXIST: 'exist',
  EFBIG: 'file-too-large',
  EILSEQ: 'illegal-byte-sequence',
  EINPROGRESS: 'in-progress',
  EINTR: 'interrupted',
  EINVAL: 'invalid',
  EIO: 'io',
  EISDIR: 'is-directory',
  ELOOP: 'loop',
  EMLINK: 'too-many-links',
  EMSGSIZE: 'message-size',
  ENAMETOOLONG: 'name-too-long',
  ENODEV: 'no-device',
  ENOENT: 'no-entry',
  ENOLCK: 'no-lock',
  ENOMEM: 'insufficient-memory',
  ENOSPC: 'insufficient-space',
  ENOTDIR: 'not-directory',
  ENOTEMPTY: 'not-empty',
  ENOTRECOVERABLE: 'not-recoverable',
  ENOTSUP: 'unsupported',
  EOPNOTSUPP: 'unsupported',
  ENOTTY: 'no-tty',
  ENXIO: 'no-such-device',
  EOVERFLOW: 'overflow',
  EPERM: 'not-permitted',
  EPIPE: 'pipe',
  EROFS: 'read-only',
  ESPIPE: 'invalid-seek',
  ETXTBSY: 'text-file-busy',
  EXDEV: 'cross-device',
  // Node's own argument checks (a NUL byte in a name, a size out of range).
  ERR_INVALID_ARG_VALUE: 'invalid',
  ERR_INVALID_ARG_TYPE: 'invalid',
  ERR_OUT_OF_RANGE: 'invalid',
};

/** Every `error-code` (each one is the mapping of some errno). */
const CODES = new Set<string>(Object.values(ERRNO_TO_CODE));

/** The Node error code (`ENOENT`, ...) of an exception, if it has one. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The WASI error code of a Node `errno` code; undefined when there is none. */
export function codeForErrno(errno: string | undefined): FsErrorCode | undefined {
  return errno === undefined ? undefined : ERRNO_TO_CODE[errno];
}

/**
 * The `error-code` for anything thrown: error codes pass through, Node errors are mapped by their
 * `code`, and anything else (which would be a host bug) becomes `io` rather than a guest trap.
 */
export function toFsErrorCode(err: unknown): FsErrorCode {
  if (typeof err === 'string' && CODES.has(err)) return err as FsErrorCode;
  return codeForErrno(errnoOf(err)) ?? 'io';
}

/** Runs a host call, throwing only WASI `error-code` values. */
export function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toFsErrorCode(err);
  }
}
