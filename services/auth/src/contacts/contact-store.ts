import { type Collection, type Db } from 'mongodb';
import { upsertRetried } from '@parley/service-kit';

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

/**
 * One user's blocks both ways, read by `_id` so a socket's handshake never queries blocks (a full
 * scan on the dev store). It may over-state, which only hides presence and is confirmed against
 * `blocks` on read; it must never under-state, so an id is listed before its block is stored and
 * unlisted after it is deleted.
 */
interface BlockListDoc {
  _id: string;
  /** Users this user blocked. */
  blocked: string[];
  /** Users who blocked this user. */
  blockedBy: string[];
  /** Set once built from `blocks`; a list without it is partial (data from before the lists). */
  complete?: boolean;
}

/** Told of a block (`blocked`) or an unblock once it is stored; it must not throw for a failure to pass it on. */
export type BlockChangeListener = (blockerId: string, blockedId: string, blocked: boolean) => Promise<void>;

/** Each user's contacts and blocks. A block holds in both directions for the chat service. */
export class ContactStore {
  private readonly contacts: Collection<ContactDoc>;
  private readonly blocks: Collection<BlockDoc>;
  private readonly blockLists: Collection<BlockListDoc>;

  /**
   * `onBlockChanged` hears of every block and unblock after it is stored, before the caller is
   * answered, so that services caching block answers drop them before the user acts on the change.
   */
  constructor(
    db: Db,
    private readonly onBlockChanged: BlockChangeListener = async () => undefined,
  ) {
    this.contacts = db.collection<ContactDoc>('contacts');
    this.blocks = db.collection<BlockDoc>('blocks');
    this.blockLists = db.collection<BlockListDoc>('block_lists');
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
    await this.listBlock(blockerId, blockedId);
    await this.blocks.updateOne(
      { _id: `${blockerId}:${blockedId}` },
      { $setOnInsert: { blockerId, blockedId, createdAt: new Date() } },
      { upsert: true },
    );
    // Again: an unblock racing this call may have unlisted the pair between the first listing and the upsert.
    await this.listBlock(blockerId, blockedId);
    await this.remove(blockerId, blockedId);
    // Told even when the pair was blocked already: a repeat costs a cache miss, a lost event more.
    await this.onBlockChanged(blockerId, blockedId, true);
  }

  async unblock(blockerId: string, blockedId: string): Promise<boolean> {
    const _id = `${blockerId}:${blockedId}`;
    const deleted = (await this.blocks.deleteOne({ _id })).deletedCount === 1;
    if (!deleted) return false;
    await Promise.all([
      this.blockLists.updateOne({ _id: blockerId }, { $pull: { blocked: blockedId } }),
      this.blockLists.updateOne({ _id: blockedId }, { $pull: { blockedBy: blockerId } }),
    ]);
    // A block racing this call may have stored the pair again before the pull.
    if (await this.blocks.findOne({ _id }, { projection: { _id: 1 } }))
      await this.listBlock(blockerId, blockedId);
    await this.onBlockChanged(blockerId, blockedId, false);
    return true;
  }

  async listBlocked(blockerId: string): Promise<string[]> {
    const docs = await this.blocks.find({ blockerId }).sort({ createdAt: 1 }).toArray();
    return docs.map((d) => d.blockedId);
  }

  /**
   * The ids among `others` that `userId` blocked or that blocked `userId`: the user's block list,
   * each listed pair among `others` confirmed by its block's `_id`.
   */
  async blockedAmong(userId: string, others: readonly string[]): Promise<string[]> {
    if (others.length === 0) return [];
    const asked = new Set(others);
    const list = await this.blockListOf(userId);
    const keys = [
      ...list.blocked.filter((id) => asked.has(id)).map((id) => ({ id, _id: `${userId}:${id}` })),
      ...list.blockedBy.filter((id) => asked.has(id)).map((id) => ({ id, _id: `${id}:${userId}` })),
    ];
    const found = await Promise.all(
      keys.map(({ _id }) => this.blocks.findOne({ _id }, { projection: { _id: 1 } })),
    );
    const blocked = new Set(keys.filter((_, i) => found[i] !== null).map((k) => k.id));
    return others.filter((id) => blocked.has(id));
  }

  async deleteAll(userId: string): Promise<void> {
    await this.contacts.deleteMany({ $or: [{ ownerId: userId }, { contactId: userId }] });
    const own = await this.blockLists.findOne({ _id: userId });
    const filter = { $or: [{ blockerId: userId }, { blockedId: userId }] };
    const pairs = await this.blocks.find(filter).toArray();
    await this.blocks.deleteMany(filter);
    // Unlisted after the blocks are gone, as in unblock; the account's id is kept nowhere after this.
    const others = new Set([
      ...(own?.blocked ?? []),
      ...(own?.blockedBy ?? []),
      ...pairs.map((d) => (d.blockerId === userId ? d.blockedId : d.blockerId)),
    ]);
    await Promise.all(
      [...others].map((_id) =>
        this.blockLists.updateOne({ _id }, { $pull: { blocked: userId, blockedBy: userId } }),
      ),
    );
    await this.blockLists.deleteOne({ _id: userId });
  }

  private async listBlock(blockerId: string, blockedId: string): Promise<void> {
    await Promise.all([
      upsertRetried(() =>
        this.blockLists.updateOne(
          { _id: blockerId },
          { $addToSet: { blocked: blockedId } },
          { upsert: true },
        ),
      ),
      upsertRetried(() =>
        this.blockLists.updateOne(
          { _id: blockedId },
          { $addToSet: { blockedBy: blockerId } },
          { upsert: true },
        ),
      ),
    ]);
  }

  /**
   * The user's list, built once from `blocks` when missing or partial. Building merges into what is
   * there, so it cannot drop a pair that a concurrent block listed.
   */
  private async blockListOf(userId: string): Promise<{ blocked: string[]; blockedBy: string[] }> {
    const list = await this.blockLists.findOne({ _id: userId });
    if (list?.complete) return { blocked: list.blocked ?? [], blockedBy: list.blockedBy ?? [] };
    const docs = await this.blocks.find({ $or: [{ blockerId: userId }, { blockedId: userId }] }).toArray();
    const blocked = docs.filter((d) => d.blockerId === userId).map((d) => d.blockedId);
    const blockedBy = docs.filter((d) => d.blockedId === userId).map((d) => d.blockerId);
    const built = await upsertRetried(() =>
      this.blockLists.findOneAndUpdate(
        { _id: userId },
        {
          $addToSet: { blocked: { $each: blocked }, blockedBy: { $each: blockedBy } },
          $set: { complete: true },
        },
        { upsert: true, returnDocument: 'after' },
      ),
    );
    return { blocked: built?.blocked ?? blocked, blockedBy: built?.blockedBy ?? blockedBy };
  }
}
