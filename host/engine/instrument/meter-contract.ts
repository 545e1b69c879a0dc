/**
 * What an instrumented module and the host that runs it agree on: the names of the added imports,
 * the options, and the output's version. A module of its own, free of the passes, so a host that
 * only loads cached (already instrumented) modules does not import the instrumenter (see
 * `lnano run` with a warm cache in docs/benchmarks.md).
 */

/** The import module name of the added globals. */
export const METER_MODULE = 'lnano';
/** `(import "lnano" "fuel" (global (mut i64)))`: the remaining fuel. */
export const FUEL_GLOBAL = 'fuel';
/** `(import "lnano" "grow_failed" (global (mut i32)))`: set to 1 when a budget-capped grow returns -1. */
export const GROW_FAILED_GLOBAL = 'grow_failed';
/** Version of the output; part of cache keys. Bump whenever the output for some input changes. */
export const INSTRUMENT_VERSION = 7;

/** What to instrument. */
export interface InstrumentOptions {
  /** Meter fuel (every function body); false: only bound memories and tables. */
  readonly fuel: boolean;
  /** Largest size of each linear memory, bytes (whole 64 KiB pages; the rest is ignored). */
  readonly maxMemoryBytes: number;
  /** Largest number of elements of each table. */
  readonly maxTableElements: number;
  /**
   * Add deadline checks (see `deadline-pass.ts`): the module then imports
   * `"lnano:deadline" "check"` (see `deadline-check.ts`). Default false.
   */
  readonly deadline?: boolean;
}
