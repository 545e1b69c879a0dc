/**
 * Compile-time cases of `new LnError(code, details)` (issue 16 item 5). Not run: this file is
 * type-checked by details-types.test.ts, and every `@ts-expect-error` line must be an error
 * (TypeScript reports a directive whose line compiles), every other line must compile.
 */
import type { ErrorCode } from '../../../host/errors/codes.js';
import { isLnError, LnError } from '../../../host/errors/ln-error.js';

export const cases: unknown[] = [
  // Every placeholder of the message and the fix, nothing else.
  new LnError('LN_ERR_LOAD_NOT_FOUND', { path: 'x.wasm', reason: 'gone' }),
  new LnError('LN_ERR_CONFIG_USAGE', { reason: 'x', command: 'run' }),
  // A code whose templates have no placeholders takes no details.
  new LnError('LN_ERR_ADMIN_UNAUTHORIZED'),
  new LnError('LN_ERR_ADMIN_UNAUTHORIZED', {}),
  // The registry's `extra` details are optional.
  new LnError('LN_ERR_VERSION_DEPLOY_FAILED', { name: 'a', version: '1', step: 'validate', reason: 'r' }),
  new LnError('LN_ERR_VERSION_DEPLOY_FAILED', { name: 'a', version: '1', step: 'validate', reason: 'r', causeCode: 'LN_ERR_LOAD_INVALID' }),
  new LnError('LN_ERR_BUDGET_MEMORY', { limitBytes: 1, call: 'run', reason: 'grow refused' }),
  // A code only known at run time takes any details (a revived error).
  new LnError('LN_ERR_LOAD_EMPTY' as ErrorCode, { anything: 1 }),

  // @ts-expect-error a misspelled placeholder: "path" is missing
  new LnError('LN_ERR_LOAD_NOT_FOUND', { file: 'x.wasm', reason: 'gone' }),
  // @ts-expect-error a placeholder of the fix ("command") is missing
  new LnError('LN_ERR_CONFIG_USAGE', { reason: 'x' }),
  // @ts-expect-error no details at all for a code with placeholders
  new LnError('LN_ERR_LOAD_NOT_FOUND'),
  // @ts-expect-error a detail the templates and the registry's extra do not name
  new LnError('LN_ERR_LOAD_NOT_FOUND', { path: 'x.wasm', reason: 'gone', subject: 'x' }),
  // @ts-expect-error an extra detail of another code
  new LnError('LN_ERR_LOAD_NOT_FOUND', { path: 'x.wasm', reason: 'gone', causeCode: 'x' }),
  // @ts-expect-error details for a code that has none
  new LnError('LN_ERR_ADMIN_UNAUTHORIZED', { reason: 'x' }),
  // @ts-expect-error a detail that is not JSON-safe
  new LnError('LN_ERR_EVENT_INVALID', { reason: new Date() }),
  // @ts-expect-error not a registered code
  new LnError('LN_ERR_NOPE', {}),
];

/** `isLnError(e, code)` narrows the code, so a branch sees the codes it asked for. */
export function narrowed(err: unknown): 'LN_ERR_GUEST_EXIT' | 'LN_ERR_GUEST_TRAP' | null {
  if (isLnError(err, 'LN_ERR_GUEST_EXIT', 'LN_ERR_GUEST_TRAP')) return err.code;
  if (isLnError(err)) {
    // @ts-expect-error any code is possible here
    const exit: 'LN_ERR_GUEST_EXIT' = err.code;
    return exit;
  }
  // @ts-expect-error not an LnError
  return err.code;
}
