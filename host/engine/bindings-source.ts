import { LnError } from '../errors/ln-error.js';

/**
 * Turns the ES module jco generates in `instantiation: 'async'` mode into a classic script whose
 * completion value is its `instantiate` function.
 *
 * Why: `import()` of a `data:` URL or a temp file is never garbage-collected (FINDINGS), so every
 * hot swap would leak the generated code. A classic script compiled with `vm.Script` is
 * collectable. The generated module imports nothing in instantiation mode; its only module-only
 * syntax is two `export` keywords and one `import.meta.url` on the path we never take (we always
 * pass `getCoreModule`).
 *
 * Also removes jco's per-call `process.env.JCO_DEBUG` lookup, a third of a trivial call's cost.
 *
 * @throws LnError `LN_ERR_LOAD_INVALID` if the generated code has a shape we do not recognise
 */
export function toClassicScript(moduleSource: string): string {
  if (/^\s*import\s/m.test(moduleSource)) {
    throw new LnError('LN_ERR_LOAD_INVALID', {
      subject: 'bindings',
      reason: 'the generated bindings import modules; expected instantiation mode',
    });
  }
  let src = moduleSource
    .replace(/^"use components";\s*$/m, '')
    .replace(/^export function instantiate\(/m, 'function instantiate(')
    .replace(/^export const _util = /m, 'const _util = ')
    .replaceAll('import.meta.url', '"file:///lnano-bindings/"')
    .replaceAll('globalThis?.process?.env?.JCO_DEBUG', 'false');
  if (/^export\s/m.test(src) || !/^function instantiate\(/m.test(src)) {
    throw new LnError('LN_ERR_LOAD_INVALID', {
      subject: 'bindings',
      reason: 'the generated bindings have an unexpected shape',
    });
  }
  src = `(function () {\n"use strict";\n${src}\nreturn instantiate;\n})()`;
  return src;
}
