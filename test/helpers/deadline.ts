/**
 * A deadline long enough for work that must finish before a guest is stopped, on this machine at
 * this moment: `factor` times what `rehearse` (the same work, ending normally) took, and at least
 * `floorMs`. For tests that check what a guest did *before* its deadline stopped it: at load 30 on
 * 2 cores, writing 3000 lines took longer than a fixed 2–4 s deadline, so the guest was stopped
 * mid-write and the test failed on a slow machine, not on a bug.
 */
export async function deadlineRoomFor(rehearse: () => Promise<unknown>, floorMs: number, factor = 4): Promise<number> {
  const started = performance.now();
  await rehearse();
  return Math.max(floorMs, Math.ceil(factor * (performance.now() - started)));
}
