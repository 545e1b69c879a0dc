import type { Component } from '../../host/engine/component.js';
import { InstancePool } from '../../host/resources/instance-pool.js';
import { LIMIT_DEFAULTS } from '../../host/resources/limits.js';
import type { InstanceOptions } from '../../host/sandbox/instance.js';

/**
 * One instance at a time, started on the first call and replaced on the next call after it dies;
 * calls queue behind each other and have no deadline unless they ask for one.
 */
export function serialPool(component: Component, instance: InstanceOptions): InstancePool {
  return new InstancePool(component, {
    name: component.digest.slice(0, 8),
    instance,
    limits: { ...LIMIT_DEFAULTS, concurrency: 1, queue: 10_000, minInstances: 0, timeoutMs: 2 ** 31 - 1 },
  });
}
