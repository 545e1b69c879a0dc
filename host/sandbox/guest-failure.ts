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

/** What the metering globals said when a call failed (see `engine/instrument/`). */
export interface BudgetSignals {
  /** The fuel global ended below zero: the guest ran out of fuel (the pass traps right after). */
  readonly fuelExhausted: boolean;
  /** A `memory.grow`/`table.grow` the memory budget capped returned -1 during the call. */
  readonly growFailed: boolean;
  /** The call's fuel budget (for the message). */
  readonly fuel: number | null;
  /** The memory budget, bytes (for the message). */
  readonly limitBytes: number | null;
}

/**
 * Classifies what a guest call threw. Anything that unwound guest frames leaves the instance in an
 * unknown state, so every failure here poisons the instance: the host re-creates it.
 *
 * With `signals` from a metered instance, running out of fuel is `LN_ERR_BUDGET_FUEL` and a failure
 * after a grow the memory budget refused is `LN_ERR_BUDGET_MEMORY`, whatever form the failure took
 * (a trap, or for a JS guest an "out of memory" exception): fuel first, because the pass sets the
 * fuel global immediately before its trap, while a refused grow may have been survived earlier.
 */
export function classifyGuestFailure(err: unknown, call: string, signals?: BudgetSignals): GuestFailure {
  if (signals?.fuelExhausted) {
    return { error: new LnError('LN_ERR_BUDGET_FUEL', { call, fuel: signals.fuel }), poisoned: true };
  }
  if (signals?.growFailed) {
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { error: new LnError('LN_ERR_BUDGET_MEMORY', { call, limitBytes: signals.limitBytes, reason }), poisoned: true };
  }
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
