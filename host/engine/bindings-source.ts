import { Script } from 'node:vm';
import { LnError } from '../errors/ln-error.js';
import { lastLeanRefusal, leanBindings } from './lean-bindings.js';

/**
 * The format of the bindings the transpile cache keeps, named in their first line: bumped whenever
 * what `bindingsScript` makes changes (2: the lean synchronous call path), so that entries made
 * before are not reused (`isCurrentBindings`).
 */
export const BINDINGS_FORMAT = 2;

/** How the bindings' first line starts; what follows says whether the lean path applies. */
const HEADER = `/* lnano bindings format ${BINDINGS_FORMAT}: `;

/** Whether cached bindings were made by this version's `bindingsScript`. */
export function isCurrentBindings(script: string): boolean {
  return script.startsWith(HEADER);
}

/** Whether bindings made by `bindingsScript` run the lean synchronous call path (lean-bindings.ts). */
export function isLeanBindings(script: string): boolean {
  return script.startsWith(`${HEADER}lean */`);
}

/** Whether `script` compiles (a rewrite that broke the syntax is not used). */
function compiles(script: string): boolean {
  try {
    new Script(script);
    return true;
  } catch {
    return false;
  }
}

/**
 * The bindings the host runs, made from the ES module jco generates: a classic script
 * (`toClassicScript`) with the lean synchronous call path (`leanBindings`) when jco's code has the
 * shape that rewrite knows, else jco's code as it is. The first line is a comment naming the
 * format and which of the two it is, e.g. `/* lnano bindings format 2: lean *\/`.
 *
 * @throws LnError `LN_ERR_LOAD_INVALID` as `toClassicScript`
 */
export function bindingsScript(moduleSource: string): string {
  const classic = toClassicScript(moduleSource);
  const lean = leanBindings(classic);
  if (lean !== undefined && compiles(lean)) return `${HEADER}lean */\n${lean}`;
  const why = lean === undefined ? (lastLeanRefusal ?? 'unknown shape') : 'the rewrite did not compile';
  return `${HEADER}jco (${why.replace(/\*\//g, '* /').replace(/\s+/g, ' ').slice(0, 200)}) */\n${classic}`;
}

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
