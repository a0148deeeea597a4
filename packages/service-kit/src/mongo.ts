import { type Db, MongoClient, MongoServerError } from 'mongodb';
import { DependencyError } from './errors';
import type { ReadinessCheck } from './health';
import { recordCommandStats } from './mongo-stats';

export interface MongoHandle {
  client: MongoClient;
  db: Db;
  check: ReadinessCheck;
  close: () => Promise<void>;
}

/**
 * Connects to MongoDB (or a wire-compatible server) and pings it, so a service fails at start-up
 * rather than on its first request when the database is unreachable.
 */
export async function connectMongo(
  url: string,
  database: string,
  options: { commandStatsDir?: string } = {},
): Promise<MongoHandle> {
  const statsDir = options.commandStatsDir;
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: 5_000,
    appName: database,
    monitorCommands: Boolean(statsDir),
  });
  const stopStats = statsDir ? recordCommandStats(client, statsDir, database) : () => undefined;
  try {
    await client.connect();
    await client.db(database).command({ ping: 1 });
  } catch (err) {
    await client.close().catch(() => undefined);
    throw new DependencyError('mongodb', `cannot reach MongoDB for database ${database}`, { cause: err });
  }
  const db = client.db(database);
  return {
    client,
    db,
    check: {
      name: 'mongodb',
      check: async () => {
        await db.command({ ping: 1 });
      },
    },
    close: async () => {
      stopStats();
      await client.close();
    },
  };
}

/**
 * Runs an upsert, and runs it once more if it failed on a duplicate key: two first upserts of the
 * same missing `_id` at once may both try to insert it, and the loser's second try finds it.
 */
export async function upsertRetried<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
    return write();
  }
}
