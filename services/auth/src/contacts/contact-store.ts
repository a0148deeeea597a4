import type { Collection, Db } from 'mongodb';

interface ContactDoc {
  /** `<ownerId>:<contactId>`, so adding twice is one document. */
  _id: string;
  ownerId: string;
  contactId: string;
  createdAt: Date;
}

interface BlockDoc {
  /** `<blockerId>:<blockedId>`. */
  _id: string;
  blockerId: string;
  blockedId: string;
  createdAt: Date;
}

/** Each user's contacts and blocks. A block holds in both directions for the chat service. */
export class ContactStore {
  private readonly contacts: Collection<ContactDoc>;
  private readonly blocks: Collection<BlockDoc>;

  constructor(db: Db) {
    this.contacts = db.collection<ContactDoc>('contacts');
    this.blocks = db.collection<BlockDoc>('blocks');
  }

  async ensureIndexes(): Promise<void> {
    await this.contacts.createIndex({ ownerId: 1 }, { name: 'owner' });
    await this.contacts.createIndex({ contactId: 1 }, { name: 'contact' });
    await this.blocks.createIndex({ blockerId: 1 }, { name: 'blocker' });
    await this.blocks.createIndex({ blockedId: 1 }, { name: 'blocked' });
  }

  async add(ownerId: string, contactId: string): Promise<void> {
    await this.contacts.updateOne(
      { _id: `${ownerId}:${contactId}` },
      { $setOnInsert: { ownerId, contactId, createdAt: new Date() } },
      { upsert: true },
    );
  }

  async remove(ownerId: string, contactId: string): Promise<boolean> {
    return (await this.contacts.deleteOne({ _id: `${ownerId}:${contactId}` })).deletedCount === 1;
  }

  async list(ownerId: string): Promise<string[]> {
    const docs = await this.contacts.find({ ownerId }).sort({ createdAt: 1 }).toArray();
    return docs.map((d) => d.contactId);
  }

  /** Blocking also drops the blocked user from the blocker's contacts. */
  async block(blockerId: string, blockedId: string): Promise<void> {
    await this.blocks.updateOne(
      { _id: `${blockerId}:${blockedId}` },
      { $setOnInsert: { blockerId, blockedId, createdAt: new Date() } },
      { upsert: true },
    );
    await this.remove(blockerId, blockedId);
  }

  async unblock(blockerId: string, blockedId: string): Promise<boolean> {
    return (await this.blocks.deleteOne({ _id: `${blockerId}:${blockedId}` })).deletedCount === 1;
  }

  async listBlocked(blockerId: string): Promise<string[]> {
    const docs = await this.blocks.find({ blockerId }).sort({ createdAt: 1 }).toArray();
    return docs.map((d) => d.blockedId);
  }

  /** The ids among `others` that `userId` blocked or that blocked `userId`. */
  async blockedAmong(userId: string, others: readonly string[]): Promise<string[]> {
    if (others.length === 0) return [];
    const list = [...others];
    const docs = await this.blocks
      .find({
        $or: [
          { blockerId: userId, blockedId: { $in: list } },
          { blockedId: userId, blockerId: { $in: list } },
        ],
      })
      .toArray();
    const blocked = new Set(docs.map((d) => (d.blockerId === userId ? d.blockedId : d.blockerId)));
    return list.filter((id) => blocked.has(id));
  }

  async deleteAll(userId: string): Promise<void> {
    await this.contacts.deleteMany({ $or: [{ ownerId: userId }, { contactId: userId }] });
    await this.blocks.deleteMany({ $or: [{ blockerId: userId }, { blockedId: userId }] });
  }
}
