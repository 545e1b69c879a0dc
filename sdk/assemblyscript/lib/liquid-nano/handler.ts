// The `handler` export: lifts the event, calls the plugin's `handle`, lowers
// `result<list<event>, error>` into a return area, and frees it all in the post-return function.
// The build wires these to the core exports `liquid-nano:plugin/handler@0.1.0#handle`,
// `cabi_post_liquid-nano:plugin/handler@0.1.0#handle` and `cabi_realloc`.
import { EVENT_SIZE, Scratch, liftEventFlat, lowerEvent, lowerString } from "./abi";
import { ErrorCase, Event, PluginError } from "./types";
import "./abort"; // the abort handler the build wires in with --use abort=

/** What the plugin implements: the events to reply with (return `fail(...)` for an error). */
export type Handler = (event: Event) => Event[];

let pendingError: PluginError | null = null;

/**
 * Makes the current `handle` call return `err(kind(message))`. Use as `return fail(...)`;
 * the returned (empty) list is ignored.
 */
export function fail(kind: ErrorCase, message: string): Event[] {
  pendingError = new PluginError(kind, message);
  return [];
}

/** The 16-byte return area of `handle`: [0] u8 ok/err; ok: [4] ptr [8] len; err: [4] u8 case [8] ptr [12] len. */
const RET_AREA: usize = memory.data(16, 8);
/** What the current result holds, until the post-return function frees it. */
const returned = new Scratch();

/** The `handle` export: 16 flat parameters (the event), returns the return area. */
export function exportHandle(
  handler: Handler,
  a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32, a7: u32,
  a8: u32, a9: u32, a10: u32, a11: u32, a12: u32, a13: u32, a14: u32, a15: u32,
): usize {
  const event = liftEventFlat(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15);
  pendingError = null;
  const events = handler(event);
  const error = pendingError;
  pendingError = null;
  if (error != null) {
    store<u8>(RET_AREA, 1);
    store<u8>(RET_AREA, <u8>error.kind, 4);
    lowerString(error.message, RET_AREA + 8, returned);
    return RET_AREA;
  }
  const n = <usize>events.length;
  const list = returned.alloc(n * EVENT_SIZE);
  for (let i: usize = 0; i < n; i++) lowerEvent(unchecked(events[<i32>i]), list + i * EVENT_SIZE, returned);
  store<u8>(RET_AREA, 0);
  store<u32>(RET_AREA, <u32>list, 4);
  store<u32>(RET_AREA, <u32>n, 8);
  return RET_AREA;
}

/** The post-return function of `handle`: the host has copied the result out. */
export function exportPostHandle(_ret: usize): void {
  returned.freeAll();
}

/** `cabi_realloc`: how the host allocates what it passes in (arguments, import results). */
export function exportRealloc(ptr: usize, oldSize: usize, align: usize, newSize: usize): usize {
  if (newSize == 0) {
    if (oldSize > 0) heap.free(ptr);
    return align;
  }
  if (oldSize == 0) return heap.alloc(newSize);
  return heap.realloc(ptr, newSize);
}
