import type { ComponentShape, WitFunction, WorldItem } from './component-types/wit-types.js';
import type { InstrumentOptions } from './instrument/instrument.js';

/**
 * What kind of component this is, from its exports:
 * - `command`: exports `wasi:cli/run` (run it like a program, `lnano run`)
 * - `plugin`: exports `liquid-nano:plugin/handler` (receives events)
 * - `http-proxy`: exports `wasi:http/incoming-handler` (served on an HTTP route)
 * - `library`: anything else (its exports are called with `--invoke`)
 */
export type ComponentKind = 'command' | 'plugin' | 'http-proxy' | 'library';

/** An export a caller can invoke: its path in the instance's exports object and its signature. */
export interface CallableExport {
  /** The WIT name, e.g. `add` or `liquid-nano:plugin/handler@0.1.0#handle`. */
  readonly name: string;
  /** The property path in jco's exports object, e.g. `['addU32']` or `['liquid-nano:plugin/handler@0.1.0', 'handle']`. */
  readonly path: readonly string[];
  readonly func: WitFunction;
}

/**
 * A loaded component: validated, inspected, transpiled and its core modules compiled — once.
 *
 * Immutable and shareable across instances (wasmtime's `Component`); the compiled
 * `WebAssembly.Module`s are posted to each instance's worker without recompiling.
 */
export interface Component {
  /** sha256 of the component bytes, lowercase hex. */
  readonly digest: string;
  /** Size of the component bytes. */
  readonly sizeBytes: number;
  /** Everything it imports and exports, with WIT types. */
  readonly shape: ComponentShape;
  readonly kind: ComponentKind;
  /** jco's generated bindings as a classic script (see bindings-source.ts). */
  readonly bindings: string;
  /** The core modules, compiled, by the names the bindings ask for. */
  readonly modules: ReadonlyMap<string, WebAssembly.Module>;
  /**
   * How the core modules were instrumented (fuel metering, memory and table caps), or null when
   * they run as the toolchain built them. Instances of a metered component get the `lnano`
   * globals the instrumentation imports.
   */
  readonly meter: InstrumentOptions | null;
  /** Whether this load transpiled or found the output in the cache (memory or disk). */
  readonly source: 'transpiled' | 'disk-cache' | 'memory-cache';
}

/** kebab-case to lowerCamelCase, the way jco names functions in its exports object. */
export function jsName(witName: string): string {
  return witName.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const COMMAND_EXPORT = /^wasi:cli\/run@0\.2\./;
const PLUGIN_EXPORT = /^liquid-nano:plugin\/handler@0\./;
const PROXY_EXPORT = /^wasi:http\/incoming-handler@0\.2\./;

/** An interface name without its version: `wasi:cli/environment@0.2.3` → `wasi:cli/environment`. */
export function unversionedName(name: string): string {
  return name.replace(/@[^/#]*$/, '');
}

/** The `wasi:cli/run` export of a command component, called as `lnano run` does. */
export function commandRunExport(shape: ComponentShape): Pick<CallableExport, 'name' | 'path'> | undefined {
  const run = shape.exports.find((e) => e.kind === 'interface' && COMMAND_EXPORT.test(e.name));
  return run && { name: `${run.name}#run`, path: [run.name, 'run'] };
}

/** Classifies a component by its exports. */
export function componentKind(shape: ComponentShape): ComponentKind {
  const names = shape.exports.map((e) => e.name);
  if (names.some((n) => COMMAND_EXPORT.test(n))) return 'command';
  if (names.some((n) => PLUGIN_EXPORT.test(n))) return 'plugin';
  if (names.some((n) => PROXY_EXPORT.test(n))) return 'http-proxy';
  return 'library';
}

/** Every function a caller can invoke by name, world-level and inside exported interfaces. */
export function callableExports(shape: ComponentShape): CallableExport[] {
  const out: CallableExport[] = [];
  for (const item of shape.exports as readonly WorldItem[]) {
    if (item.kind === 'function') {
      out.push({ name: item.name, path: [jsName(item.name)], func: item.func });
    } else if (item.kind === 'interface') {
      for (const func of item.functions) {
        if (func.name.startsWith('[')) continue; // resource methods need a resource handle
        out.push({ name: `${item.name}#${func.name}`, path: [item.name, jsName(func.name)], func });
      }
    }
  }
  return out;
}

/**
 * Finds an export by the name a user typed: the full name, or for interface functions the
 * short `iface#func` / bare `func` forms when they are unambiguous.
 */
export function findExport(shape: ComponentShape, name: string): CallableExport | undefined {
  const all = callableExports(shape);
  const exact = all.find((e) => e.name === name);
  if (exact) return exact;
  const matches = all.filter((e) => {
    const [iface, func] = e.name.includes('#') ? (e.name.split('#') as [string, string]) : ['', e.name];
    const shortIface = iface.replace(/^.*\//, '').replace(/@.*$/, '');
    return func === name || `${shortIface}#${func}` === name || `${shortIface}.${func}` === name;
  });
  return matches.length === 1 ? matches[0] : undefined;
}
