// The languages `lnano new` and `lnano build` support, each a module sdk/<dir>/toolchain.mjs with
// the interface described in sdk/README.md ("Language modules").
/** @type {Readonly<Record<string, { label: string, dir: string }>>} */
export const LANGUAGES = Object.freeze({
  ts: { label: 'TypeScript', dir: 'ts' },
  js: { label: 'JavaScript', dir: 'js' },
  rust: { label: 'Rust', dir: 'rust' },
  c: { label: 'C', dir: 'c' },
  cpp: { label: 'C++', dir: 'cpp' },
  assemblyscript: { label: 'AssemblyScript', dir: 'assemblyscript' },
  wat: { label: 'WebAssembly text (WAT)', dir: 'wat' },
});

/**
 * The toolchain module of a language.
 * @param {string} id a key of LANGUAGES
 */
export async function loadLanguage(id) {
  const entry = LANGUAGES[id];
  if (!entry) throw new Error(`unknown language "${id}" (known: ${Object.keys(LANGUAGES).join(', ')})`);
  return import(new URL(`./${entry.dir}/toolchain.mjs`, import.meta.url).href);
}
