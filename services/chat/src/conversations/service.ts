import type { MediaStatus } from '@parley/contracts';
import { type Logger, isDuplicateKey } from '@parley/service-kit';
import type { Directory } from '../auth-client';
import {
  BlockedError,
  ConflictError,
  ConversationNotFoundError,
  ForbiddenError,
  RoleRequiredError,
  UserNotFoundError,
} from '../errors';
import type { ChatEvents } from '../events';
import { directConversationId, newConversationId } from '../ids';
import { type ChatStore, type ConversationDoc, type MemberDoc, type Role, memberKey } from '../store';
import type { MembershipCache } from './membership-cache';
import { outranks, requireMember } from './access';
import { type ConversationView, conversationView } from './view';
import { type Absence, absencesBefore, tidyAbsences, unreadOutside } from './absences';
import { lastMessageOf } from './last-message';
import { type GroupPictures, MediaNotAnImageError } from '../media/media-client';
import { GroupRequests, groupFingerprint } from './group-requests';
import { MemberRequests } from './member-requests';
import { MembershipLists } from './membership-lists';
import { type FormerCursors, FormerMembers } from './former-members';
import { LIST_ORDER, type ListCursor, cursorAfter, pastCursor } from './list-cursor';
import { keepOwned } from './succession';

export interface ConversationDeps {
  store: ChatStore;
  /** A group's picture is an image of the one who set it, checked and shown by the media service. */
  pictures: GroupPictures;
  /** Forgets each membership this service removes. */
  memberships: MembershipCache;
  directory: Directory;
  events: ChatEvents;
  logger: Logger;
}

export interface GroupInput {
  name: string;
  topic?: string | null | undefined;
  avatarMediaId?: string | null | undefined;
  memberIds: string[];
  requiresApproval?: boolean | undefined;
}

export interface ListPage {
  items: ConversationView[];
  /** The `before` of the next page; null on the last one. */
  nextBefore: string | null;
}

/** Largest number of members a group holds. */
export const MAX_GROUP_MEMBERS = 1_000;

/** Up to this many listed members, a conversation's members are read one by one by `_id`. */
const MEMBERS_READ_BY_ID = 50;

/**
 * A membership as it is first stored. `joinSeq` is the conversation's lastSeq as the member joins
 * (0 for members there from its start); a member who was in it before takes back their cursors,
 * and what they missed: what their earlier memberships did, and the time since they left.
 */
export function newMember(
  conversationId: string,
  userId: string,
  role: Role,
  now: Date,
  joinSeq = 0,
  former: FormerCursors | null = null,
): MemberDoc {
  return {
    _id: memberKey(conversationId, userId),
    conversationId,
    userId,
    role,
    joinedAt: now,
    joinSeq,
    muted: false,
    archived: false,
    readSeq: former?.readSeq ?? 0,
    readAt: former?.readAt ?? null,
    deliveredSeq: former?.deliveredSeq ?? 0,
    deliveredAt: former?.deliveredAt ?? null,
    devices: former?.devices ?? {},
    ...(former ? { absences: absencesOnReturn(former, joinSeq) } : {}),
    ...(former?.leftSeq !== undefined ? { leftSeq: former.leftSeq } : {}),
  };
}

/**
 * A returning member's absences: those before their last membership, and the one from its end to
 * this joining. A record without an end (a return racing the removal that writes it) adds none.
 */
function absencesOnReturn(former: FormerCursors, joinSeq: number): Absence[] {
  const away = former.leftSeq !== undefined ? [{ from: former.leftSeq, to: joinSeq }] : [];
  return tidyAbsences([...(former.absences ?? []), ...away], former.readSeq);
}

/**
 * Who joins: a conversation's first members, for whom everything in it counts, or a member added
 * later, for whom what came before does not.
 */
type Joining = 'founding' | 'later';

/** Conversations and their members: who may see, change and join what. */
export class Conversations {
  private readonly lists: MembershipLists;
  private readonly requests: GroupRequests;
  private readonly memberRequests: MemberRequests;
  private readonly formers: FormerMembers;

  constructor(private readonly deps: ConversationDeps) {
    this.lists = new MembershipLists(deps.store);
    this.formers = new FormerMembers(deps.store);
    this.requests = new GroupRequests(deps.store);
    this.memberRequests = new MemberRequests(deps.store);
  }

