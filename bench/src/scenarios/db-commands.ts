import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** One kind of database command a service sent during the measured runs, per message sent. */
export interface CommandCost {
  database: string;
  /** Command, collection and the fields its filter names: `find members {userId}`. */
  command: string;
  perMessage: number;
  /** Mean time from the service's side, queueing in the database included. */
  meanMs: number;
}

type Totals = Record<string, Record<string, { count: number; totalMs: number }>>;

/** What each service wrote into MONGO_COMMAND_STATS_DIR: cumulative counts since it started. */
export function readCommandTotals(dir: string): Totals {
  if (!existsSync(dir)) return {};
  const totals: Totals = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    try {
      totals[file.replace(/\.json$/, '')] = JSON.parse(
        readFileSync(join(dir, file), 'utf8'),
      ) as Totals[string];
    } catch {
      // A file caught half-written counts as absent; the next reading has it.
    }
  }
  return totals;
}

/** The commands sent between two readings, per message sent in between, busiest first. */
export function commandCosts(before: Totals, after: Totals, messages: number): CommandCost[] {
  const costs: CommandCost[] = [];
  for (const [database, commands] of Object.entries(after)) {
    for (const [command, stat] of Object.entries(commands)) {
      const earlier = before[database]?.[command] ?? { count: 0, totalMs: 0 };
      const count = stat.count - earlier.count;
      if (count <= 0 || messages <= 0) continue;
      costs.push({
        database,
        command,
        perMessage: Math.round((count / messages) * 100) / 100,
        meanMs: Math.round(((stat.totalMs - earlier.totalMs) / count) * 10) / 10,
      });
    }
  }
  return costs.sort((a, b) => b.perMessage * b.meanMs - a.perMessage * a.meanMs);
}
