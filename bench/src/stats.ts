/** The value at quantile `q` (0..1) of unsorted samples, by the nearest-rank method; NaN when empty. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sortedQuantile(sorted, q);
}

/** Like `quantile`, for samples already sorted ascending. */
export function sortedQuantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** The middle value, or the mean of the two middle values of an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A figure taken from several runs: the median, and the lowest and highest run. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function spread(runs: readonly number[]): Spread {
  const finite = runs.filter(Number.isFinite);
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: [...runs] };
  return {
    median: median(finite),
    min: Math.min(...finite),
    max: Math.max(...finite),
    runs: [...runs],
  };
}

/** Latency summary of one run, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarise(latenciesMs: readonly number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: sortedQuantile(sorted, 0.5),
    p90: sortedQuantile(sorted, 0.9),
    p99: sortedQuantile(sorted, 0.99),
    max: sorted.length ? (sorted.at(-1) as number) : Number.NaN,
  };
}
