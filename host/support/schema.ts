/**
 * Pieces shared by the zod schemas of manifests, the operator policy, limits and admin request
 * bodies: zod itself, loaded on first use; how a size or a duration may be written; and one way
 * to report what failed.
 *
 * zod (≈100 modules) costs 100-150 ms to import, and `lnano run` without a manifest, a policy or
 * grant flags validates nothing with it (issue 15: start fast). So the modules on that path import
 * only its types, build their schemas on first use (`lazySchema`), and get `z` from `zod()`, which
 * `require`s zod's ES module the first time: Node's `require(esm)` (20.19 and later) hands back
 * the very module instance `import 'zod'` does elsewhere, so schemas mix freely. Where Node has no
 * `require(esm)`, zod is imported with this module instead (as before: eager, same behaviour).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { z as Zod } from 'zod';
import { DURATION_PATTERN, SIZE_PATTERN } from './units.js';

type ZodModule = typeof import('zod');

const requireHere = createRequire(import.meta.url);

/** zod, already imported where Node cannot `require` an ES module. */
const eager: ZodModule | undefined = process.features.require_module ? undefined : await import('zod');
let loaded: typeof Zod | undefined = eager?.z;

/**
 * zod's `z`, loaded on first use (synchronous; the same module instance as `import { z } from 'zod'`).
 *
 * @example
 * const name = zod().string().min(1);
 */
export function zod(): typeof Zod {
  loaded ??= (requireHere(zodModuleFile()) as ZodModule).z;
  return loaded;
}

/**
 * The file of zod's ES module: the `import` entry of its package.json (`require('zod')` would take
 * its CommonJS copy, a second zod).
 */
function zodModuleFile(): string {
  const manifest = requireHere.resolve('zod/package.json');
  const { exports } = requireHere('zod/package.json') as { exports: { '.': { import: string } } };
  return join(dirname(manifest), exports['.'].import);
}

/**
 * A schema built by `build` the first time anything touches it, and the same schema after that:
 * `lazySchema(() => zod().string())` can be exported, composed and parsed like the schema itself
 * (property reads, methods, `instanceof`, `in` all reach it), but nothing is built, and zod is not
 * loaded, until then. Methods run on the built schema, so what they return holds no proxy.
 */
export function lazySchema<T extends object>(build: () => T): T {
  const schema = once(build);
  return new Proxy({} as T, {
    get(_target, key) {
      const value: unknown = Reflect.get(schema(), key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(schema()) : value;
    },
    set: (_target, key, value) => Reflect.set(schema(), key, value),
    has: (_target, key) => Reflect.has(schema(), key),
    ownKeys: () => Reflect.ownKeys(schema()),
    getOwnPropertyDescriptor(_target, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(schema(), key);
      // A proxy may not report a property its (empty) target lacks as non-configurable.
      return descriptor && { ...descriptor, configurable: true };
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  });
}

/** Builds `build()` once, on the first call (a module's internal schemas; `build` returns an object). */
export function once<T extends object>(build: () => T): () => T {
  let built: T | undefined;
  return () => (built ??= build());
}

/**
 * A size as written in JSON: `"64MiB"`, or a number of bytes (see `parseByteSize`). The string's
 * `pattern` is for editors (JSON Schema only): `parseByteSize` checks it, with its own message.
 */
export const sizeSchema = lazySchema(() =>
  zod().union([
    zod().string().min(1).max(32).meta({ pattern: SIZE_PATTERN, description: 'a size: a number with B, KB, KiB, MB, MiB, GB or GiB, e.g. 64MiB' }),
    zod().number().int().positive().meta({ description: 'a number of bytes' }),
  ]),
);

/**
 * A duration as written in JSON: `"500ms"`, or a number of milliseconds (see `parseDurationMs`).
 * The string's `pattern` is for editors (JSON Schema only), as for sizes.
 */
export const durationSchema = lazySchema(() =>
  zod().union([
    zod().string().min(1).max(32).meta({ pattern: DURATION_PATTERN, description: 'a duration: a number with ms, s or m, e.g. 500ms, 5s' }),
    zod().number().int().positive().meta({ description: 'a number of milliseconds' }),
  ]),
);

/**
 * Whether `value` is `undefined`, `null` or `{}` (a plain object with no keys of its own): an
 * empty section, which every all-optional strict schema accepts as `{}` without zod being loaded.
 */
export function isEmptySection(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Reflect.ownKeys(value).length === 0;
}

/**
 * Formats zod issues as one line: `fs.0.guest: must be an absolute guest path; env.1BAD: ...`.
 *
 * @param prefix - the path of the validated value in its document (`capabilities`), if any
 * @param options.root - how to name an issue of the whole value (default `(top level)`)
 * @param options.max - most issues listed (default 8)
 */
export function describeIssues(error: Zod.ZodError, prefix = '', options: { root?: string; max?: number } = {}): string {
  return error.issues
    .slice(0, options.max ?? 8)
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${path || (options.root ?? '(top level)')}: ${issue.message}`;
    })
    .join('; ');
}
