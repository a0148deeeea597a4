import { BatchedWrites } from '@parley/service-kit';
import type { Collection, Db } from 'mongodb';
import type { IndexedMessage } from '../engine/types';

interface MessageDoc {
  _id: string;
  conversationId: string;
  senderId: string;
  /** Empty once deleted: a tombstone keeps only the version, so a late edit cannot revive it. */
  text: string;
  hasAttachment: boolean;
  createdAt: string;
  editedAt: string | null;
  version: number;
  deleted: boolean;
}

/**
 * The search service's own record of every message it indexed, with the version it holds: the
 * ledger that makes a redelivered or out-of-order event change nothing, and the documents the
 * embedded engine reloads at start-up.
 */
export class MessageStore {
  private readonly collection: Collection<MessageDoc>;
  /** New messages' inserts, one command per batch while the service is busy. */
  private readonly inserts: BatchedWrites<MessageDoc>;

  constructor(db: Db) {
    this.collection = db.collection<MessageDoc>('messages');
    this.inserts = new BatchedWrites(this.collection);
  }

  async init(): Promise<void> {
    await this.collection.createIndex({ conversationId: 1 });
  }

  /** The version held for a message, or -1 when none is. */
  async versionOf(id: string): Promise<number> {
    const doc = await this.collection.findOne({ _id: id }, { projection: { version: 1 } });
    return doc?.version ?? -1;
  }

  /**
   * Records a new message (version 0) unless any version of it is recorded already: false for a
   * redelivered creation, or one that an edit or deletion overtook.
   */
  async claimNew(message: IndexedMessage): Promise<boolean> {
    const { id, ...fields } = message;
    try {
      await this.inserts.insertOne({ _id: id, ...fields, deleted: false });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }

  /** Takes back a claim whose indexing failed, so the event's retry indexes the message. */
  async unclaim(id: string): Promise<void> {
    await this.collection.deleteOne({ _id: id, version: 0 });
  }

  /** Records a message at a version, unless a newer or equal version is already recorded. */
  async record(message: IndexedMessage, deleted: boolean): Promise<void> {
    const { id, ...fields } = message;
    const doc = { ...fields, text: deleted ? '' : fields.text, deleted };
    try {
      if (message.version === 0) {
        // Most messages are never edited: their one change is an insert by `_id`, the point write
        // every server serves from its primary key. A duplicate means the ledger already holds
        // this version (a redelivery) or a later one (an edit that overtook its creation).
        await this.inserts.insertOne({ _id: id, ...doc });
        return;
      }
      // Edits and deletions are rare, so they may afford a filter beyond `_id` (which FerretDB
      // answers by reading the whole ledger): the version condition makes a stale change a no-op
      // without a read-then-write race.
      await this.collection.updateOne(
        { _id: id, version: { $lt: message.version } },
        { $set: doc },
        { upsert: true },
      );
    } catch (err) {
      // The insert met an existing record, or the filter missed because a newer version is there
      // and the upsert collided with it.
      if ((err as { code?: number }).code !== 11000) throw err;
    }
  }

  async *live(): AsyncIterable<IndexedMessage> {
    const cursor = this.collection.find({ deleted: false });
    for await (const { _id, deleted: _deleted, ...rest } of cursor) yield { id: _id, ...rest };
  }

  async clear(): Promise<void> {
    await this.collection.deleteMany({});
  }
}
