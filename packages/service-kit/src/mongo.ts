import { type Db, MongoClient, MongoServerError, type ServerDescriptionChangedEvent } from 'mongodb';
import type { Logger } from 'pino';
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
  options: { commandStatsDir?: string; logger?: Logger } = {},
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
  const stopWatch = options.logger ? watchForStuckClient(client, url, options.logger) : () => undefined;
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
      stopWatch();
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
    if (!isDuplicateKey(err)) throw err;
    return write();
  }
}

/** `text` as a regular expression matching exactly it, for `$regex` filters on what users chose. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a write failed because a document with its unique key (its `_id`, say) exists. */
export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

/** How long the client may see no usable server while a new client reaches one, before it is reopened. */
const STUCK_MS = 30_000;
const WATCH_MS = 5_000;

/**
 * Reopens the client when its view of the database is stuck. After the store was killed twice
 * under load, a service's client kept the server marked unreachable and made no new connection
 * for as long as anyone watched, while a new client reached the store at once; every request
 * failed until the service restarted. The watch asks a new client only after the old one has seen
 * no usable server for a while, and reopens the old one (the same object every store holds) only
 * when the new one got through: with the store itself away there is nothing to mend.
 */
function watchForStuckClient(client: MongoClient, url: string, logger: Logger): () => void {
  const unusable = new Map<string, boolean>();
  let unusableSince: number | undefined;
  let reopening = false;
  const onChange = (event: ServerDescriptionChangedEvent) => {
    unusable.set(event.address, event.newDescription.type === 'Unknown');
  };
  client.on('serverDescriptionChanged', onChange);
  const check = async () => {
    const stuck = unusable.size > 0 && [...unusable.values()].every(Boolean);
    if (!stuck) {
      unusableSince = undefined;
      return;
    }
    unusableSince ??= Date.now();
    if (reopening || Date.now() - unusableSince < STUCK_MS) return;
    reopening = true;
    const probe = new MongoClient(url, { serverSelectionTimeoutMS: 2_000 });
    try {
      await probe.db('admin').command({ ping: 1 });
    } catch {
      reopening = false;
      return;
    } finally {
      await probe.close().catch(() => undefined);
    }
    logger.error('the database answers a new client but not this one; reopening the client');
    try {
      await client.close();
      unusable.clear();
      // Its listeners stay: they are the client's own, not the closed topology's.
      await client.connect();
    } catch (err) {
      logger.error({ err }, 'reopening the database client failed; trying again');
    } finally {
      unusableSince = undefined;
      reopening = false;
    }
  };
  const timer = setInterval(() => void check(), WATCH_MS).unref();
  return () => {
    clearInterval(timer);
    client.off('serverDescriptionChanged', onChange);
  };
}
