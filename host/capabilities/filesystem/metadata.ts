/**
 * Conversions between Node's file metadata and the `wasi:filesystem` forms: stats, metadata
 * hashes, timestamps and file offsets.
 */
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { typeOf } from './directory-entry-stream.js';
import type { Datetime, DescriptorStat, MetadataHashValue, NewTimestamp } from './wasi-types.js';

function toDatetime(ns: bigint): Datetime {
  return { seconds: ns / 1_000_000_000n, nanoseconds: Number(ns % 1_000_000_000n) };
}

/** `descriptor-stat` of Node's bigint stats. */
export function toStat(s: BigIntStats): DescriptorStat {
  return {
    type: typeOf(s),
    linkCount: s.nlink,
    size: s.size,
    dataAccessTimestamp: toDatetime(s.atimeNs),
    dataModificationTimestamp: toDatetime(s.mtimeNs),
    statusChangeTimestamp: toDatetime(s.ctimeNs),
  };
}

/** A stable hash of an inode's identity (device, inode) that does not show the host's inode numbers. */
export function hashOf(s: BigIntStats): MetadataHashValue {
  const digest = createHash('sha256').update(`${s.dev}:${s.ino}`).digest();
  return { upper: digest.readBigUInt64LE(0), lower: digest.readBigUInt64LE(8) };
}

/**
 * A file offset as Node takes it: a number (`writeSync` treats any other position, a bigint
 * included, as "the current position").
 * @throws `invalid` past 2^53 - 1
 */
export function position(offset: bigint): number {
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw 'invalid';
  return Number(offset);
}

/** Seconds (fractional) for `futimes`/`lutimes`; `no-change` keeps `currentNs`. */
export function timeFor(t: NewTimestamp, currentNs: bigint): number {
  if (t.tag === 'now') return Date.now() / 1000;
  if (t.tag === 'timestamp') return Number(t.val.seconds) + t.val.nanoseconds / 1e9;
  return Number(currentNs) / 1e9;
}
