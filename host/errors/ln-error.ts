import { ERROR_CODES, isErrorCode, type ErrorCode, type ErrorSpec } from './codes.js';

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

/**
 * The details `new LnError(code, details)` takes: every placeholder of the code's templates
 * (more keys are allowed). So a missing or misspelled detail is a compile error, not a message
 * that prints `{path}`. A code only known at run time (a revived error) takes any details.
 */
export type DetailsFor<C extends ErrorCode> = [ErrorCode] extends [C]
  ? ErrorDetails
  : ErrorDetails & { readonly [K in DetailKeys<C>]: DetailValue };

/** The plain form of an `LnError`, as it crosses `postMessage` and goes out in HTTP bodies. */
export interface SerializedError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: ErrorDetails;
}

function render(template: string, details: ErrorDetails): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    Object.hasOwn(details, key) ? String(details[key]) : whole);
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

  constructor(code: C, ...[details, options]: DetailKeys<C> extends never
    ? [details?: DetailsFor<C>, options?: { cause?: unknown }]
    : [details: DetailsFor<C>, options?: { cause?: unknown }]) {
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

  /** Rebuilds an error that crossed a thread boundary; anything malformed becomes an internal error. */
  static fromJSON(value: unknown): LnError {
    if (value && typeof value === 'object' && isErrorCode((value as SerializedError).code)) {
      const v = value as SerializedError;
      const details = v.details && typeof v.details === 'object' ? v.details : {};
      return new LnError(v.code, details);
    }
    return new LnError('LN_ERR_INTERNAL_UNEXPECTED', { reason: 'malformed error from a worker' });
  }
}

/** Whether a value is an `LnError` (by its name and code, so it works across realms). */
export function isLnError(value: unknown): value is LnError {
  return value instanceof Error && (value as LnError).name === 'LnError' && isErrorCode((value as LnError).code);
}

/** Wraps anything thrown into an `LnError`, keeping coded errors as they are. */
export function toLnError(err: unknown): LnError {
  if (isLnError(err)) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new LnError('LN_ERR_INTERNAL_UNEXPECTED', { reason }, { cause: err });
}
