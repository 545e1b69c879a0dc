/**
 * The signal a guest's `wasi:cli/exit` raises instead of `process.exit`.
 *
 * The exit import throws it; it unwinds the guest's stack like a trap, and the worker turns it
 * into `LN_ERR_GUEST_EXIT` (or, for a `wasi:cli/run`, into the exit code). Recognised by a
 * marker property, not `instanceof`, so any copy of this module agrees.
 */
const MARKER = '__lnanoGuestExit';

export interface GuestExit extends Error {
  readonly [MARKER]: true;
  readonly exitCode: number;
}

/** Creates the exit signal for `exitCode`. */
export function guestExit(exitCode: number): GuestExit {
  const err = new Error(`guest called exit(${exitCode})`) as Error & { [MARKER]: true; exitCode: number };
  err[MARKER] = true;
  err.exitCode = exitCode;
  return err;
}

/** Whether a thrown value is the exit signal. */
export function isGuestExit(value: unknown): value is GuestExit {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[MARKER] === true;
}
