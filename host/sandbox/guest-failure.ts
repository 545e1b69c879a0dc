import { LnError } from '../errors/ln-error.js';
import { isGuestExit } from './guest-exit.js';

/** How a call failed: the coded error, and whether the instance can no longer be used. */
export interface GuestFailure {
  readonly error: LnError;
  readonly poisoned: boolean;
}

/** Whether a value is jco's `ComponentError`: an `err` returned by an export, not a failure. */
export function isComponentError(value: unknown): value is Error & { payload: unknown } {
  return value instanceof Error && value.constructor.name === 'ComponentError' && Object.hasOwn(value, 'payload');
}

/**
 * Classifies what a guest call threw. Anything that unwound guest frames leaves the instance in an
 * unknown state, so every failure here poisons the instance: the host re-creates it.
 */
export function classifyGuestFailure(err: unknown, call: string): GuestFailure {
  if (isGuestExit(err)) {
    return { error: new LnError('LN_ERR_GUEST_EXIT', { call, exitCode: err.exitCode }), poisoned: true };
  }
  if (err instanceof WebAssembly.RuntimeError) {
    return { error: new LnError('LN_ERR_GUEST_TRAP', { call, reason: err.message }), poisoned: true };
  }
  if (err instanceof RangeError && /call stack/i.test((err as RangeError).message)) {
    return { error: new LnError('LN_ERR_GUEST_TRAP', { call, reason: 'stack overflow (call stack exhausted)' }), poisoned: true };
  }
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : `threw ${String(err)}`;
  return { error: new LnError('LN_ERR_GUEST_TRAP', { call, reason }), poisoned: true };
}
