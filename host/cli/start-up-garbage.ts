import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/**
 * Runs one full garbage collection of the main thread's heap, once start-up (restore and seeding)
 * is over. Why: loading a version reads its core modules from the transpile cache (55 MB of
 * buffers for the five componentize-js examples) and compiles them; the buffers are garbage
 * right after, but V8 frees them only at its next full collection, which an idle host reaches
 * 10–20 s later (its memory reducer). Collecting once here gives that memory back to the OS
 * before the host idles: 80 MB of RSS on a restart with the 10 examples. Costs one full GC of
 * a ~30 MB heap (~10–30 ms), once per `lnano serve`.
 *
 * Uses V8's `gc` function through `--expose-gc`, set at run time (the flag only adds that
 * function to contexts created afterwards; nothing else changes).
 */
export function collectStartUpGarbage(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
