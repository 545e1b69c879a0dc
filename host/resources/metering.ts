/**
 * What a component's limits mean for the layers below: how the engine instruments its core
 * modules (memory and table caps always; fuel when `limits.fuel` is set), and the per-call
 * budgets every instance enforces (fuel, input and output size).
 */
import { meterOptions } from '../engine/engine.js';
import type { InstrumentOptions } from '../engine/instrument/instrument.js';
import type { InstanceOptions } from '../sandbox/instance.js';
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
    isolation: limits.isolation,
    ...(limits.fuel !== null ? { fuel: limits.fuel } : {}),
    maxInputBytes: limits.maxPayloadBytes,
    maxOutputBytes: limits.maxOutputBytes,
  };
}
