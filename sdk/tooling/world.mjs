// Which world of wit/plugin.wit a core module implements, read from its exports, so a plugin
// opts into the lifecycle and state hooks just by exporting them (no build setting).

const LIFECYCLE = 'liquid-nano:plugin/lifecycle@0.1.0#';
const STATE = 'liquid-nano:plugin/state@0.1.0#';

/**
 * The world for `componentFromCore`: `stateful-plugin` when the module exports state hooks,
 * `plugin-with-lifecycle` when it exports lifecycle hooks, `plugin` otherwise.
 * @param {Uint8Array} core a core module
 * @returns {'plugin' | 'plugin-with-lifecycle' | 'stateful-plugin'}
 * @throws {Error} when it exports state hooks without the lifecycle ones (no world has that)
 */
export function worldOfCore(core) {
  const names = WebAssembly.Module.exports(new WebAssembly.Module(core)).map((e) => e.name);
  const lifecycle = names.some((n) => n.startsWith(LIFECYCLE));
  const state = names.some((n) => n.startsWith(STATE));
  if (state && !lifecycle) {
    throw new Error('the module exports state hooks (snapshot/restore) but not init/teardown: the stateful-plugin world needs both');
  }
  return state ? 'stateful-plugin' : lifecycle ? 'plugin-with-lifecycle' : 'plugin';
}
