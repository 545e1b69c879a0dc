/**
 * The fuzzers' seeded PRNG. Every fuzz test prints its seed; `LNANO_FUZZ_SEED=<n>` replays a run
 * exactly (the same inputs in the same order), `LNANO_FUZZ_SCALE=<k>` multiplies the input count.
 */

/** The seed of this run: `LNANO_FUZZ_SEED`, else a fresh one. */
export function fuzzSeed(): number {
  const fixed = process.env.LNANO_FUZZ_SEED;
  if (fixed !== undefined && fixed !== '') {
    const n = Number(fixed);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`LNANO_FUZZ_SEED must be a whole number, got "${fixed}"`);
    return n >>> 0;
  }
  return (Math.random() * 2 ** 32) >>> 0;
}

/** How many inputs a fuzz test runs: `base` times `LNANO_FUZZ_SCALE` (default 1). */
export function fuzzCount(base: number): number {
  const scale = Number(process.env.LNANO_FUZZ_SCALE ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** A small deterministic generator (mulberry32) with the helpers the fuzzers use. */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** A whole number in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}
