// The host services of the `plugin` world (`log`, `config`, `kv`, `metrics`, `events`): the raw
// core imports and wrappers that lower arguments and lift results. Every import whose result
// does not fit one core value writes it to IMPORT_RET (canonical ABI "return pointer").
import {
  Scratch, liftBytes, liftPairs, liftString, liftStrings, lowerBytes, lowerEvent, lowerPairs, lowerString,
} from "./abi";
import { Event, Pair } from "./types";

const IMPORT_RET: usize = memory.data(16, 8);
/** Arguments lowered for the current import call, freed when it returns. */
const args = new Scratch();
/** (ptr, len) slots for up to four lowered arguments. */
const SLOTS: usize = memory.data(64, 8);

@inline function p(slot: usize): u32 { return load<u32>(SLOTS + slot * 8); }
@inline function l(slot: usize): u32 { return load<u32>(SLOTS + slot * 8, 4); }

// ---- log ----------------------------------------------------------------------------------------

/** `log.level`, in WIT order. */
export enum Level { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4 }

@external("liquid-nano:plugin/log@0.1.0", "log")
declare function rawLog(level: u32, msgPtr: u32, msgLen: u32, fieldsPtr: u32, fieldsLen: u32): void;

/** Writes one line to the host's log; `fields` appear under its `guest` key. */
export function log(level: Level, message: string, fields: Pair[] = []): void {
  lowerString(message, SLOTS, args);
  lowerPairs(fields, SLOTS + 8, args);
  rawLog(<u32>level, p(0), l(0), p(1), l(1));
  args.freeAll();
}

// ---- config -------------------------------------------------------------------------------------

@external("liquid-nano:plugin/config@0.1.0", "get")
declare function rawConfigGet(keyPtr: u32, keyLen: u32, ret: usize): void;
@external("liquid-nano:plugin/config@0.1.0", "get-all")
declare function rawConfigGetAll(ret: usize): void;

/** The manifest's `config` value for `key`, or null. */
export function configGet(key: string): string | null {
  lowerString(key, SLOTS, args);
  rawConfigGet(p(0), l(0), IMPORT_RET);
  args.freeAll();
  if (load<u8>(IMPORT_RET) == 0) return null;
  return liftString(load<u32>(IMPORT_RET, 4), load<u32>(IMPORT_RET, 8));
}

/** Every configured key and value, sorted by key. */
export function configGetAll(): Pair[] {
  rawConfigGetAll(IMPORT_RET);
  return liftPairs(load<u32>(IMPORT_RET), load<u32>(IMPORT_RET, 4));
}

// ---- kv -----------------------------------------------------------------------------------------

/** The cases of `kv.error`, in WIT order. */
export enum KvErrorCase { Denied = 0, QuotaExceeded = 1, TooLarge = 2, Internal = 3 }

/** `kv.error`; `message` is empty for `Denied`. */
export class KvError {
  constructor(public kind: KvErrorCase, public message: string) {}
}

/** A `result<T, kv.error>`: `error` is null on success. */
export class KvResult<T> {
  constructor(public value: T, public error: KvError | null) {}
  get ok(): bool { return this.error == null; }
}

/** Lifts the `kv.error` at IMPORT_RET + 4 (owned). */
function liftKvError(): KvError {
  const kind = <KvErrorCase>load<u8>(IMPORT_RET, 4);
  const message = kind == KvErrorCase.Denied ? "" : liftString(load<u32>(IMPORT_RET, 8), load<u32>(IMPORT_RET, 12));
  return new KvError(kind, message);
}

@external("liquid-nano:plugin/kv@0.1.0", "get")
declare function rawKvGet(keyPtr: u32, keyLen: u32, ret: usize): void;
@external("liquid-nano:plugin/kv@0.1.0", "set")
declare function rawKvSet(keyPtr: u32, keyLen: u32, valuePtr: u32, valueLen: u32, ret: usize): void;
@external("liquid-nano:plugin/kv@0.1.0", "delete")
declare function rawKvDelete(keyPtr: u32, keyLen: u32, ret: usize): void;
@external("liquid-nano:plugin/kv@0.1.0", "list-keys")
declare function rawKvListKeys(prefixPtr: u32, prefixLen: u32, limit: u32, ret: usize): void;

/** The value under `key` (null if none). */
export function kvGet(key: string): KvResult<Uint8Array | null> {
  lowerString(key, SLOTS, args);
  rawKvGet(p(0), l(0), IMPORT_RET);
  args.freeAll();
  if (load<u8>(IMPORT_RET) != 0) return new KvResult<Uint8Array | null>(null, liftKvError());
  if (load<u8>(IMPORT_RET, 4) == 0) return new KvResult<Uint8Array | null>(null, null);
  return new KvResult<Uint8Array | null>(liftBytes(load<u32>(IMPORT_RET, 8), load<u32>(IMPORT_RET, 12)), null);
}

