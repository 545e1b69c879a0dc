/**
 * State handoff across a swap: when the version leaving and the version arriving both export
 * `liquid-nano:plugin/state`, one instance of the old version is asked for `snapshot()` and every
 * warm instance of the new one gets `restore(state)`. Otherwise the new instances start fresh.
 *
 * The order around it (see docs/versions.md, "State handoff") is the version manager's: for a
 * swap it holds new calls to the name, waits for the old version's calls in flight, hands the
 * state over, swaps, and lets the held calls through, so no call's effect on the state is lost.
 */
import { LnError, toLnError } from '../errors/ln-error.js';
import type { LiveVersion } from './live-version.js';

/** What a handoff did. */
export type HandoffResult =
  | { readonly kind: 'state'; readonly from: string; readonly bytes: number; readonly instances: number }
  | { readonly kind: 'fresh'; readonly reason: string };

/** Whether a handoff applies: both versions export `state`. */
export function canHandOff(from: LiveVersion | null, to: LiveVersion): boolean {
  return from !== null && from !== to && from.stateful && to.stateful;
}

/**
 * Moves the state of `from` into `to`, or says why the new instances start fresh.
 *
 * @throws LnError `LN_ERR_GUEST_ERROR` (details `call: state handoff`) when `snapshot` fails or
 *   `restore` refuses the state: the caller decides whether that stops the swap
 */
export async function handOffState(from: LiveVersion | null, to: LiveVersion): Promise<HandoffResult> {
  if (from === null) return { kind: 'fresh', reason: 'no version was active' };
  if (from === to) return { kind: 'fresh', reason: 'the same instances serve on' };
  if (!canHandOff(from, to)) {
    const missing = [from.stateful ? null : `${from.name}@${from.version}`, to.stateful ? null : `${to.name}@${to.version}`].filter((v) => v !== null);
    return { kind: 'fresh', reason: `${missing.join(' and ')} ${missing.length > 1 ? 'do' : 'does'} not export liquid-nano:plugin/state` };
  }
  let state: Uint8Array;
  try {
    state = await from.snapshot();
  } catch (err) {
    throw failure(`snapshot of ${from.version} failed: ${toLnError(err).message}`, err);
  }
  try {
    const instances = await to.restore(state);
    return { kind: 'state', from: from.version, bytes: state.byteLength, instances };
  } catch (err) {
    throw failure(`restore into ${to.version} failed: ${toLnError(err).message}`, err);
  }
}

function failure(value: string, cause: unknown): LnError {
  return new LnError('LN_ERR_GUEST_ERROR', { call: 'state handoff', value }, { cause });
}
