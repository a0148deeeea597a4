/** Reads a service's Prometheus scrape the way an operator's dashboard would. */
export async function scrapeMetrics(url: string): Promise<string> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`scraping ${url} answered ${res.status}`);
  return res.text();
}

/** The sum of the series of `name` carrying all of `labels`; 0 while none exists yet. */
export function seriesValue(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const pairs = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => pairs.includes(`${k}="${v}"`))) sum += Number(match[3]);
  }
  return sum;
}
