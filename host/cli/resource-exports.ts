/**
 * The resources a component exports, with their constructors, methods and static functions, as
 * `lnano inspect` shows them and `--invoke` recognises (and refuses: a method needs a handle
 * that a command line cannot hold).
 *
 * In a component's exports they are interface functions named `[constructor]R`,
 * `[method]R.name` and `[static]R.name` next to `resource R` in the interface's types.
 */
import { formatWitFunction } from '../engine/component-types/wit-format.js';
import type { ComponentShape, WitFunction } from '../engine/component-types/wit-types.js';

/** One function of an exported resource. */
export interface ResourceFunction {
  readonly kind: 'constructor' | 'method' | 'static';
  /** The method's or static function's name; `constructor` for the constructor. */
  readonly name: string;
  /** The export's own name, e.g. `[method]tally.add`. */
  readonly exportName: string;
  readonly func: WitFunction;
}

/** A resource exported by an interface. */
export interface ExportedResource {
  /** e.g. `lnano:test/tallies`. */
  readonly interface: string;
  readonly name: string;
  readonly functions: readonly ResourceFunction[];
}

const RESOURCE_FUNCTION = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/;

/** Every exported resource with its functions, in export order. */
export function exportedResources(shape: ComponentShape): ExportedResource[] {
  const out: ExportedResource[] = [];
  for (const item of shape.exports) {
    if (item.kind !== 'interface') continue;
    for (const type of item.types) {
      if (type.type.kind !== 'resource') continue;
      const functions: ResourceFunction[] = [];
      for (const func of item.functions) {
        const match = RESOURCE_FUNCTION.exec(func.name);
        if (!match || match[2] !== type.name) continue;
        const kind = match[1] as ResourceFunction['kind'];
        functions.push({ kind, name: match[3] ?? 'constructor', exportName: func.name, func });
      }
      out.push({ interface: item.name, name: type.name, functions });
    }
  }
  return out;
}

/** One resource function in WIT syntax, as written inside `resource R { ... }`. */
export function formatResourceFunction(f: ResourceFunction): string {
  if (f.kind === 'constructor') return `constructor${formatWitFunction({ ...f.func, result: null }).slice('func'.length)};`;
  if (f.kind === 'static') return `${f.name}: static ${formatWitFunction(f.func)};`;
  return `${f.name}: ${formatWitFunction({ ...f.func, params: f.func.params.slice(1) })};`;
}

/**
 * The resource function a name typed after `--invoke` means, if any: the export's own name
 * (`[method]tally.add`, with or without its interface), or `tally.add` / `tally.constructor`.
 */
export function findResourceFunction(shape: ComponentShape, name: string): { resource: ExportedResource; fn: ResourceFunction } | undefined {
  for (const resource of exportedResources(shape)) {
    const shortIface = resource.interface.replace(/^.*\//, '').replace(/@.*$/, '');
    for (const fn of resource.functions) {
      const names = [fn.exportName, `${resource.interface}#${fn.exportName}`, `${shortIface}#${fn.exportName}`, `${resource.name}.${fn.name}`];
      if (fn.kind === 'constructor') names.push(resource.name, `${resource.name}.new`);
      if (names.includes(name)) return { resource, fn };
    }
  }
  return undefined;
}
