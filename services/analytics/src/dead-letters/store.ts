import type { Collection, Db } from 'mongodb';

/** An event a subscriber dropped or could not apply, as the sidecar moved it to the dead-letter topic. */
export interface DeadLetter {
  eventId: string;
  source?: string;
  type?: string;
  /**
   * The event's data as JSON text, cut at MAX_PAYLOAD characters. Stored as text because a
   * dropped event may hold anything, keys starting with `$` included, which no document may.
   */
  payload: string;
  receivedAt: Date;
}

export const MAX_PAYLOAD = 16_384;

const LIST_LIMIT = 100;

/** Dead letters kept for operators to inspect; a redelivered one is stored once. */
export class DeadLetterStore {
  private readonly collection: Collection<DeadLetter>;

  constructor(db: Db) {
    this.collection = db.collection<DeadLetter>('dead_letters');
  }

  async init(): Promise<void> {
    await this.collection.createIndex({ eventId: 1 }, { unique: true });
    await this.collection.createIndex({ receivedAt: -1 });
  }

  async record(letter: DeadLetter): Promise<void> {
    await this.collection.updateOne({ eventId: letter.eventId }, { $setOnInsert: letter }, { upsert: true });
  }

  /** The newest dead letters first. */
  async list(): Promise<DeadLetter[]> {
    return this.collection
      .find({}, { projection: { _id: 0 } })
      .sort({ receivedAt: -1 })
      .limit(LIST_LIMIT)
      .toArray();
  }
}
