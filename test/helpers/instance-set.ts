/**
 * The instances one test file starts on one pool, disposed with the pool at the end; and fifty
 * `numbers` neighbours that must keep answering while one of them misbehaves (the shared-worker
 * and inline isolation tests).
 */
import { expect } from 'vitest';
import { closedGrants, type InstanceGrants } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { type CallableExport, type Component, findExport } from '../../host/engine/component.js';
import { type CallOptions, Instance, type InstanceOptions } from '../../host/sandbox/instance.js';
import type { WorkerPool } from '../../host/sandbox/worker-pool.js';

/** An export of `c` that the test knows exists. */
export const fn = (c: Component, name: string): CallableExport => findExport(c.shape, name)!;

export interface InstanceSet {
  /** Starts an instance of `c` on the set's pool with `grants` (default: closed) and `extra` options. */
  start(c: Component, grants?: InstanceGrants, extra?: Partial<InstanceOptions>): Promise<Instance>;
  /** Fifty `numbers` instances, and `answer()`: each one's `add-u32(i, 1)`. */
  neighbours(call?: CallOptions): Promise<{ all: Instance[]; answer(): Promise<number[]> }>;
  /** Disposes every instance the set started, then closes the pool. */
  close(): Promise<void>;
}

export function instanceSet(workers: WorkerPool, load: (name: string) => Promise<Component>): InstanceSet {
  const started: Instance[] = [];
  const start = async (c: Component, grants: InstanceGrants = closedGrants(c.digest.slice(0, 8)), extra: Partial<InstanceOptions> = {}): Promise<Instance> => {
    const instance = await Instance.start(c, { linker: linkerSpec(grants), workers, ...extra });
    started.push(instance);
    return instance;
  };
  return {
    start,
    async neighbours(call?: CallOptions) {
      const numbers = await load('numbers');
      const all = await Promise.all(Array.from({ length: 50 }, () => start(numbers)));
      const add = fn(numbers, 'add-u32');
      return { all, answer: () => Promise.all(all.map(async (n, i) => (await n.call(add, [i, 1], call)).value as number)) };
    },
    async close() {
      await Promise.all(started.map((i) => i.dispose()));
      await workers.close();
    },
  };
}

/**
 * Two `env-reader` instances side by side, one granted two variables and one granted none: each
 * sees only its own environment, before and after the other ran.
 */
export async function expectGrantsApart(set: InstanceSet, load: (name: string) => Promise<Component>): Promise<void> {
  const reader = await load('env-reader');
  const base = closedGrants('env-a');
  const granted = await set.start(reader, {
    ...base,
    wasi: {
      ...base.wasi,
      env: [
        ['SECRET', 'hunter2'],
        ['OTHER', '1'],
      ],
    },
  });
  const closed = await set.start(reader, closedGrants('env-b'));
  const count = fn(reader, 'count-env');
  expect((await granted.call(count, [])).value).toBe(2);
  expect((await closed.call(count, [])).value).toBe(0);
  expect((await granted.call(count, [])).value).toBe(2);
}
