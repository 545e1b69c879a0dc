/**
 * Runs an async step over a list with at most `limit` steps in flight, like `Promise.all` with a
 * cap. A step's rejection rejects the whole run (the other steps still finish); steps that must
 * not stop the others catch their own errors.
 */

/**
 * Calls `step(item, index)` for every item, at most `limit` at a time, in list order.
 *
 * @example
 * await boundedEach(folders, 3, (folder) => deployFolder(folder));
 */
export async function boundedEach<T>(items: readonly T[], limit: number, step: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await step(items[index]!, index);
    }
  };
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane);
  await Promise.all(lanes);
}
