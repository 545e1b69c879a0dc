/**
 * Structure-aware mutations of WebAssembly binaries for the fuzzers: bit flips, byte inserts and
 * deletes, LEB128 edits of section sizes, section splicing between seeds, truncation.
 */
import type { Prng } from './prng.js';

/** A top-level section: its id byte offset, the size field's extent, and the payload's extent. */
interface Section {
  readonly start: number;
  readonly sizeStart: number;
  readonly payloadStart: number;
  readonly end: number;
}

/** Reads an unsigned LEB128 at `at`; null when it runs off the end or past 5 bytes. */
function readLeb(bytes: Uint8Array, at: number): { value: number; next: number } | null {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (at + i >= bytes.length) return null;
    const b = bytes[at + i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { value, next: at + i + 1 };
  }
  return null;
}

/** Encodes `value` as unsigned LEB128, padded to `minBytes` (a valid, longer encoding). */
export function encodeLeb(value: number, minBytes = 1): Uint8Array {
  const out: number[] = [];
  let v = value;
  do {
    out.push(v % 128);
    v = Math.floor(v / 128);
  } while (v > 0 || out.length < minBytes);
  for (let i = 0; i < out.length - 1; i++) out[i]! |= 0x80;
  return Uint8Array.from(out);
}

/** The top-level sections of a binary, as far as they parse. */
export function sections(bytes: Uint8Array): Section[] {
  const out: Section[] = [];
  let at = 8;
  while (at < bytes.length) {
    const size = readLeb(bytes, at + 1);
    if (!size || size.next + size.value > bytes.length) break;
    out.push({ start: at, sizeStart: at + 1, payloadStart: size.next, end: size.next + size.value });
    at = size.next + size.value;
  }
  return out;
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** LEB128 numbers to try in a size field: off by one, zero, huge, the 32-bit edges. */
const INTERESTING = [0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0xffff, 0x7fffffff, 0xffffffff];

export type MutationKind = 'bit-flip' | 'byte-insert' | 'byte-delete' | 'leb-edit' | 'splice' | 'truncate' | 'byte-set';
export const MUTATIONS: readonly MutationKind[] = ['bit-flip', 'byte-insert', 'byte-delete', 'leb-edit', 'splice', 'truncate', 'byte-set'];

/** One mutation of `bytes`; `donors` are other seeds whose sections may be spliced in. */
export function mutate(bytes: Uint8Array, kind: MutationKind, rng: Prng, donors: readonly Uint8Array[]): Uint8Array {
  // Most mutations aim past the 8-byte preamble: a broken preamble is found at once.
  const at = (n: number): number => (n <= 8 || rng.chance(0.02) ? rng.int(Math.max(1, n)) : 8 + rng.int(n - 8));
  switch (kind) {
    case 'bit-flip': {
      const out = bytes.slice();
      for (let k = 1 + rng.int(4); k > 0 && out.length > 0; k--) out[at(out.length)]! ^= 1 << rng.int(8);
      return out;
    }
    case 'byte-set': {
      const out = bytes.slice();
      if (out.length > 0) out[at(out.length)] = rng.pick([0x00, 0x01, 0x7f, 0x80, 0xff, rng.int(256)]);
      return out;
    }
    case 'byte-insert': {
      const p = at(bytes.length + 1);
      return concat(bytes.subarray(0, p), rng.bytes(1 + rng.int(rng.chance(0.9) ? 4 : 64)), bytes.subarray(p));
    }
    case 'byte-delete': {
      const p = at(bytes.length);
      return concat(bytes.subarray(0, p), bytes.subarray(Math.min(bytes.length, p + 1 + rng.int(rng.chance(0.9) ? 4 : 64))));
    }
    case 'truncate':
      return bytes.slice(0, rng.int(bytes.length));
    case 'leb-edit': {
      const all = sections(bytes);
      if (all.length === 0) return mutate(bytes, 'bit-flip', rng, donors);
      const s = rng.pick(all);
      const size = s.end - s.payloadStart;
      const value = rng.chance(0.5) ? rng.pick(INTERESTING) : Math.max(0, size + rng.int(17) - 8);
      // Sometimes a longer (still valid) encoding of the same or a new value.
      const leb = encodeLeb(value >>> 0, rng.chance(0.3) ? 1 + rng.int(5) : 1);
      return concat(bytes.subarray(0, s.sizeStart), leb, bytes.subarray(s.payloadStart));
    }
    case 'splice': {
      const own = sections(bytes);
      const donor = rng.pick(donors);
      const theirs = sections(donor);
      if (own.length === 0 || theirs.length === 0) return mutate(bytes, 'truncate', rng, donors);
      const s = rng.pick(theirs);
      const piece = donor.subarray(s.start, s.end);
      const target = rng.pick(own);
      if (rng.chance(0.5)) return concat(bytes.subarray(0, target.start), piece, bytes.subarray(target.end)); // replace
      if (rng.chance(0.5)) return concat(bytes.subarray(0, target.start), piece, bytes.subarray(target.start)); // insert
      return concat(bytes.subarray(0, target.start), bytes.subarray(target.end)); // drop
    }
  }
}

/** A mutant of a random seed: one to three stacked mutations. */
export function mutant(seeds: readonly Uint8Array[], rng: Prng): { bytes: Uint8Array; seed: number; kinds: MutationKind[] } {
  const seed = rng.int(seeds.length);
  let bytes = seeds[seed]!;
  const kinds: MutationKind[] = [];
  for (let k = 1 + (rng.chance(0.3) ? rng.int(3) : 0); k > 0; k--) {
    const kind = rng.pick(MUTATIONS);
    kinds.push(kind);
    bytes = mutate(bytes, kind, rng, seeds);
  }
  return { bytes, seed, kinds };
}