  /** The one direct conversation of the pair, created on first use. */
  async openDirect(userId: string, otherId: string): Promise<{ view: ConversationView; created: boolean }> {
    const { store, directory } = this.deps;
    if (otherId === userId)
      throw new ConflictError('CHAT_DIRECT_WITH_SELF', 'A direct conversation needs another user.');
    await directory.requireUser(otherId);
    if ((await directory.blockedAmong(userId, [otherId])).has(otherId)) throw new BlockedError(otherId);
    const id = directConversationId(userId, otherId);
    const now = new Date();
    let created = false;
    try {
      await store.conversations.insertOne({
        _id: id,
        type: 'direct',
        directPair: [userId, otherId].sort() as [string, string],
        name: null,
        topic: null,
        avatarMediaId: null,
        createdBy: userId,
        createdAt: now,
        lastSeq: 0,
        lastActivity: now,
        version: 0,
      });
      created = true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    if (created) await this.lists.started(id);
    // Both memberships are (re)asserted, so a half-finished earlier open completes here.
    for (const member of [userId, otherId]) {
      await this.insertMember(id, member, 'member', now, userId, 'founding');
    }
    return { view: await this.get(userId, id), created };
  }

  /**
   * Makes a group with its creator as owner, refused as a whole (CHAT_USER_BLOCKED) when it names
   * someone the creator blocked or was blocked by. `requestId` names the request: the same request
   * again (the gateway's sidecar retrying a call that timed out, or a client repeating its
   * `x-request-id`) answers the group its first try made.
   */
  async createGroup(
    userId: string,
    input: GroupInput,
    requestId: string | null = null,
  ): Promise<ConversationView> {
    const { directory } = this.deps;
    const others = [...new Set(input.memberIds)].filter((id) => id !== userId);
    if (others.length + 1 > MAX_GROUP_MEMBERS) {
      throw new ConflictError('CHAT_GROUP_FULL', `A group holds at most ${MAX_GROUP_MEMBERS} members.`);
    }
    for (const other of others) await directory.requireUser(other);
    await this.refuseBlocked(userId, others);
    const now = new Date();
    const id = newConversationId();
    const earlier = await this.requests.claim(userId, requestId, groupFingerprint(input), id);
    if (earlier) {
      // The first try stored the group; it may have stopped before every membership. Those in
      // stay as they are (inserting is idempotent); the others are added, and announced, once.
      if (requestId && !(await this.requests.finished(userId, requestId))) {
        await this.insertMember(earlier, userId, 'owner', now, userId, 'founding');
        for (const other of others) {
          await this.insertMember(earlier, other, 'member', now, userId, 'founding');
        }
        await this.requests.finish(userId, requestId, earlier);
      }
      return this.get(userId, earlier);
    }
    let pictureStatus: MediaStatus | undefined;
    try {
      // Checked first: a picture refused leaves no group behind.
      if (input.avatarMediaId) pictureStatus = await this.deps.pictures.set(userId, input.avatarMediaId, id);
      await this.insertGroup(userId, id, input, now);
    } catch (err) {
      await this.requests.release(userId, requestId, id).catch(() => undefined);
      throw err;
    }
    await this.lists.started(id);
    await this.insertMember(id, userId, 'owner', now, userId, 'founding');
    for (const other of others) await this.insertMember(id, other, 'member', now, userId, 'founding');
    await this.requests.finish(userId, requestId, id);
    if (input.avatarMediaId && pictureStatus !== 'ready') {
      await this.recheckPicture(userId, input.avatarMediaId, id);
    }
    return this.get(userId, id);
  }

  private async insertGroup(userId: string, id: string, input: GroupInput, now: Date): Promise<void> {
    await this.deps.store.conversations.insertOne({
      _id: id,
      type: 'group',
      directPair: null,
      name: input.name,
      topic: input.topic ?? null,
      avatarMediaId: input.avatarMediaId ?? null,
      requiresApproval: input.requiresApproval ?? false,
      createdBy: userId,
      createdAt: now,
      lastSeq: 0,
      lastActivity: now,
      version: 0,
    });
  }

  async get(userId: string, conversationId: string): Promise<ConversationView> {
    const { store } = this.deps;
    const me = await requireMember(store, conversationId, userId);
    const conversation = await this.load(conversationId);
    const [members, lastMessage] = await Promise.all([
      this.membersOf(conversationId),
      lastMessageOf(store, conversation),
    ]);
    return conversationView(conversation, me, lastMessage, {
      members: members.map((m) => ({ userId: m.userId, role: m.role, joinSeq: m.joinSeq ?? 0 })),
      memberCount: members.length,
      unreadCount: this.unreadCount(me, conversation),
    });
  }

  /**
   * A conversation's memberships, by user id. A group small enough is read by `_id` from its member
   * list, each listed member confirmed by its membership (the list may over-state); a larger one by
   * the conversation index. Both give the same answer; the first is what FerretDB, which uses only
   * `_id` to find documents, answers without reading every membership of every conversation.
   */
  private async membersOf(conversationId: string): Promise<Pick<MemberDoc, 'userId' | 'role' | 'joinSeq'>[]> {
    const { store } = this.deps;
    const listed = await this.lists.membersOf(conversationId);
    if (listed.length <= MEMBERS_READ_BY_ID) {
      const found = await Promise.all(
        listed.map((userId) =>
          store.members.findOne(
            { _id: memberKey(conversationId, userId) },
            { projection: { userId: 1, role: 1, joinSeq: 1 } },
          ),
        ),
      );
      return found
        .filter((m) => m !== null)
        .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
    }
    return store.members
      .find({ conversationId }, { projection: { userId: 1, role: 1, joinSeq: 1 } })
      .sort({ userId: 1 })
      .limit(MAX_GROUP_MEMBERS)
      .toArray();
  }

  /**
   * The caller's conversations, most recently active first (then by id), each with a preview and
   * unread count; a page goes on past `before`, the cursor of the page before it.
   */
  async list(
    userId: string,
    page: { limit: number; before?: ListCursor | undefined; archived?: boolean },
  ): Promise<ListPage> {
    const { store } = this.deps;
    const memberships = await store.members.find({ userId }).toArray();
    const mine = new Map(
      memberships
        .filter((m) => page.archived === undefined || m.archived === page.archived)
        .map((m) => [m.conversationId, m]),
    );
    const filter = { _id: { $in: [...mine.keys()] }, ...(page.before ? pastCursor(page.before) : {}) };
    const conversations = await store.conversations.find(filter).sort(LIST_ORDER).limit(page.limit).toArray();
    const items = await Promise.all(
      conversations.map(async (c) => {
        const me = mine.get(c._id) as MemberDoc;
        return conversationView(c, me, await lastMessageOf(store, c), {
          unreadCount: this.unreadCount(me, c),
        });
      }),
    );
    const last = conversations.at(-1);
    return {
      items,
      nextBefore: conversations.length === page.limit && last ? cursorAfter(last) : null,
    };
  }

  async update(
    userId: string,
    conversationId: string,
    changes: {
      name?: string | undefined;
      topic?: string | null | undefined;
      avatarMediaId?: string | null | undefined;
      requiresApproval?: boolean | undefined;
    },
  ): Promise<ConversationView> {
    const { store, events } = this.deps;
    await requireMember(store, conversationId, userId, 'admin');
    const conversation = await this.load(conversationId);
    if (conversation.type !== 'group')
      throw new ConflictError('CHAT_NOT_A_GROUP', 'Only groups have a name, topic, avatar and join rule.');
    const { avatarMediaId } = changes;
    const pictureStatus = avatarMediaId
      ? await this.deps.pictures.set(userId, avatarMediaId, conversationId)
      : undefined;
    const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    const before = await store.conversations.findOneAndUpdate(
      { _id: conversationId },
      { $set: set, $inc: { version: 1 } },
      { returnDocument: 'before' },
    );
    if (before) {
      await events.conversation({
        conversationId,
        actorId: userId,
        version: before.version + 1,
        changes: set,
      });
      const former = before.avatarMediaId;
      if (avatarMediaId !== undefined && former && former !== avatarMediaId) {
        await this.endPicture(former, conversationId);
      }
      if (avatarMediaId && pictureStatus !== 'ready') {
        await this.recheckPicture(userId, avatarMediaId, conversationId);
      }
    }
    return this.get(userId, conversationId);
  }

  /**
   * Drops a group picture that turned out not to be an image: its processing failed, or the file
   * is of another kind. Each group showing it changes as an admin's edit would (a new version,
   * `chat.conversation.updated`), so members see the group without a picture. Running this again
   * changes nothing.
   */
  async dropPicture(mediaId: string, actorId: string): Promise<void> {
    const { store, events } = this.deps;
    const groups = await store.conversations
      .find({ avatarMediaId: mediaId }, { projection: { _id: 1 } })
      .toArray();
    for (const { _id: conversationId } of groups) {
      const before = await store.conversations.findOneAndUpdate(
        { _id: conversationId, avatarMediaId: mediaId },
        { $set: { avatarMediaId: null }, $inc: { version: 1 } },
        { returnDocument: 'before' },
      );
      // Another picture was set meanwhile, or another delivery dropped this one first.
      if (!before) continue;
      await events.conversation({
        conversationId,
        actorId,
        version: before.version + 1,
        changes: { avatarMediaId: null },
      });
      await this.endPicture(mediaId, conversationId);
    }
  }

  /**
   * Asks again about a picture that was still processing when it was checked. Had it failed
   * between that check and the write, its `media.processed` may have been handled before the
   * write was there to be found; the media service now refuses it, and it is dropped here.
   */
  private async recheckPicture(userId: string, mediaId: string, conversationId: string): Promise<void> {
    try {
      await this.deps.pictures.set(userId, mediaId, conversationId);
    } catch (err) {
      if (err instanceof MediaNotAnImageError) await this.dropPicture(mediaId, userId);
      // Unreachable or gone: `media.processed` still drops the picture should it fail.
      else this.deps.logger.warn({ err, conversationId, mediaId }, 'checking a group picture again failed');
    }
  }

  /** The media stops being the group's picture; failing that only leaves it visible a while longer. */
  private async endPicture(mediaId: string, conversationId: string): Promise<void> {
    await this.deps.pictures.clear(mediaId, conversationId).catch((err: unknown) => {
      this.deps.logger.warn({ err, conversationId, mediaId }, 'ending a group picture failed');
    });
  }

  /**
   * Adds members to a group (admins and the owner). `requestId` names the request: the same
   * request again, once the first try finished, adds nobody and answers the group as it is now;
   * see `member-requests.ts`. Users already members count once towards the cap and stay as they are;
   * a newcomer whom the caller blocked or was blocked by refuses the whole call (CHAT_USER_BLOCKED).
   */
  async addMembers(
    userId: string,
    conversationId: string,
    userIds: string[],
    requestId: string | null = null,
  ): Promise<ConversationView> {
    const { store, directory } = this.deps;
    const me = await requireMember(store, conversationId, userId);
    await this.requireGroup(conversationId);
    if (me.role === 'member') throw new RoleRequiredError('admin');
    if (await this.memberRequests.claim(userId, requestId, conversationId, userIds)) {
      return this.get(userId, conversationId);
    }
    const present = await Promise.all(
      userIds.map((id) =>
        store.members.findOne({ _id: memberKey(conversationId, id) }, { projection: { _id: 1 } }),
      ),
    );
    const newcomers = [...new Set(userIds.filter((_id, i) => present[i] === null))];
    const count = await store.members.countDocuments({ conversationId });
    if (count + newcomers.length > MAX_GROUP_MEMBERS) {
      throw new ConflictError('CHAT_GROUP_FULL', `A group holds at most ${MAX_GROUP_MEMBERS} members.`);
    }
    for (const id of newcomers) await directory.requireUser(id);
    await this.refuseBlocked(userId, newcomers);
    const now = new Date();
    const added: MemberDoc[] = [];
    for (const id of newcomers) {
      const member = await this.insertMember(conversationId, id, 'member', now, userId, 'later');
      if (member) added.push(member);
    }
    await this.withdrawDeleted(added);
    await this.memberRequests.finish(userId, requestId, conversationId, userIds);
    return this.get(userId, conversationId);
  }

  /**
   * What the invite workflow needs to know about a group and one user in it: the join rule and
   * the user's role, null for a non-member. Unknown conversations are CHAT_CONVERSATION_NOT_FOUND.
   */
  async admission(conversationId: string, userId: string) {
    const conversation = await this.load(conversationId);
    const member = await this.deps.store.members.findOne({ _id: memberKey(conversationId, userId) });
    return {
      conversation: {
        id: conversation._id,
        type: conversation.type,
        name: conversation.name,
        requiresApproval: conversation.requiresApproval ?? false,
      },
      role: member?.role ?? null,
    };
  }

  /**
   * Adds the invitee of an accepted invite. The inviter must still be an admin, neither of inviter
   * and invitee may have blocked the other, and a group that requires approval needs an admin
   * approver too; all are checked now, not when the invite was sent. A user who is already a
   * member stays as they are, so a retried call changes nothing.
   */
  async addByInvite(
    conversationId: string,
    input: { userId: string; inviterId: string; approverId: string | null },
  ): Promise<{ added: boolean; role: Role }> {
    const { store, directory } = this.deps;
    await this.requireGroup(conversationId);
    const existing = await store.members.findOne({ _id: memberKey(conversationId, input.userId) });
    if (existing) return { added: false, role: existing.role };
    await this.requireAdmin(conversationId, input.inviterId);
    const conversation = await this.load(conversationId);
    if (conversation.requiresApproval) {
      if (!input.approverId) {
        throw new ConflictError('CHAT_APPROVAL_REQUIRED', 'An admin approves who joins this group.');
      }
      await this.requireAdmin(conversationId, input.approverId);
    }
    if ((await store.members.countDocuments({ conversationId })) + 1 > MAX_GROUP_MEMBERS) {
      throw new ConflictError('CHAT_GROUP_FULL', `A group holds at most ${MAX_GROUP_MEMBERS} members.`);
    }
    await directory.requireUser(input.userId);
    await this.refuseBlocked(input.inviterId, [input.userId]);
    const member = await this.insertMember(
      conversationId,
      input.userId,
      'member',
      new Date(),
      input.inviterId,
      'later',
    );
    await this.withdrawDeleted(member ? [member] : []);
    return { added: true, role: 'member' };
  }

  /**
   * Ends again, as the deletion run does, each membership just added of a user whose account was
   * deleted meanwhile, and answers as the add would have a moment later (CHAT_USER_NOT_FOUND). The
   * user check of an add may pass just before the deletion, and its insert land after the run
   * listed the user's memberships; the run records the deletion before its listing, so an insert
   * that the run did not list finds the record here. The other users named stay added.
   */
  private async withdrawDeleted(added: readonly MemberDoc[]): Promise<void> {
    const { accountDeletions } = this.deps.store;
    const deleted = await Promise.all(
      added.map((m) => accountDeletions.findOne({ _id: m.userId }, { projection: { _id: 1 } })),
    );
    const gone = added.filter((_m, i) => deleted[i] !== null);
    for (const member of gone) await this.endMembership(member, member.userId);
    if (gone[0]) throw new UserNotFoundError(gone[0].userId);
  }

  /** Removes another member (admins and the owner), or the caller (leaving). */
  async removeMember(userId: string, conversationId: string, targetId: string): Promise<void> {
    const { store } = this.deps;
    const me = await requireMember(store, conversationId, userId);
    await this.requireGroup(conversationId);
    const target = await store.members.findOne({ _id: memberKey(conversationId, targetId) });
    if (!target) throw new UserNotFoundError(targetId);
    if (targetId === userId) {
      if (me.role === 'owner' && (await store.members.countDocuments({ conversationId })) > 1) {
        throw new ConflictError('CHAT_OWNER_MUST_TRANSFER', 'The owner transfers ownership before leaving.');
      }
    } else if (me.role === 'member' || !outranks(me.role, target.role)) {
      throw new ForbiddenError('CHAT_ROLE_REQUIRED', 'You cannot remove this member.', { role: target.role });
    }
    await this.endMembership(target, userId);
  }

  /** The owner makes a member an admin or an admin a member. */
  async setRole(
    userId: string,
    conversationId: string,
    targetId: string,
    role: 'admin' | 'member',
  ): Promise<void> {
    const { store } = this.deps;
    await requireMember(store, conversationId, userId, 'owner');
    await this.requireGroup(conversationId);
    if (targetId === userId)
      throw new ConflictError(
        'CHAT_OWNER_MUST_TRANSFER',
        'The owner keeps the owner role until transferring it.',
      );
    const result = await store.members.updateOne(
      { _id: memberKey(conversationId, targetId) },
      { $set: { role } },
    );
    if (result.matchedCount === 0) throw new UserNotFoundError(targetId);
  }

  async transferOwnership(userId: string, conversationId: string, targetId: string): Promise<void> {
    const { store } = this.deps;
    await requireMember(store, conversationId, userId, 'owner');
    await this.requireGroup(conversationId);
    if (targetId === userId) return;
    const result = await store.members.updateOne(
      { _id: memberKey(conversationId, targetId) },
      { $set: { role: 'owner' } },
    );
    if (result.matchedCount === 0) throw new UserNotFoundError(targetId);
    await store.members.updateOne({ _id: memberKey(conversationId, userId) }, { $set: { role: 'admin' } });
    // The new owner may have left between the two updates, their removal still seeing this owner.
    await keepOwned(store, conversationId);
  }

  /** The caller's own settings for a conversation. */
  async setSettings(
    userId: string,
    conversationId: string,
    settings: { muted?: boolean | undefined; archived?: boolean | undefined },
  ) {
    const { store } = this.deps;
    await requireMember(store, conversationId, userId);
    const set = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    if (Object.keys(set).length > 0) {
      await store.members.updateOne({ _id: memberKey(conversationId, userId) }, { $set: set });
    }
    return this.get(userId, conversationId);
  }

  async conversationIdsOf(userId: string): Promise<string[]> {
    return this.lists.conversationsOf(userId);
  }

  /** The user's conversations with each one's highest sequence number, for a connecting socket. */
  async cursorsOf(userId: string): Promise<{ id: string; lastSeq: number }[]> {
    const ids = await this.conversationIdsOf(userId);
    const conversations = await Promise.all(
      ids.map((_id) => this.deps.store.conversations.findOne({ _id }, { projection: { lastSeq: 1 } })),
    );
    // A membership without its conversation is a half-finished create: left out, as `load` does.
    return conversations.flatMap((c) => (c ? [{ id: c._id, lastSeq: c.lastSeq }] : []));
  }

  async memberIds(conversationId: string): Promise<string[]> {
    const members = await this.deps.store.members
      .find({ conversationId }, { projection: { userId: 1 } })
      .toArray();
    return members.map((m) => m.userId);
  }

  /**
   * Who may see the user's presence and typing: everyone sharing a conversation with them, minus
   * pairs where either side blocked the other (`hidden`).
   */
  async audienceOf(userId: string): Promise<{ userIds: string[]; hidden: string[] }> {
    const ids = await this.conversationIdsOf(userId);
    const members = await Promise.all(ids.map((id) => this.lists.membersOf(id)));
    const others = [...new Set(members.flat())].filter((id) => id !== userId);
    const blocked = await this.deps.directory.blockedAmong(userId, others);
    return { userIds: others.filter((id) => !blocked.has(id)), hidden: [...blocked] };
  }

  /**
   * Messages after the member's read cursor that are not deleted and came while they were a
   * member: for a returning member, what they had left unread in earlier memberships counts
   * still, what came while they were away does not. Sending moves one's own cursor to one's
   * message, so this counts what others sent since.
   */
  private unreadCount(me: MemberDoc, conversation: ConversationDoc): number {
    return unreadOutside(me.readSeq, tidyAbsences(absencesBefore(me), me.readSeq), conversation);
  }

  private async lastSeqOf(conversationId: string): Promise<number> {
    const conversation = await this.deps.store.conversations.findOne(
      { _id: conversationId },
      { projection: { lastSeq: 1 } },
    );
    return conversation?.lastSeq ?? 0;
  }

  private async load(conversationId: string): Promise<ConversationDoc> {
    const conversation = await this.deps.store.conversations.findOne({ _id: conversationId });
    // A membership without its conversation is a half-finished create; treat it as absent.
    if (!conversation) throw new ConversationNotFoundError(conversationId);
    return conversation;
  }

  private async isGroup({ conversationId }: MemberDoc): Promise<boolean> {
    const conversation = await this.deps.store.conversations.findOne(
      { _id: conversationId },
      { projection: { type: 1 } },
    );
    return conversation?.type === 'group';
  }

  private async requireGroup(conversationId: string): Promise<void> {
    const conversation = await this.load(conversationId);
    if (conversation.type !== 'group') {
      throw new ConflictError('CHAT_NOT_A_GROUP', 'Direct conversations have exactly their two members.');
    }
  }

  /**
   * Nobody puts a user into a conversation when either of the two blocked the other, as for a
   * direct conversation, and nothing more is said: the refusal names the user, not who blocked
   * whom. Several named at once are refused as a whole, for the first of them. Only the pair of the
   * one adding and the one added counts: a third member adding someone whom a member blocked is
   * not refused, which would tell them of a block between others.
   */
  private async refuseBlocked(actorId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const blocked = await this.deps.directory.blockedAmong(actorId, userIds);
    const first = userIds.find((id) => blocked.has(id));
    if (first !== undefined) throw new BlockedError(first);
  }

  private async requireAdmin(conversationId: string, userId: string): Promise<void> {
    const member = await this.deps.store.members.findOne({ _id: memberKey(conversationId, userId) });
    if (!member || member.role === 'member') throw new RoleRequiredError('admin');
  }

  /**
   * Adds a membership if absent and announces it, answering it; an existing membership is left as
   * it is (null). One joining later starts at the conversation's lastSeq, read before the insert:
   * lastSeq never runs ahead of the stored messages, so each message stored after the insert is
   * numbered above it and counts as unread. One stored just before may count too, as lastSeq lags behind a send.
   */
  private async insertMember(
    conversationId: string,
    userId: string,
    role: Role,
    now: Date,
    actorId: string,
    joining: Joining,
  ): Promise<MemberDoc | null> {
    const key = memberKey(conversationId, userId);
    const [joinSeq, former] =
      joining === 'founding'
        ? [0, null]
        : await Promise.all([this.lastSeqOf(conversationId), this.formers.recall(key)]);
    const member = newMember(conversationId, userId, role, now, joinSeq, former);
    // Listed first, so a crash before the insert leaves only a listing that readers drop.
    await this.lists.listing(conversationId, userId);
    try {
      await this.deps.store.members.insertOne(member);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return null;
    }
    await this.lists.listed(conversationId, userId);
    await this.deps.events.member('added', { conversationId, userId, actorId, role, joinSeq }, now);
    return member;
  }

  /**
   * Ends a membership as leaving does: cursors kept, membership deleted, lists and instances told,
   * `chat.member.removed` published. The cursors are kept before the membership goes, so a return
   * that follows the delete finds them; kept again from the deleted membership, for a receipt that
   * came in between. `resume` is for a removal that may have stopped half-way (account deletion,
   * whose event comes again): a membership already gone is unlisted and announced all the same,
   * under the same event id, so the consumers apply it once.
   *
   * A group whose owner this was (or became while it was being removed: a hand-over to a member
   * leaving at that moment) passes to its successor right after the delete. A resumed removal
   * checks any group, for the run it resumes may have stopped between the two.
   */
  async endMembership(member: MemberDoc, actorId: string, resume = false): Promise<void> {
    const now = new Date();
    await this.formers.remember(member, now);
    const removed = await this.deps.store.members.findOneAndDelete({ _id: member._id });
    this.deps.memberships.forget(member.conversationId, member.userId);
    if (member.role === 'owner' || removed?.role === 'owner' || (resume && (await this.isGroup(member)))) {
      await keepOwned(this.deps.store, member.conversationId);
    }
    if (removed || resume) {
      await this.lists.unlist(member.conversationId, member.userId);
      await this.deps.events.member(
        'removed',
        { conversationId: member.conversationId, userId: member.userId, actorId, role: member.role },
        member.joinedAt,
      );
    }
    if (removed) {
      // Where the membership ended, read after the delete: every message it saw is at or below
      // (one sent at that moment may be too, and is then counted unread on a return, never lost).
      const leftSeq = await this.lastSeqOf(member.conversationId);
      await this.formers.remember(movedSince(member, removed) ? removed : member, now, leftSeq);
    }
    // Last, so that a failure here (reported to the caller) leaves the removal otherwise whole: a
    // retry finds no membership, and would not list or announce it again.
    await this.deps.memberships.announceRemoval(member.conversationId);
  }
}

/** Whether a receipt moved any cursor of the membership after `read` was read. */
function movedSince(read: MemberDoc, now: MemberDoc): boolean {
  return (
    now.readSeq > read.readSeq ||
    now.deliveredSeq > read.deliveredSeq ||
    Object.entries(now.devices).some(([device, seq]) => seq > (read.devices[device] ?? 0))
  );
}
