/** The UTC calendar day of a time, as `YYYY-MM-DD`: the unit every figure is kept per. */
export function dayOf(time: Date | string): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    days.push(dayOf(new Date(t)));
  }
  return days;
}

/** The value at quantile `q` (0..1) of sorted numbers, by nearest rank; null when there are none. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] ?? null;
}
