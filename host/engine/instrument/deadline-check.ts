/**
 * The host side of the deadline checks (`deadline-pass.ts`): the `"lnano:deadline" "check"`
 * import. The flag is an `Int32Array` over a SharedArrayBuffer, so another thread (the main
 * thread, when a call's deadline passes) can set it while the guest spins in a worker; `check`
 * reads it with `Atomics.load` and throws `DeadlineExceeded` when it is set, which unwinds the
 * guest. The sandbox maps that error to `LN_ERR_BUDGET_TIME` and poisons only that instance.
 *
 * A guest using exception handling (`catch_all`) could catch the error; every later check throws
 * again while the flag stays set, and terminating the worker stays the backstop.
 */
import { DEADLINE_CHECK, DEADLINE_MODULE } from './deadline-pass.js';

/** Thrown by the check when the flag is set: the guest ran past its deadline. */
export class DeadlineExceeded extends Error {
  /** The error code the sandbox reports for it. */
  readonly code = 'LN_ERR_BUDGET_TIME';

  constructor() {
    super('the call ran past its deadline (deadline flag set)');
    this.name = 'DeadlineExceeded';
  }
}

/**
 * The import object for modules instrumented with `deadline: true`.
 *
 * @param flag - an Int32Array over a SharedArrayBuffer; nonzero at `index` means "stop"
 * @param index - the element of `flag` to read
 * @returns `{ "lnano:deadline": { check } }`, to merge into the instance's imports
 * @throws TypeError when `flag` is not backed by a SharedArrayBuffer (another thread could not set it)
 *
 * @example
 * const flag = new Int32Array(new SharedArrayBuffer(4));
 * const instance = new WebAssembly.Instance(module, { ...imports, ...deadlineImports(flag) });
 * // elsewhere, on another thread: Atomics.store(flag, 0, 1);
 */
export function deadlineImports(flag: Int32Array, index = 0): Record<string, Record<string, () => void>> {
  if (!(flag.buffer instanceof SharedArrayBuffer)) throw new TypeError('the deadline flag must be an Int32Array over a SharedArrayBuffer');
  if (!Number.isInteger(index) || index < 0 || index >= flag.length) throw new RangeError(`deadline flag index ${index} is outside the array`);
  return {
    [DEADLINE_MODULE]: {
      [DEADLINE_CHECK]: () => {
        if (Atomics.load(flag, index) !== 0) throw new DeadlineExceeded();
      },
    },
  };
}
