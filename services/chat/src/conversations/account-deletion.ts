import { Topics, userDeletedEvent } from '@parley/contracts';
import { escapeRegExp, onEvent, upsertRetried } from '@parley/service-kit';
import type { Express } from 'express';
import { type ChatStore, type EndedMembership, type MemberDoc, memberKey } from '../store';
import type { Conversations } from './service';
import { keepOwned } from './succession';

/** Where the sidecar delivers `user.deleted` (components/subscription-chat-user-deleted.yaml). */
export const USER_DELETED_ROUTE = '/dapr/events/user-deleted';

/** The topics of this module, for the service's readiness to wait for. */
export const ACCOUNT_TOPICS = [Topics.userDeleted];

/**
 * Takes a deleted account out of every conversation it was in, as if it had left each one: the
 * membership goes and `chat.member.removed` is published (actor: the user), so notification,
 * search and the gateway's rooms follow. A group it owned passes to `successorOf` first; a group
 * left with no members stays as one whose last member left does. A direct conversation keeps its
 * other member and its history; sends to it are refused (`CHAT_PEER_DELETED`, see `Messages`).
 *
 * The event comes at least once and a run may stop anywhere. Each membership is recorded before
 * it is touched, and a later run goes over the record again: a group handed over keeps its new
 * owner, a membership already gone is announced again under the same event id.
 *
 * The record is written before the listing, and adds and direct sends look it up after their own
 * insert: one that passed its checks just before the deletion and lands after the listing finds
 * the record and undoes itself (see `Conversations.addMembers`, `Messages.send`).
 */
export class AccountDeletions {
  constructor(
    private readonly store: ChatStore,
    private readonly conversations: Pick<Conversations, 'conversationIdsOf' | 'endMembership'>,
  ) {}

  async accountDeleted(userId: string, deletedAt: Date): Promise<void> {
    const { store } = this;
    // First: from here on, a direct conversation without the user's membership says why.
    const record = await upsertRetried(() =>
      store.accountDeletions.findOneAndUpdate(
        { _id: userId },
        { $setOnInsert: { deletedAt, memberships: [] } },
        { upsert: true, returnDocument: 'after' },
      ),
    );
    const recorded = record?.memberships ?? [];
    const current = await this.membershipsOf(userId);
    const known = new Set(recorded.map((m) => m.conversationId));
    const fresh: EndedMembership[] = current
      .filter((m) => !known.has(m.conversationId))
      .map((m) => ({ conversationId: m.conversationId, role: m.role, joinedAt: m.joinedAt }));
    if (fresh.length > 0) {
      await store.accountDeletions.updateOne({ _id: userId }, { $push: { memberships: { $each: fresh } } });
    }
    const byConversation = new Map(current.map((m) => [m.conversationId, m]));
    for (const ended of [...recorded, ...fresh]) {
      const member = byConversation.get(ended.conversationId);
      // A finished run announced every recorded removal; only a membership back since is left.
      if (!member && record?.finishedAt) continue;
      if (member?.role === 'owner') await this.handOver(member);
      await this.conversations.endMembership(member ?? endedMember(userId, ended), userId, !member);
    }
    // Read cursors and times of the account's past memberships, these included, are its data too;
    // they served only a return, which cannot come (a new account gets a new id).
    await store.formerMembers.deleteMany({ _id: { $regex: `:${escapeRegExp(userId)}$` } });
    await store.accountDeletions.updateOne({ _id: userId }, { $set: { finishedAt: new Date() } });
  }

  /** Whether the user's account was deleted (and their memberships are being or were removed). */
  async isDeleted(userId: string): Promise<boolean> {
    const found = await this.store.accountDeletions.findOne({ _id: userId }, { projection: { _id: 1 } });
    return found !== null;
  }

  private async membershipsOf(userId: string): Promise<MemberDoc[]> {
    const ids = await this.conversations.conversationIdsOf(userId);
    const found = await Promise.all(
      ids.map((conversationId) => this.store.members.findOne({ _id: memberKey(conversationId, userId) })),
    );
    return found.filter((m) => m !== null);
  }

  /**
   * Makes the successor owner before the owner's membership goes, so the group is never without
   * one. Another owner already there (an earlier run got this far) keeps the group.
   */
  private async handOver(owner: MemberDoc): Promise<void> {
    await keepOwned(this.store, owner.conversationId, owner.userId);
  }
}

/** What ending a membership needs of one already gone: who, where, and what its event said. */
function endedMember(userId: string, ended: EndedMembership): MemberDoc {
  return {
    _id: memberKey(ended.conversationId, userId),
    conversationId: ended.conversationId,
    userId,
    role: ended.role,
    joinedAt: ended.joinedAt,
    muted: false,
    archived: false,
    // Zero cursors: keeping them only ever raises what was kept when the membership went.
    readSeq: 0,
    readAt: null,
    deliveredSeq: 0,
    deliveredAt: null,
    devices: {},
  };
}

/** Subscribes to `user.deleted`; a failed run answers RETRY and the sidecar delivers it again. */
export function mountAccountEvents(app: Express, deletions: AccountDeletions): void {
  onEvent(app, USER_DELETED_ROUTE, userDeletedEvent, async ({ data }) => {
    await deletions.accountDeleted(data.userId, new Date(data.occurredAt));
  });
}
