/**
 * The entry point of the inline watchdog thread (see `watchdog.ts`). Runs only inside a worker.
 *
 * While the main thread runs inline calls it polls the control words every `tickMs`: when the
 * running call's deadline has passed, it claims the call (compare-and-swap of its token to its
 * negation) and then sets the deadline flag the guest's checks read. After `idleMs` without a
 * call it sleeps until the main thread wakes it (the first call after an idle spell notifies).
 */
import { workerData } from 'node:worker_threads';
import { CONTROL, type WatchdogData } from './watchdog.js';

const data = workerData as WatchdogData;
const control = new Int32Array(data.control);
const deadline = new Float64Array(data.control);
const flag = new Int32Array(data.flag);
const now = (): number => performance.timeOrigin + performance.now();

let idleSince = now();
for (;;) {
  const token = Atomics.load(control, CONTROL.run);
  if (token > 0) {
    idleSince = Number.NaN;
    const remaining = deadline[CONTROL.deadline]! - now();
    if (remaining <= 0) {
      // Only a call still running is claimed; the main thread waits for the flag when it sees the claim.
      if (Atomics.compareExchange(control, CONTROL.run, token, -token) === token) Atomics.store(flag, 0, 1);
      continue;
    }
    Atomics.wait(control, CONTROL.run, token, Math.min(remaining, data.tickMs));
    continue;
  }
  const t = now();
  if (Number.isNaN(idleSince)) idleSince = t;
  if (t - idleSince < data.idleMs) {
    Atomics.wait(control, CONTROL.run, token, data.tickMs);
    continue;
  }
  // Deep sleep. Either the main thread sees `asleep` after storing its token (and notifies), or
  // this thread sees the token after storing `asleep` (and does not sleep).
  Atomics.store(control, CONTROL.asleep, 1);
  if (Atomics.load(control, CONTROL.run) <= 0) Atomics.wait(control, CONTROL.asleep, 1);
  Atomics.store(control, CONTROL.asleep, 0);
  idleSince = Number.NaN;
}
