import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's default: the young generation doubles when a scavenge finds it too small (`node --v8-options`). */
const DEFAULT_GROWTH = 2;

let collect: (() => void) | undefined;

/**
 * Call first thing in `lnano serve` (bin/lnano.js does, before loading the CLI's modules): until
 * `endStartUp`, V8's young generations keep their size instead of doubling
 * (`--semi-space-growth-factor=1`, a process-wide flag read at each growth). Why: start-up's
 * garbage (400 ES modules loaded, module bytes read from the transpile cache, registry rows) is
 * short-lived, yet it grew the main thread's young generation from 2 to 32 MB, which an idle host
 * kept until V8's memory reducer ran 15–25 s later (14 MB of RSS at 10 s). `endStartUp` gives the
 * default growth back, so serving grows it under load as before.
 */
export function beginStartUp(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Call once restore and seeding are over: gives V8 its default young-generation growth back, and
 * runs one full garbage collection of the main thread's heap. Why: loading a version reads its
 * core modules from the transpile cache (55 MB of buffers for the five componentize-js examples)
 * and compiles them; the buffers are garbage right after, but V8 frees them only at its next full
 * collection, which an idle host reaches 10–20 s later (its memory reducer). Collecting here
 * gives that memory back to the OS before the host idles. Costs one full collection of a ~30 MB
 * heap (~10–30 ms), once per `lnano serve`.
 *
 * Uses V8's `gc` function through `--expose-gc`, set at run time (the flag only adds that
 * function to contexts created afterwards; nothing else changes).
 */
export function endStartUp(): void {
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH}`);
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
