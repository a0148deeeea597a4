import { Batcher } from './batcher';
import {
  type AnyBulkWriteOperation,
  type Collection,
  type Document,
  type Filter,
  MongoBulkWriteError,
  MongoServerError,
  type OptionalUnlessRequiredId,
  type UpdateFilter,
} from 'mongodb';

export interface BatchedWritesOptions {
  /** The most inserts one command carries. @default 500 */
  maxInserts?: number;
  /**
   * The most updates one command carries. FerretDB 1.x keeps each update statement's read open
   * until its whole command is done, and its SQLite pool holds 100 connections per database: a
   * command of 100 statements waits for a connection forever, and so does every later command of
   * that database. Two such collections updated at once, with reads beside, stay well clear at 25.
   * @default 25
   */
  maxUpdates?: number;
  /**
   * How long a command may go unanswered before its writes fail (their outcome unknown, so their
   * callers retry them). One command of each kind is on its way at a time, so a command that never
   * settles would hold up every later write to the collection. @default 15_000
   */
  commandTimeoutMs?: number;
}

interface Waiting {
  op: AnyBulkWriteOperation<Document>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Whether the writes the store reports applied, with those it refused, make up the batch: then
 * each write's outcome is known. Inserts are counted as inserted; an update as matched or upserted
 * (one that matched nothing counts as unknown, and fails the batch's writes: they are retried).
 */
function countsAddUp(err: MongoBulkWriteError, batch: Waiting[], refused: number): boolean {
  const { insertedCount = 0, matchedCount = 0, upsertedCount = 0 } = err.result ?? {};
  return insertedCount + matchedCount + upsertedCount + refused === batch.length;
}

/** The command of a batch went unanswered too long; whether its writes were applied is unknown. */
export class WriteTimeoutError extends Error {
  constructor(ms: number) {
    super(`a batch of writes was not answered within ${ms} ms`);
    this.name = 'WriteTimeoutError';
  }
}

/** Writes one batch of one kind in one unordered command, and settles each write on its own. */
async function writeBatch(
  collection: Collection<Document>,
  batch: Waiting[],
  timeoutMs: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const written = collection.bulkWrite(
      batch.map((w) => w.op),
      { ordered: false },
    );
    // Seen after the store was killed twice under load: a command the driver never settled, and
    // with it every later write to the collection waiting behind it until the service restarted.
    const unanswered = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WriteTimeoutError(timeoutMs)), timeoutMs);
    });
    written.catch(() => undefined);
    await Promise.race([written, unanswered]);
    for (const w of batch) w.resolve();
  } catch (err) {
    const writeErrors =
      err instanceof MongoBulkWriteError && !err.writeConcernError
        ? (Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors]).filter(Boolean)
        : [];
    // The driver also reports a command that failed as a whole (the connection reset, the store
    // gone) as a bulk write error, with no write errors in it: then nothing tells which writes
    // were applied, and each caller sees the failure, as a lone write would. Taking the others as
    // written acknowledged messages the store never received.
    if (writeErrors.length === 0 || !countsAddUp(err as MongoBulkWriteError, batch, writeErrors.length)) {
      for (const w of batch) w.reject(err);
      return;
    }
    const failed = new Map<number, MongoServerError>();
    for (const writeError of writeErrors) {
      failed.set(
        writeError.index,
        new MongoServerError({
          message: writeError.errmsg ?? 'write failed',
          errmsg: writeError.errmsg,
          code: writeError.code,
        }),
      );
    }
    batch.forEach((w, index) => {
      const error = failed.get(index);
      if (error) w.reject(error);
      else w.resolve();
    });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Point writes to one collection that go out together: a write made while the previous command
 * of its kind is still on its way waits for it, then leaves with every other write that waited,
 * in one unordered command. A lone write leaves at once, so an idle service adds no delay; a busy
 * one sends a command per batch instead of one per write, which is most of what a database spends
 * on small writes.
 *
 * Each write still settles on its own: one refused by the database (a duplicate key, say) rejects
 * with that error as a MongoServerError, as the same write made alone would, and the others
 * succeed. Writes that wait together carry no order among themselves, as concurrent writes made
 * through a connection pool carry none.
 */
export class BatchedWrites<T extends Document> {
  private readonly inserts: Batcher<Waiting>;
  private readonly updates: Batcher<Waiting>;

  constructor(collection: Collection<T>, options: BatchedWritesOptions = {}) {
    const plain = collection as unknown as Collection<Document>;
    // One command of each kind at a time: the database takes a collection's writes one by one
    // anyway, and the writes waiting meanwhile make the next command.
    const timeoutMs = options.commandTimeoutMs ?? 15_000;
    const send = (batch: Waiting[]) => writeBatch(plain, batch, timeoutMs);
    this.inserts = new Batcher({ concurrency: 1, maxItems: options.maxInserts ?? 500, send });
    this.updates = new Batcher({ concurrency: 1, maxItems: options.maxUpdates ?? 25, send });
  }

  insertOne(document: OptionalUnlessRequiredId<T>): Promise<void> {
    return this.write(this.inserts, { insertOne: { document: document as Document } });
  }

  updateOne(filter: Filter<T>, update: UpdateFilter<T>, options: { upsert?: boolean } = {}): Promise<void> {
    return this.write(this.updates, {
      updateOne: {
        filter: filter as Filter<Document>,
        update: update as UpdateFilter<Document>,
        upsert: options.upsert ?? false,
      },
    });
  }

  private write(batcher: Batcher<Waiting>, op: AnyBulkWriteOperation<Document>): Promise<void> {
    return new Promise((resolve, reject) => batcher.add({ op, resolve, reject }));
  }
}
