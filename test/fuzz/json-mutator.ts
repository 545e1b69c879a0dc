/**
 * Mutations of JSON documents for the manifest and admin-body fuzzers: values replaced by hostile
 * ones (wrong types, huge and negative numbers, long and odd strings, deep nesting, prototype
 * keys), keys dropped, unknown keys added; and text-level damage (truncation, byte edits).
 */
import type { Prng } from './prng.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values that tend to break validators and the code behind them. */
export function hostileValue(rng: Prng, depth = 0): Json {
  switch (rng.int(depth > 3 ? 14 : 17)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -0, -1, 1, 0.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 2 ** 31, -(2 ** 31), 4294967296, 1e-320]);
    case 3:
      return rng.int(2 ** 31) * (rng.chance(0.5) ? 1 : -1);
    case 4:
      return '';
    case 5:
      return 'x'.repeat(rng.pick([1, 63, 64, 65, 256, 257, 1025, 70_000]));
    case 6:
      return rng.pick(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']);
    case 7:
      return rng.pick(['../../etc/passwd', '/', '.', '..', 'C:\\x', '\0', '\u202e', '😀', '\ud800', 'a/b', '*', '**', 'sensor.*']);
    case 8:
      return rng.pick(['1.0.0', '0.0.0-', '99999999999.0.0', '1.0', 'v1.0.0', '1.0.0-rc.1']);
    case 9:
      return rng.pick(['64MiB', '0B', '-1MiB', '1e9GiB', '500ms', '0ms', '-5s', '1h', 'NaNms', '1.5s', '9999999999999999999999s', 'Infinity']);
    case 10:
      return rng.pick([`sha256:${'0'.repeat(64)}`, 'sha256:', `sha256:${'f'.repeat(63)}`, 'md5:x']);
    case 11:
      return String.fromCharCode(...Array.from({ length: 1 + rng.int(12) }, () => rng.int(0x3000)));
    case 12:
      return rng.pick(['immediate', 'canary', 'blue-green', 'ro', 'rw', 'info', '']);
    case 13:
      return rng.int(100);
    case 14:
      return Array.from({ length: rng.int(4) }, () => hostileValue(rng, depth + 1));
    case 15:
      return Object.fromEntries(
        Array.from({ length: rng.int(4) }, () => [rng.pick(['a', '__proto__', 'constructor', 'name', 'host', 'guest', 'allow']), hostileValue(rng, depth + 1)]),
      );
    default: {
      let deep: Json = 1;
      for (let i = rng.int(2000); i > 0; i--) deep = rng.chance(0.5) ? [deep] : { a: deep };
      return deep;
    }
  }
}

/** Every path (list of keys) to a value inside `doc`, the root included. */
function paths(doc: Json, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(prefix);
  if (Array.isArray(doc)) doc.forEach((v, i) => void paths(v, [...prefix, i], out));
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) paths(v, [...prefix, k], out);
  return out;
}

/** A deep copy of `doc` with one to three mutations. */
export function mutateJson(doc: Json, rng: Prng): Json {
  let out = structuredClone(doc);
  for (let k = 1 + rng.int(3); k > 0; k--) {
    const path = rng.pick(paths(out));
    if (path.length === 0) {
      if (rng.chance(0.2)) out = hostileValue(rng);
      continue;
    }
    let parent: any = out;
    for (const key of path.slice(0, -1)) parent = parent[key];
    const key = path[path.length - 1]!;
    const action = rng.int(4);
    if (action === 0 && !Array.isArray(parent)) delete parent[key];
    else if (action === 1 && parent[key] !== null && typeof parent[key] === 'object' && !Array.isArray(parent[key])) {
      Object.defineProperty(parent[key], rng.pick(['unknownKey', '__proto__', 'constructor', 'x-extra']), {
        value: hostileValue(rng),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else parent[key] = hostileValue(rng);
  }
  return out;
}

/** A JSON text, sometimes damaged at the byte level (truncated, a byte changed, garbage added). */
export function mutateText(text: string, rng: Prng): string {
  switch (rng.int(6)) {
    case 0:
      return text.slice(0, rng.int(text.length));
    case 1: {
      const at = rng.int(text.length);
      return text.slice(0, at) + String.fromCharCode(rng.int(128)) + text.slice(at + 1);
    }
    case 2:
      return text + rng.pick([',', '}', ']', '\0', ' garbage', '{}']);
    case 3:
      return rng.pick(['', 'null', '[]', '"x"', '1', 'true', '{"__proto__":{"polluted":1}}', '\ufeff{}']);
    default:
      return text;
  }
}

export type { Json };
