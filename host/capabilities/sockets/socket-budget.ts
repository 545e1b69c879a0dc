/**
 * Live sockets one instance may hold. The network is closed, so a socket is useless to a guest,
 * but each costs host memory outside the guest's memory cap (~4 KB in the shim).
 */
export const MAX_LIVE_SOCKETS = 256;

const DISPOSE_SYMBOLS = [Symbol.dispose, Symbol.for('dispose')].filter((s): s is symbol => typeof s === 'symbol');

/** Wraps a socket factory so at most `MAX_LIVE_SOCKETS` of its sockets are alive at once. */
export function socketBudget<F extends (family: unknown) => object>(create: F, live: { count: number }): F {
  return ((family: unknown) => {
    if (live.count >= MAX_LIVE_SOCKETS) throw 'new-socket-limit';
    const socket = create(family) as Record<symbol, (() => void) | undefined>;
    live.count++;
    let dropped = false;
    for (const symbol of DISPOSE_SYMBOLS) {
      const dispose = socket[symbol];
      if (typeof dispose !== 'function') continue;
      socket[symbol] = function (this: unknown) {
        if (!dropped) live.count--;
        dropped = true;
        return dispose.call(this);
      };
    }
    return socket;
  }) as F;
}
