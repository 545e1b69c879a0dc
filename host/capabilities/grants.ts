/**
 * The resolved grants of one instance, in the plain (structured-cloneable) form that crosses into
 * its worker. Deny by default: `closedGrants()` is what a component gets when nothing is granted.
 */

/** A key/value pair as WIT's `tuple<string, string>` surfaces it in JS. */
export type Pair = readonly [string, string];

/** What the guest's WASI sees. */
export interface WasiGrants {
  /** The environment variables the guest sees; never the host's own environment. */
  readonly env: readonly Pair[];
  /** The guest's argv, argv0 first. */
  readonly args: readonly string[];
}

/** What the guest's Liquid Nano host interfaces see. */
export interface PluginGrants {
  /** The manifest's `config` values, sorted by key. */
  readonly config: readonly Pair[];
}

/** Everything the linker needs to build one instance's imports. */
export interface InstanceGrants {
  readonly wasi: WasiGrants;
  readonly plugin: PluginGrants;
}

/**
 * The default: no environment, argv0 only, no preopens, no network, stdin closed, stdout/stderr
 * captured by the host, exit turned into a result; no config values.
 *
 * @param argv0 - the program name the guest sees (the component's name)
 */
export function closedGrants(argv0: string): InstanceGrants {
  return { wasi: { env: [], args: [argv0] }, plugin: { config: [] } };
}
