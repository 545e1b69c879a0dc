/**
 * A CommonJS dependency loaded on first use instead of at start-up. `yaml` (≈70 files) and
 * `better-sqlite3` cost tens of milliseconds to import, and `lnano run` or a guest worker with
 * no kv grant never uses them (issue 15: start fast). Synchronous, so call sites stay sync.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/**
 * Returns a function that `require`s `specifier` the first time it is called and the same
 * module after that. Give it the module's type: `lazyModule<typeof import('yaml')>('yaml')`.
 *
 * @example
 * const yaml = lazyModule<typeof import('yaml')>('yaml');
 * yaml().parse('a: 1');
 */
export function lazyModule<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(specifier) as T);
}