/** Stores `value` under `key`; null on success. */
export function kvSet(key: string, value: Uint8Array): KvError | null {
  lowerString(key, SLOTS, args);
  lowerBytes(value, SLOTS + 8, args);
  rawKvSet(p(0), l(0), p(1), l(1), IMPORT_RET);
  args.freeAll();
  return load<u8>(IMPORT_RET) == 0 ? null : liftKvError();
}

/** Removes `key`; the value says whether it existed. */
export function kvDelete(key: string): KvResult<bool> {
  lowerString(key, SLOTS, args);
  rawKvDelete(p(0), l(0), IMPORT_RET);
  args.freeAll();
  if (load<u8>(IMPORT_RET) != 0) return new KvResult<bool>(false, liftKvError());
  return new KvResult<bool>(load<u8>(IMPORT_RET, 4) != 0, null);
}

/** The keys starting with `prefix`, sorted, at most `limit`. */
export function kvListKeys(prefix: string, limit: u32): KvResult<string[]> {
  lowerString(prefix, SLOTS, args);
  rawKvListKeys(p(0), l(0), limit, IMPORT_RET);
  args.freeAll();
  if (load<u8>(IMPORT_RET) != 0) return new KvResult<string[]>([], liftKvError());
  return new KvResult<string[]>(liftStrings(load<u32>(IMPORT_RET, 4), load<u32>(IMPORT_RET, 8)), null);
}

// ---- metrics ------------------------------------------------------------------------------------

@external("liquid-nano:plugin/metrics@0.1.0", "counter-add")
declare function rawCounterAdd(namePtr: u32, nameLen: u32, value: f64, labelsPtr: u32, labelsLen: u32): void;
@external("liquid-nano:plugin/metrics@0.1.0", "gauge-set")
declare function rawGaugeSet(namePtr: u32, nameLen: u32, value: f64, labelsPtr: u32, labelsLen: u32): void;
@external("liquid-nano:plugin/metrics@0.1.0", "histogram-observe")
declare function rawHistogramObserve(namePtr: u32, nameLen: u32, value: f64, labelsPtr: u32, labelsLen: u32): void;

/** Adds `value` (>= 0) to the counter `name`. */
export function counterAdd(name: string, value: f64, labels: Pair[] = []): void {
  lowerString(name, SLOTS, args);
  lowerPairs(labels, SLOTS + 8, args);
  rawCounterAdd(p(0), l(0), value, p(1), l(1));
  args.freeAll();
}

/** Sets the gauge `name` to `value`. */
export function gaugeSet(name: string, value: f64, labels: Pair[] = []): void {
  lowerString(name, SLOTS, args);
  lowerPairs(labels, SLOTS + 8, args);
  rawGaugeSet(p(0), l(0), value, p(1), l(1));
  args.freeAll();
}

/** Records one observation of `value` in the histogram `name`. */
export function histogramObserve(name: string, value: f64, labels: Pair[] = []): void {
  lowerString(name, SLOTS, args);
  lowerPairs(labels, SLOTS + 8, args);
  rawHistogramObserve(p(0), l(0), value, p(1), l(1));
  args.freeAll();
}

// ---- events -------------------------------------------------------------------------------------

@external("liquid-nano:plugin/events@0.1.0", "emit")
declare function rawEmit(
  a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32, a7: u32,
  a8: u32, a9: u32, a10: u32, a11: u32, a12: u32, a13: u32, a14: u32, a15: u32, ret: usize,
): void;

const EMIT_RECORD: usize = memory.data(64, 8);

/** Queues `event` for routing after this call; returns null, or why it was refused. */
export function emit(event: Event): string | null {
  // The event's 16 flat values are the words of its lowered record, in order.
  const r = EMIT_RECORD;
  lowerEvent(event, r, args);
  rawEmit(
    load<u32>(r), load<u32>(r, 4), load<u32>(r, 8), load<u32>(r, 12), load<u32>(r, 16), load<u32>(r, 20),
    load<u8>(r, 24), load<u32>(r, 28), load<u32>(r, 32), load<u8>(r, 36), load<u32>(r, 40), load<u32>(r, 44),
    load<u32>(r, 48), load<u32>(r, 52), load<u32>(r, 56), load<u32>(r, 60), IMPORT_RET,
  );
  args.freeAll();
  if (load<u8>(IMPORT_RET) == 0) return null;
  return liftString(load<u32>(IMPORT_RET, 4), load<u32>(IMPORT_RET, 8));
}
