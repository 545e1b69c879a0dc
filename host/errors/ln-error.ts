import { ERROR_CODES, type ErrorCode, type ErrorSpec, isErrorCode } from './codes.js';

/** One value substituted into a template; JSON-safe so errors cross threads. */
export type DetailValue = string | number | boolean | null;

/** Values substituted into an error's message template; kept JSON-safe so errors cross threads. */
export type ErrorDetails = Readonly<Record<string, DetailValue>>;

/**
 * The `{name}` placeholders of a template, as a union of names. Braces holding anything but a
 * word (e.g. the JSON `{"language": "c"}` in a fix) are text, as `render` treats them.
 */
export type Placeholders<T extends string> = T extends `${string}{${infer Name}}${infer Rest}`
  ? (Name extends '' | `${string}${' ' | '"' | ':' | '{'}${string}` ? never : Name) | Placeholders<Rest>
  : never;

/** The detail names a code's message and fix templates need. */
export type DetailKeys<C extends ErrorCode> = Placeholders<(typeof ERROR_CODES)[C]['message'] | (typeof ERROR_CODES)[C]['fix']>;

/** The structured details a code may carry besides its placeholders (its registry `extra`). */
export type ExtraDetailKeys<C extends ErrorCode> = (typeof ERROR_CODES)[C] extends { readonly extra: readonly (infer K)[] } ? K & string : never;

/**
 * The details `new LnError(code, details)` takes: every placeholder of the code's templates, and
 * optionally the `extra` details its registry entry names; nothing else. So a missing, misspelled
 * or unknown detail is a compile error, not a message that prints `{path}`. A code only known at
 * run time (a revived error) takes any details.
 */
export type DetailsFor<C extends ErrorCode> = [ErrorCode] extends [C]
  ? ErrorDetails
  : [DetailKeys<C> | ExtraDetailKeys<C>] extends [never]
    ? { readonly [key: string]: never }
    : { readonly [K in DetailKeys<C>]: DetailValue } & { readonly [K in Exclude<ExtraDetailKeys<C>, DetailKeys<C>>]?: DetailValue };

/** The plain form of an `LnError`, as it crosses `postMessage` and goes out in HTTP bodies. */
export interface SerializedError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: ErrorDetails;
}

function render(template: string, details: ErrorDetails): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (Object.hasOwn(details, key) ? String(details[key]) : whole));
}

/**
 * An error with a stable code from the registry (`host/errors/codes.ts`).
 *
 * The message is rendered from the code's template and `details`; `fix` says what to do.
 * `cause` keeps the original error for the log; it is never sent to clients or guests.
 *
 * @example
 * throw new LnError('LN_ERR_LOAD_EMPTY', { subject: 'plugin.wasm' });
 */
export class LnError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = 'LnError';
  readonly code: C;
  readonly details: ErrorDetails;

  constructor(
    code: C,
    ...[details, options]: DetailKeys<C> extends never
      ? [details?: DetailsFor<C>, options?: { cause?: unknown }]
      : [details: DetailsFor<C>, options?: { cause?: unknown }]
  ) {
    details ??= {} as DetailsFor<C>;
    super(render(ERROR_CODES[code].message, details), options);
    this.code = code;
    this.details = details;
  }

  /** The registry entry of this error's code. */
  get spec(): ErrorSpec {
    return ERROR_CODES[this.code];
  }

  /** What the user should do about it, rendered with the same details. */
  get fix(): string {
    return render(this.spec.fix, this.details);
  }

  /** The plain, thread- and wire-safe form (no stack, no cause). */
  toJSON(): SerializedError {
    return { code: this.code, message: this.message, details: this.details };
  }

  /**
   * Rebuilds an error that crossed a thread or HTTP boundary; anything malformed becomes an
   * internal error. The message is the one sent when there is one: a client is sent an error's
   * message without its details when the code is not exposed, and rendering the template again
   * from no details would print its placeholders (`{path}`).
   */
  static fromJSON(value: unknown): LnError {
    if (value && typeof value === 'object' && isErrorCode((value as SerializedError).code)) {
      const v = value as SerializedError;
      const details = v.details && typeof v.details === 'object' ? v.details : {};
      const error = new LnError(v.code, details);
      if (typeof v.message === 'string' && v.message !== '') error.message = v.message;
      return error;
    }
    return new LnError('LN_ERR_INTERNAL_UNEXPECTED', { reason: 'malformed error from a worker' });
  }
}

/**
 * Whether a value is an `LnError`, and, given codes, one with one of them. Checked by name and
 * code, not by class, so it holds for an error made by another copy of this module.
 *
 * @example
 * if (isLnError(err, 'LN_ERR_GUEST_EXIT')) return Number(err.details.exitCode);
 */
export function isLnError<C extends ErrorCode = ErrorCode>(value: unknown, ...codes: readonly C[]): value is LnError<C> {
  if (!(value instanceof Error) || value.name !== 'LnError') return false;
  const code = (value as LnError).code;
  return codes.length === 0 ? isErrorCode(code) : (codes as readonly string[]).includes(code);
}

/** Wraps anything thrown into an `LnError`, keeping coded errors as they are. */
export function toLnError(err: unknown): LnError {
  if (isLnError(err)) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new LnError('LN_ERR_INTERNAL_UNEXPECTED', { reason }, { cause: err });
}
