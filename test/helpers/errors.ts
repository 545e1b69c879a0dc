import { isLnError, type LnError } from '../../host/errors/ln-error.js';

/** The `code` of what `fn` throws, or 'ok' when it returns. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

/** The `code` a promise rejects with, or 'ok' when it resolves. */
export function codeOfAsync(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? String(e),
  );
}

/** The `LnError` that `fn` throws; fails the test when it returns or throws something else. */
export function errorOf(fn: () => unknown): LnError {
  try {
    fn();
  } catch (err) {
    if (isLnError(err)) return err;
    throw err;
  }
  throw new Error('expected a coded error, but it returned');
}
