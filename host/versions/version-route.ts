/**
 * What serves one plugin name in memory: the active version, a canary candidate with its share of
 * calls, a blue-green standby kept warm, and the gate that holds new calls while state is handed
 * over. The registry says the same durably; the version manager keeps the two in step.
 */

import { toLnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import type { LiveVersion } from './live-version.js';
import { canHandOff, type HandoffResult, handOffState } from './state-handoff.js';

/** The versions of one name that have instances. */
export class VersionRoute {
  readonly name: string;
  #active: LiveVersion | null = null;
  readonly #onActiveChange: () => void;
  /** The canary, taking `weight`% of the calls. */
  candidate: LiveVersion | null = null;
  /** The canary's share of calls, 0–100. */
  weight = 0;
  #standby: LiveVersion | null = null;
  #parkTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #standbyWarmMs: number;
  readonly #log: Logger | undefined;
  /** An automatic rollback or abort is queued. */
  autoActionQueued = false;
  #gate: Promise<void> | null = null;

  /**
   * @param onActiveChange - called whenever another version becomes the active one (routing caches)
   * @param options.standbyWarmMs - how long a new standby stays warm before it is parked (default: forever)
   */
  constructor(name: string, onActiveChange: () => void = () => undefined, options: { standbyWarmMs?: number; logger?: Logger } = {}) {
    this.name = name;
    this.#onActiveChange = onActiveChange;
    this.#standbyWarmMs = options.standbyWarmMs ?? Number.POSITIVE_INFINITY;
    this.#log = options.logger;
  }

  /**
   * The previous version (blue-green), for a rollback; takes no calls. It stays warm for
   * `standbyWarmMs` after it became the standby (a rollback then starts nothing), then it is
   * parked: its instances go, its compiled modules stay (`LiveVersion.park`). Whoever makes a
   * parked standby serve again unparks it first (`LiveVersion.unpark`).
   */
  get standby(): LiveVersion | null {
    return this.#standby;
  }

  set standby(next: LiveVersion | null) {
    if (next === this.#standby) return;
    if (this.#parkTimer) clearTimeout(this.#parkTimer);
    this.#parkTimer = null;
    this.#standby = next;
    if (!next || !Number.isFinite(this.#standbyWarmMs)) return;
    const park = (): void => {
      this.#parkTimer = null;
      if (this.#standby !== next) return;
      next.park().catch((err: unknown) => {
        this.#log?.warn({ component: this.name, version: next.version, err: toLnError(err) }, 'parking the standby failed');
      });
    };
    if (this.#standbyWarmMs <= 0) park();
    else {
      this.#parkTimer = setTimeout(park, this.#standbyWarmMs);
      this.#parkTimer.unref?.();
    }
  }

  /** Takes all calls, or `100 - weight`% of them during a canary. */
  get active(): LiveVersion | null {
    return this.#active;
  }

  set active(next: LiveVersion | null) {
    if (next === this.#active) return;
    this.#active = next;
    this.#onActiveChange();
  }

  /** While new calls are held (a state handoff), resolves when they may go on; null otherwise. */
  get gate(): Promise<void> | null {
    return this.#gate;
  }

  /**
   * Makes `next` the active version. When it and the active version both export state, new calls
   * wait at the gate while the active version's calls finish and its state moves to `next`. Then
   * `commit` runs (the registry's swap) and the route switches in the same tick, and the gate
   * opens. When the handoff or `commit` throws, the route stays as it was (the caller stops `next`).
   *
   * @param onHandoffError - turns a failed handoff into a result (go on fresh), or rethrows
   */
  async swapIn(
    next: LiveVersion,
    commit: () => void,
    onHandoffError: (err: unknown) => HandoffResult,
  ): Promise<{ old: LiveVersion | null; handoff: HandoffResult }> {
    const old = this.active;
    const handingOff = canHandOff(old, next);
    const open = handingOff ? this.#closeGate() : () => undefined;
    try {
      if (handingOff) await old?.drain();
      let handoff: HandoffResult;
      try {
        handoff = await handOffState(old, next);
      } catch (err) {
        handoff = onHandoffError(err);
      }
      commit();
      this.active = next;
      return { old, handoff };
    } finally {
      open();
    }
  }

  /**
   * After a swap: waits until `old` has no call in flight, then keeps it warm as the standby
   * (`keepWarm`, blue-green) or stops it; a standby it replaces is stopped.
   */
  async retire(old: LiveVersion | null, keepWarm: boolean): Promise<void> {
    await old?.drain();
    if (old) old.watchedUntil = Number.NEGATIVE_INFINITY;
    const stopping = [this.standby, keepWarm ? null : old].filter((v): v is LiveVersion => v !== null && v !== this.active);
    this.standby = keepWarm ? old : null;
    await Promise.all(stopping.map((v) => v.close()));
  }

  /** Holds new calls until the returned function is called. */
  #closeGate(): () => void {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.#gate = gate;
    return () => {
      if (this.#gate === gate) this.#gate = null;
      open();
    };
  }

  /** The version that takes the next call: the candidate with probability `weight`%, else the active one. */
  pick(random: () => number): LiveVersion | null {
    if (this.candidate && random() * 100 < this.weight) return this.candidate;
    return this.active ?? this.candidate;
  }

  /** Every version with instances. */
  versions(): LiveVersion[] {
    return [this.active, this.candidate, this.standby].filter((v): v is LiveVersion => v !== null);
  }
}

/**
 * Runs operations one after the other per key (deploys, promotes, rollbacks of one name), and
 * those of different keys side by side.
 */
export class KeyedSerializer {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` after every operation queued before it on `key` has settled. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(key) ?? Promise.resolve();
    const result = before.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Resolves when everything queued so far on `key` has settled. */
  async settled(key: string): Promise<void> {
    for (let tail = this.#tails.get(key); tail; tail = this.#tails.get(key)) await tail;
  }

  /** Resolves when everything queued so far has settled. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all([...this.#tails.values()]);
  }
}
