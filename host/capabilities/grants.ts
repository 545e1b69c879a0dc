/**
 * The resolved grants of one instance, in the plain (structured-cloneable) form that crosses into
 * its worker: each registered capability's part (see `registry.ts`) on the WASI side (`wasi`) or
 * the Liquid Nano side (`plugin`). Deny by default: `closedGrants()` is what a component gets
 * when nothing is granted.
 *
 * Grants are resolved: paths are absolute and checked against the operator policy, sizes are in
 * bytes and times in milliseconds. The manifest/CLI forms live in `capability-manifest.ts`.
 */
import type { BaseGrants, GrantSlice } from './capability.js';
import { HTTP_DEFAULTS } from './http/capability.js';
import { KV_DEFAULTS } from './kv/capability.js';
import { LOG_DEFAULTS } from './log/capability.js';
import { REGISTERED, type RegisteredGrant } from './registry.js';

export type { Pair } from './capability.js';
export type { PreopenGrant } from './filesystem/capability.js';
export type { HttpGrant } from './http/capability.js';
export type { KvGrant } from './kv/capability.js';

/** Everything the linker needs to build one instance's imports. */
export type InstanceGrants = BaseGrants & RegisteredGrant;
/** What the guest's WASI sees. */
export type WasiGrants = InstanceGrants['wasi'];
/** What the guest's Liquid Nano host interfaces see. */
export type PluginGrants = InstanceGrants['plugin'];

/** Defaults of the grant parameters that are not on/off (each capability's, by its folder). */
export const GRANT_DEFAULTS = Object.freeze({ http: HTTP_DEFAULTS, kv: KV_DEFAULTS, log: LOG_DEFAULTS });

/** `parts` merged side by side onto the grants every instance has. */
export function composeGrants(component: string, parts: readonly GrantSlice[]): InstanceGrants {
  const wasi: Record<string, unknown> = {};
  const plugin: Record<string, unknown> = { component };
  for (const part of parts) {
    Object.assign(wasi, part.wasi);
    Object.assign(plugin, part.plugin);
  }
  return { wasi, plugin } as unknown as InstanceGrants;
}

/**
 * The default: each capability closed (no environment, argv0 only, no cwd, no preopens, no
 * network, stdin closed, no config values, no kv; stdout/stderr captured by the host, exit turned
 * into a result).
 *
 * @param name - the component's name: the guest's argv0 and the label of its metrics
 */
export function closedGrants(name: string): InstanceGrants {
  return composeGrants(
    name,
    REGISTERED.flatMap((c) => (c.closed ? [c.closed(name)] : [])),
  );
}

/** Whether the grants let the guest block its thread (a filesystem or outgoing HTTP grant): it then needs its own worker. */
export function grantsBlockThread(grants: InstanceGrants): boolean {
  return REGISTERED.some((c) => c.blocksThread?.(grants) ?? false);
}
