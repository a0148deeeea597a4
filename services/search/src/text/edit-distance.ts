/**
 * Optimal string alignment distance (Levenshtein plus swapping two neighbours), giving up as soon
 * as it must exceed `max`: the typo tolerance of the embedded engine compares every vocabulary
 * term with each query term, so most comparisons must end early.
 */
export function withinDistance(a: string, b: string, max: number): boolean {
  if (Math.abs(a.length - b.length) > max) return false;
  const n = b.length;
  let before = new Array<number>(n + 1).fill(0);
  let previous = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = new Array<number>(n + 1).fill(0);
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, before[j - 2]! + 1);
      }
      current[j] = value;
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return false;
    before = previous;
    previous = current;
  }
  return previous[n]! <= max;
}

/** How many typos a query term of this length may carry: none below 4 characters. */
export function typoBudget(term: string): number {
  const length = [...term].length;
  if (length < 4) return 0;
  return length < 8 ? 1 : 2;
}
