import { describe, expect, it } from 'vitest';
import { boundedEach } from '../../../host/support/bounded-each.js';

/** A step that waits until the test releases it, recording how many steps are in flight. */
function gatedSteps() {
  const releases: Array<() => void> = [];
  const started: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const step = async (item: number): Promise<void> => {
    started.push(item);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise<void>((r) => releases.push(r));
    inFlight--;
  };
  const releaseAll = async (): Promise<void> => {
    while (releases.length > 0 || inFlight > 0) {
      for (const release of releases.splice(0)) release();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { step, started, releaseAll, max: () => maxInFlight };
}

describe('boundedEach (serve seeding, issue 15)', () => {
  it('runs up to `limit` steps at once, in list order, and every item once', async () => {
    const g = gatedSteps();
    const done = boundedEach([1, 2, 3, 4, 5, 6, 7], 3, g.step);
    await new Promise((r) => setImmediate(r));
    expect(g.started).toEqual([1, 2, 3]); // three side by side, the rest waiting
    await g.releaseAll();
    await done;
    expect(g.started).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(g.max()).toBe(3);
  });

  it('handles fewer items than lanes and an empty list', async () => {
    const g = gatedSteps();
    const done = boundedEach([1], 4, g.step);
    await g.releaseAll();
    await done;
    expect(g.started).toEqual([1]);
    await expect(boundedEach([], 3, g.step)).resolves.toBeUndefined();
  });

  it("rejects with a step's error; the other lanes keep going", async () => {
    const seen: number[] = [];
    const run = boundedEach([1, 2, 3], 2, async (n) => {
      if (n === 1) throw new Error('boom');
      seen.push(n);
    });
    await expect(run).rejects.toThrow('boom');
    expect(seen).toEqual([2, 3]);
  });
});
