import { type Collection } from 'mongodb';
import { upsertRetried } from '@parley/service-kit';
import { type ChatStore, type MembershipListDoc, memberKey } from '../store';

/**
 * Each user's conversation ids and each conversation's member ids, kept by `_id` beside the
 * members collection so that a connecting socket never queries members (a full scan on the dev
 * store). There are no transactions, so the writes are ordered to let a list over-state and never
 * under-state: an id is listed before its membership is inserted and unlisted after it is deleted.
 * A user's conversations are confirmed against their memberships on every read.
 */
export class MembershipLists {
  constructor(private readonly store: ChatStore) {}

  /**
   * A conversation just made has no members yet, so its list is complete as it starts: its first
   * read needs no build from the members collection.
   */
  async started(conversationId: string): Promise<void> {
    await upsertRetried(() =>
      this.store.conversationMembers.updateOne(
        { _id: conversationId },
        { $set: { complete: true }, $setOnInsert: { ids: [] } },
        { upsert: true },
      ),
    );
  }

  /** Before inserting a membership. */
  async listing(conversationId: string, userId: string): Promise<void> {
    await this.add(conversationId, userId);
  }

  /**
   * After inserting a membership, again: a removal of an earlier membership of the same pair that
   * ran between the first listing and the insert may have unlisted it.
   */
  async listed(conversationId: string, userId: string): Promise<void> {
    await this.add(conversationId, userId);
  }

  /** After deleting a membership. */
  async unlist(conversationId: string, userId: string): Promise<void> {
    const { store } = this;
    await Promise.all([
      store.userConversations.updateOne({ _id: userId }, { $pull: { ids: conversationId } }),
      store.conversationMembers.updateOne({ _id: conversationId }, { $pull: { ids: userId } }),
    ]);
    // A re-add racing this removal may have inserted the membership again before the pull.
    if (await store.members.findOne({ _id: memberKey(conversationId, userId) }, { projection: { _id: 1 } })) {
      await this.add(conversationId, userId);
    }
  }

  /** The user's conversations, each confirmed by its membership. */
  async conversationsOf(userId: string): Promise<string[]> {
    const listed = await this.read(this.store.userConversations, userId, 'userId', 'conversationId');
    const confirmed = await Promise.all(
      listed.map((conversationId) =>
        this.store.members.findOne({ _id: memberKey(conversationId, userId) }, { projection: { _id: 1 } }),
      ),
    );
    return listed.filter((_, i) => confirmed[i] !== null);
  }

  /**
   * The conversation's members as listed, unconfirmed.
   * TODO(membership-lists): a chat instance dying between deleting a membership and unlisting it
   * leaves the former member listed here, so they keep receiving the others' presence until they
   * are added and removed again; a sweep comparing lists with memberships would end that.
   */
  async membersOf(conversationId: string): Promise<string[]> {
    return this.read(this.store.conversationMembers, conversationId, 'conversationId', 'userId');
  }

  private async add(conversationId: string, userId: string): Promise<void> {
    const { store } = this;
    await Promise.all([
      upsertRetried(() =>
        store.userConversations.updateOne(
          { _id: userId },
          { $addToSet: { ids: conversationId } },
          { upsert: true },
        ),
      ),
      upsertRetried(() =>
        store.conversationMembers.updateOne(
          { _id: conversationId },
          { $addToSet: { ids: userId } },
          { upsert: true },
        ),
      ),
    ]);
  }

  /**
   * A list, built once from the members collection when it is missing or partial in a database
   * with memberships from before the lists (a list there may have been started by a listing).
   * Building merges into what is there, so it cannot drop an id a concurrent listing added. In a
   * database listed from its start, what is listed is whole: a missing list is an empty one.
   */
  private async read(
    lists: Collection<MembershipListDoc>,
    key: string,
    by: 'userId' | 'conversationId',
    of: 'userId' | 'conversationId',
  ): Promise<string[]> {
    const list = await lists.findOne({ _id: key });
    if (list?.complete || this.store.listsFromStart) return list?.ids ?? [];
    const members = await this.store.members.find({ [by]: key }, { projection: { [of]: 1 } }).toArray();
    const found = members.map((m) => m[of]);
    const built = await upsertRetried(() =>
      lists.findOneAndUpdate(
        { _id: key },
        { $addToSet: { ids: { $each: found } }, $set: { complete: true } },
        { upsert: true, returnDocument: 'after' },
      ),
    );
    return built?.ids ?? found;
  }
}
