/**
 * The status of a plugin name, for `lnano status` / `lnano ls` and the admin API: the registry's
 * deployment, and for each version with instances its pool and health.
 */
import type { PoolStats } from '../resources/instance-pool.js';
import type { Deployment } from './deployment.js';
import type { HealthSummary } from './health-window.js';
import type { LiveVersion, UsageTotals } from './live-version.js';
import type { VersionRoute } from './version-route.js';

/** One version with instances. */
export interface VersionStatus {
  readonly version: string;
  readonly digest: string;
  /** Exports `liquid-nano:plugin/state` (its state moves across swaps). */
  readonly stateful: boolean;
  readonly pool: PoolStats;
  /** Calls, errors and error rate over the health window, p50/p99 latency (ms). */
  readonly health: HealthSummary;
  /** Whether an unhealthy window would roll it back (or abort it) now. */
  readonly watched: boolean;
  /** The usage receipts of its calls, summed: time, fuel, peak memory, bytes, host calls. */
  readonly usage: UsageTotals;
}

/** What runs under a name. */
export interface RouteStatus {
  readonly name: string;
  /** Active and previous version, and the last deploy (strategy, step, status, reason). */
  readonly deployment: Deployment;
  /** Null when the active version could not start (see the log), or before the first swap. */
  readonly active: VersionStatus | null;
  /** The canary and its share of calls (percent). */
  readonly candidate: (VersionStatus & { readonly weight: number }) | null;
  /** The blue-green standby: warm, taking no calls. */
  readonly standby: VersionStatus | null;
}

function versionStatus(live: LiveVersion, now: number, canary: boolean): VersionStatus {
  return {
    version: live.version,
    digest: live.digest,
    stateful: live.stateful,
    pool: live.stats(),
    health: live.healthSummary(),
    usage: live.usageTotals(),
    watched: canary || now < live.watchedUntil,
  };
}

/** A route's status at time `now` (the manager's clock, ms). */
export function routeStatus(route: VersionRoute, deployment: Deployment, now: number): RouteStatus {
  return {
    name: route.name,
    deployment,
    active: route.active && versionStatus(route.active, now, false),
    candidate: route.candidate && { ...versionStatus(route.candidate, now, true), weight: route.weight },
    standby: route.standby && versionStatus(route.standby, now, false),
  };
}
