// Replaces AssemblyScript's `env.abort` import (the build passes
// `--use abort=~lib/liquid-nano/abort/abortHandler`), so a plugin imports nothing outside the
// `plugin` world. This module stands alone and allocates nothing: asc crashes compiling an abort
// handler that reaches module-level state or code that may itself abort, and a handler that does
// not allocate also works when the heap is exhausted.

@external("liquid-nano:plugin/log@0.1.0", "log")
declare function rawLog(level: u32, msgPtr: usize, msgLen: usize, fieldsPtr: usize, fieldsLen: usize): void;

const LEVEL_ERROR: u32 = 4;
const MAX_UNITS: i32 = 80; // at most 3 UTF-8 bytes per UTF-16 unit: fits the buffer

/**
 * Logs the message of the failed assertion or error (its first 80 characters) at `error` level,
 * then traps, which the host reports as LN_ERR_GUEST_TRAP.
 */
export function abortHandler(message: string | null, fileName: string | null, line: u32, column: u32): void {
  if (message != null) {
    const buffer = memory.data(256, 4);
    const units = min(message.length, MAX_UNITS);
    const len = String.UTF8.encodeUnsafe(changetype<usize>(message), units, buffer, false, String.UTF8.ErrorMode.REPLACE);
    rawLog(LEVEL_ERROR, buffer, len, 0, 0);
  }
  unreachable();
}
