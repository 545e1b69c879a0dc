// Canonical-ABI building blocks for the `liquid-nano:plugin@0.1.0` world on wasm32: how WIT
// strings, lists, options, records and results are laid out in linear memory.
//
// Everything crossing the boundary lives in *unmanaged* memory (`heap.alloc`, AssemblyScript's
// TLSF allocator, 16-byte aligned), never in GC-managed objects, so the garbage collector can
// neither move nor free what the host is reading. Ownership follows the canonical ABI:
//  - arguments the host passes to an export, and results the host returns from an import, are
//    allocated by the host through `cabi_realloc` and owned by the guest: lifting them frees them;
//  - arguments the guest passes to an import are borrowed by the host for the call: they are
//    tracked in a `Scratch` and freed right after the call;
//  - results the guest returns from an export stay alive until the host calls the post-return
//    function, which frees them (`Scratch` again).
import { Event, Pair } from "./types";

/** Raw allocations to free together. */
export class Scratch {
  ptrs: Array<usize> = new Array<usize>();

  /** `size` bytes of unmanaged memory; a zero-size request gets a dangling, aligned pointer. */
  alloc(size: usize, align: usize = 4): usize {
    if (size == 0) return align;
    const ptr = heap.alloc(size);
    this.ptrs.push(ptr);
    return ptr;
  }

  /** Frees every allocation made since the last call. */
  freeAll(): void {
    for (let i = 0; i < this.ptrs.length; i++) heap.free(unchecked(this.ptrs[i]));
    this.ptrs.length = 0;
  }
}

/** Frees a host-allocated buffer of `size` bytes (zero-size buffers are never allocated). */
export function freeOwned(ptr: usize, size: usize): void {
  if (size > 0) heap.free(ptr);
}

// ---- strings ----------------------------------------------------------------------------------

/** Lifts an owned `string` (UTF-8 at `ptr`, `len` bytes) and frees its buffer. */
export function liftString(ptr: usize, len: usize): string {
  const s = String.UTF8.decodeUnsafe(ptr, len);
  freeOwned(ptr, len);
  return s;
}

/** Lowers `s` as UTF-8 into `scratch`, writing (ptr, len) at `out`. Lone surrogates become U+FFFD. */
export function lowerString(s: string, out: usize, scratch: Scratch): void {
  const len = <usize>String.UTF8.byteLength(s);
  const ptr = scratch.alloc(len, 1);
  if (len > 0) {
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, ptr, false, String.UTF8.ErrorMode.REPLACE);
  }
  store<u32>(out, <u32>ptr);
  store<u32>(out, <u32>len, 4);
}

/** `option<string>` (12 bytes): u8 discriminant, then the string at offset 4. */
export function lowerOptionString(s: string | null, out: usize, scratch: Scratch): void {
  if (s == null) {
    store<u32>(out, 0);
    store<u32>(out, 0, 4);
    store<u32>(out, 0, 8);
  } else {
    store<u32>(out, 1);
    lowerString(s, out + 4, scratch);
  }
}

// ---- bytes --------------------------------------------------------------------------------------

/** Lifts an owned `list<u8>` and frees its buffer. */
export function liftBytes(ptr: usize, len: usize): Uint8Array {
  const bytes = new Uint8Array(<i32>len);
  if (len > 0) memory.copy(bytes.dataStart, ptr, len);
  freeOwned(ptr, len);
  return bytes;
}

/** Lowers `bytes` into `scratch`, writing (ptr, len) at `out`. */
export function lowerBytes(bytes: Uint8Array, out: usize, scratch: Scratch): void {
  const len = <usize>bytes.byteLength;
  const ptr = scratch.alloc(len, 1);
  if (len > 0) memory.copy(ptr, bytes.dataStart, len);
  store<u32>(out, <u32>ptr);
  store<u32>(out, <u32>len, 4);
}

// ---- pairs and string lists ------------------------------------------------------------------

/** Lifts an owned `list<pair>` (16 bytes per pair: two strings) and frees it. */
export function liftPairs(ptr: usize, len: usize): Pair[] {
  const pairs = new Array<Pair>(<i32>len);
  for (let i: usize = 0; i < len; i++) {
    const at = ptr + i * 16;
    const key = liftString(load<u32>(at), load<u32>(at, 4));
    const value = liftString(load<u32>(at, 8), load<u32>(at, 12));
    unchecked((pairs[<i32>i] = new Pair(key, value)));
  }
  freeOwned(ptr, len * 16);
  return pairs;
}

/** Lowers `pairs` as a `list<pair>` into `scratch`, writing (ptr, len) at `out`. */
export function lowerPairs(pairs: Pair[], out: usize, scratch: Scratch): void {
  const len = <usize>pairs.length;
  const ptr = scratch.alloc(len * 16);
  for (let i: usize = 0; i < len; i++) {
    const pair = unchecked(pairs[<i32>i]);
    lowerString(pair.key, ptr + i * 16, scratch);
    lowerString(pair.value, ptr + i * 16 + 8, scratch);
  }
  store<u32>(out, <u32>ptr);
  store<u32>(out, <u32>len, 4);
}

/** Lifts an owned `list<string>` (8 bytes per string) and frees it. */
export function liftStrings(ptr: usize, len: usize): string[] {
  const out = new Array<string>(<i32>len);
  for (let i: usize = 0; i < len; i++) {
    unchecked((out[<i32>i] = liftString(load<u32>(ptr + i * 8), load<u32>(ptr + i * 8, 4))));
  }
  freeOwned(ptr, len * 8);
  return out;
}

// ---- events -------------------------------------------------------------------------------------

/** Size of an `event` record in memory (align 4). */
export const EVENT_SIZE: usize = 64;

/**
 * Lowers `event` as a 64-byte record at `out`:
 * id @0, type @8, source @16, time @24 (option), datacontenttype @36 (option), data @48,
 * extensions @56. The same 16 words, read in order, are the event's flat form.
 */
export function lowerEvent(event: Event, out: usize, scratch: Scratch): void {
  lowerString(event.id, out, scratch);
  lowerString(event.type, out + 8, scratch);
  lowerString(event.source, out + 16, scratch);
  lowerOptionString(event.time, out + 24, scratch);
  lowerOptionString(event.datacontenttype, out + 36, scratch);
  lowerBytes(event.data, out + 48, scratch);
  lowerPairs(event.extensions, out + 56, scratch);
}

/** Lifts an event from its 16 flat core values (owned), freeing every buffer. */
export function liftEventFlat(
  idPtr: usize, idLen: usize, typePtr: usize, typeLen: usize, sourcePtr: usize, sourceLen: usize,
  timeIsSome: u32, timePtr: usize, timeLen: usize,
  ctIsSome: u32, ctPtr: usize, ctLen: usize,
  dataPtr: usize, dataLen: usize, extPtr: usize, extLen: usize,
): Event {
  const event = new Event();
  event.id = liftString(idPtr, idLen);
  event.type = liftString(typePtr, typeLen);
  event.source = liftString(sourcePtr, sourceLen);
  event.time = (timeIsSome & 0xff) != 0 ? liftString(timePtr, timeLen) : null;
  event.datacontenttype = (ctIsSome & 0xff) != 0 ? liftString(ctPtr, ctLen) : null;
  event.data = liftBytes(dataPtr, dataLen);
  event.extensions = liftPairs(extPtr, extLen);
  return event;
}
