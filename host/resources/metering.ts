/**
 * What a component's limits mean for the layers below: how the engine instruments its core
 * modules (memory and table caps always; fuel when `limits.fuel` is set), and the per-call
 * budgets every instance enforces (fuel, input and output size).
 */

import { grantsBlockThread, type InstanceGrants } from '../capabilities/grants.js';
import { meterOptions } from '../engine/engine.js';
import type { InstrumentOptions } from '../engine/instrument/instrument.js';
import type { InstanceOptions } from '../sandbox/instance.js';
import type { Isolation } from '../sandbox/worker-pool.js';
import type { Limits } from './limits.js';

/**
 * The engine's instrumentation for these limits: every component is memory-capped and checks the
 * deadline flag (so it can share a sandbox worker, see docs/sandbox.md).
 */
export function meterFor(limits: Limits): InstrumentOptions {
  return meterOptions({ fuel: limits.fuel !== null, memoryBytes: limits.memoryBytes, deadline: true });
}

/** The per-call budgets an instance applies by default. */
export function callBudgets(limits: Limits): Pick<InstanceOptions, 'fuel' | 'maxInputBytes' | 'maxOutputBytes' | 'isolation'> {
  return {
    ...(limits.isolation !== 'auto' ? { isolation: limits.isolation } : {}),
    ...(limits.fuel !== null ? { fuel: limits.fuel } : {}),
    maxInputBytes: limits.maxPayloadBytes,
    maxOutputBytes: limits.maxOutputBytes,
  };
}

/**
 * Where a component's instances run (see docs/sandbox.md): a worker of their own when the limits
 * ask for it or when the grants let the guest block its thread (preview2-shim's filesystem and
 * outgoing HTTP wait synchronously, which would stall every instance of a shared worker, or the
 * main thread); else what the limits ask for (`inline`, `shared`), or undefined for `auto`: the
 * worker pool's default. Stdin is served from memory and the key-value store is a local SQLite
 * call, so neither blocks for long.
 */
export function isolationFor(limits: Pick<Limits, 'isolation'>, grants: InstanceGrants): Isolation | undefined {
  if (grantsBlockThread(grants)) return 'worker';
  return limits.isolation === 'auto' ? undefined : limits.isolation;
}
