/** Lookups run at once: enough to hide the store's latency, few enough not to flood its pool. */
const LOOKUP_CONCURRENCY = 16;

/**
 * Maps items a batch at a time, keeping their order, so a large group does not flood the pool.
 * Paired with point reads by `_id`, which the dev store answers by lookup where any other filter
 * reads the whole collection.
 */
export async function inBatches<T, R>(items: T[], map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += LOOKUP_CONCURRENCY) {
    results.push(...(await Promise.all(items.slice(i, i + LOOKUP_CONCURRENCY).map(map))));
  }
  return results;
}
