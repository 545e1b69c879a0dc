/**
 * Sizes and durations as people write them (`64MiB`, `500ms`) — one parser each, shared by the
 * CLI flags, manifests, the operator policy and the host config.
 */
import { LnError } from '../errors/ln-error.js';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/;

/** What a duration string looks like, as a JSON Schema `pattern` (the parser's own expression). */
export const DURATION_PATTERN = DURATION.source;

/**
 * Parses a duration such as `500ms`, `2s`, `1.5m` or a bare number of milliseconds.
 *
 * @param key - the flag or key being parsed, for the error
 * @param source - where the value came from (`command line`, a file name), for the error
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the key and source
 */
export function parseDurationMs(text: string | number, key: string, source: string): number {
  const match = DURATION.exec(String(text).trim());
  if (!match) {
    throw new LnError('LN_ERR_CONFIG_INVALID', { key, source, reason: `"${text}" is not a duration (e.g. 500ms, 2s)` });
  }
  const n = Number(match[1]);
  const unit = match[2] ?? 'ms';
  const ms = unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
  if (ms <= 0 || !Number.isFinite(ms) || ms > 2 ** 31 - 1) {
    throw new LnError('LN_ERR_CONFIG_INVALID', { key, source, reason: `"${text}" must be more than 0 and at most 24 days` });
  }
  return Math.round(ms);
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/;

/** What a size string looks like, as a JSON Schema `pattern` (the parser's own expression). */
export const SIZE_PATTERN = SIZE.source;
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1000,
  KiB: 1024,
  MB: 1000 ** 2,
  MiB: 1024 ** 2,
  GB: 1000 ** 3,
  GiB: 1024 ** 3,
};

/** The largest size accepted anywhere: 1 TiB (keeps every size an exact integer). */
const MAX_SIZE = 1024 ** 4;

/**
 * Parses a size such as `64MiB`, `512KiB`, `1GB`, `100B` or a bare number of bytes.
 *
 * @throws LnError `LN_ERR_CONFIG_INVALID` naming the key and source
 */
export function parseByteSize(text: string | number, key: string, source: string): number {
  const match = SIZE.exec(String(text).trim());
  if (!match) {
    throw new LnError('LN_ERR_CONFIG_INVALID', { key, source, reason: `"${text}" is not a size (e.g. 64MiB, 512KiB, 1000000)` });
  }
  const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[match[2] ?? 'B']!);
  if (bytes <= 0 || !Number.isFinite(bytes) || bytes > MAX_SIZE) {
    throw new LnError('LN_ERR_CONFIG_INVALID', { key, source, reason: `"${text}" must be more than 0 and at most 1TiB` });
  }
  return bytes;
}

/** A size for people: `64 MiB`, `1.5 KiB`, `100 B`. */
export function formatByteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const [unit, div] = bytes < 1024 ** 2 ? ['KiB', 1024] : bytes < 1024 ** 3 ? ['MiB', 1024 ** 2] : ['GiB', 1024 ** 3];
  const n = bytes / (div as number);
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${unit}`;
}
