import { BatchedWrites, type ChangeBoardDoc } from '@parley/service-kit';
import type { Collection, Db } from 'mongodb';
import type { Absence } from './conversations/absences';

export type Role = 'owner' | 'admin' | 'member';

export interface ConversationDoc {
  _id: string;
  type: 'direct' | 'group';
  /** The two users of a direct conversation; null for a group. */
  directPair: [string, string] | null;
  name: string | null;
  topic: string | null;
  avatarMediaId: string | null;
  createdBy: string;
  createdAt: Date;
  /** Highest sequence number of a stored message; raised only. Its message is the list preview. */
  lastSeq: number;
  /** When the newest message was sent (or the conversation made); raised only. */
  lastActivity: Date;
  /** Raised on each change of name, topic or avatar: the id of the change's event. */
  version: number;
  /** A group whose invites an admin approves before the invitee joins; absent means false. */
  requiresApproval?: boolean;
  /**
   * Numbers of deleted messages, so unread counts leave them out: the newest ones, at most
   * {@link DELETED_SEQS_KEPT} once trimmed (older deletions lie below nearly every read cursor).
   */
  deletedSeqs?: number[];
  /** What trims took out of `deletedSeqs`: how many numbers, the lowest and the highest. */
  deletedTrimmed?: { count: number; min: number; max: number };
}

/** Deleted message numbers a conversation keeps after a trim; trimmed when twice as many. */
export const DELETED_SEQS_KEPT = 500;

export interface MemberDoc {
  _id: string;
  conversationId: string;
  userId: string;
  role: Role;
  joinedAt: Date;
  muted: boolean;
  archived: boolean;
  /**
   * The conversation's lastSeq when the member joined (0 for those there from its start): messages
   * up to it came before them, and never count as unread for them. It may be lower than the newest
   * message then stored, never higher. Absent on memberships older than it, and then 0.
   */
  joinSeq?: number;
  /**
   * For a returning member, what they missed before this joining (see `absences.ts`): the time
   * before their first joining and each time between a removal and a return, as far as it lies
   * above their read cursor when they came back. What they left unread while they were members
   * is unread again; what came while they were away is not. Absent for a first membership.
   */
  absences?: Absence[];
  /**
   * Where the member's previous membership ended (the conversation's lastSeq read once it had).
   * Kept for readers older than `absences`; a membership stored before them has only this, which
   * began the one absence known, up to its joinSeq.
   */
  leftSeq?: number;
  /** The member's read cursor: only ever what they read, so "read by" lists can trust it. */
  readSeq: number;
  readAt: Date | null;
  /** Highest sequence number any device of the member acknowledged, and per device. */
  deliveredSeq: number;
  deliveredAt: Date | null;
  devices: Record<string, number>;
}

/**
 * The cursors a membership held when it ended, by the membership's `_id`: a member added back
 * picks up where they were, so what they read stays read and "read by" lists keep them. `leftSeq`
 * is where it ended and `absences` what the pair's memberships missed before it, gathered from
 * every removal (they may overlap; readers tidy them).
 */
export type FormerMemberDoc = Pick<
  MemberDoc,
  '_id' | 'readSeq' | 'readAt' | 'deliveredSeq' | 'deliveredAt' | 'devices' | 'leftSeq' | 'absences'
> & { leftAt: Date };

/**
 * Exactly these two fields: `$pull` removes a reaction by whole-document equality on some
 * MongoDB-compatible servers (FerretDB) and by matching on others, which agree only then.
 */
export interface Reaction {
  emoji: string;
  userId: string;
}

export interface MessageDoc {
  _id: string;
  conversationId: string;
  seq: number;
  clientMessageId: string;
  senderId: string;
  text: string;
  replyToId: string | null;
  threadRootId: string | null;
  mentions: string[];
  mentionsEveryone: boolean;
  /** `status` mirrors the media's processing, updated from `media.processed`. */
  attachments: { mediaId: string; status?: 'pending' | 'processing' | 'ready' | 'failed' }[];
  reactions: Reaction[];
  /** `emoji + NUL + userId` of each reaction, so adding one twice is refused by the filter alone. */
  reactionKeys: string[];
  edits: { text: string; editedAt: Date }[];
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  /** Raised on each edit, delete or reaction change; part of each change's event id. */
  version: number;
}

/**
 * One list of ids kept beside the members collection, so a socket's handshake reads it by `_id`
 * instead of querying members. The list may name an id whose membership is gone (it is written
 * before a membership is inserted and pulled after one is deleted), never miss a current one.
 */
export interface MembershipListDoc {
  _id: string;
  ids: string[];
  /** Set once the list was built from the members collection; a list without it is partial. */
  complete?: boolean;
}

/** A membership as it stood when its user's account was deleted: what its removal announces. */
export interface EndedMembership {
  conversationId: string;
  role: Role;
  joinedAt: Date;
}

/**
 * A deleted account, by user id (see `account-deletion.ts`). Kept for good: a direct conversation
 * missing the user's membership refuses sends when this says why.
 */
export interface AccountDeletionDoc {
  _id: string;
  deletedAt: Date;
  /** Each membership found, recorded before it is removed, so a redelivery can finish its removal. */
  memberships: EndedMembership[];
  /** Set once every membership recorded was removed and announced. */
  finishedAt?: Date;
}

export interface ChatStore {
  conversations: Collection<ConversationDoc>;
  members: Collection<MemberDoc>;
  /** Ended memberships' cursors, by the membership's `_id` (see `former-members.ts`). */
  formerMembers: Collection<FormerMemberDoc>;
  messages: Collection<MessageDoc>;
  /** `_id` is a user id; `ids` are that user's conversations. */
  userConversations: Collection<MembershipListDoc>;
  /** `_id` is a conversation id; `ids` are its members. */
  conversationMembers: Collection<MembershipListDoc>;
  /**
   * Every membership of this database was listed as it was made (its first chat found no
   * memberships), so a list is whole even when never built; false for a database with memberships
   * from before the lists, whose lists are built once from the members collection.
   */
  listsFromStart: boolean;
  /** Deleted accounts and the memberships they ended, by user id. */
  accountDeletions: Collection<AccountDeletionDoc>;
  /** Counters each instance reads to learn what changed through the others (`ChangeBoard`). */
  changeBoards: Collection<ChangeBoardDoc>;
  /** The group each creation request made, by `${userId}:${requestId}` (see `group-requests.ts`). */
  groupRequests: Collection<GroupRequestDoc>;
  /** Each request adding members to a group, by `${userId}:${requestId}` (see `member-requests.ts`). */
  memberRequests: Collection<MemberRequestDoc>;
  /** The writes each send makes, gathered into one command per batch while the service is busy. */
  sendWrites: {
    messages: BatchedWrites<MessageDoc>;
    members: BatchedWrites<MemberDoc>;
    conversations: BatchedWrites<ConversationDoc>;
  };
}

interface MetaDoc {
  _id: string;
  fromStart: boolean;
}

const LISTS_META_ID = 'membership-lists';

/** Decided once per database, by the first chat to open it, and kept in the `meta` collection. */
async function listsFromStart(db: Db, members: Collection<MemberDoc>): Promise<boolean> {
  const meta = db.collection<MetaDoc>('meta');
  const known = await meta.findOne({ _id: LISTS_META_ID });
  if (known) return known.fromStart;
  const fromStart = (await members.findOne({}, { projection: { _id: 1 } })) === null;
  try {
    await meta.insertOne({ _id: LISTS_META_ID, fromStart });
    return fromStart;
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    // Another instance decided first; its answer stands.
    const decided = await meta.findOne({ _id: LISTS_META_ID });
    return decided?.fromStart ?? false;
  }
}

export function memberKey(conversationId: string, userId: string): string {
  return `${conversationId}:${userId}`;
}

/** A group creation request and the group it makes; `_id` is `${userId}:${requestId}`. */
export interface GroupRequestDoc {
  _id: string;
  conversationId: string;
  /** What was asked for, so that a request id used again for another group makes that one. */
  fingerprint: string;
  at: Date;
  /** Set once every member asked for is in; until then a repeat adds those still missing. */
  done?: boolean;
}

/** A request adding members; `_id` is `${userId}:${requestId}`. */
export interface MemberRequestDoc {
  _id: string;
  /** The group and members asked for: the same request id with another body is another request. */
  fingerprint: string;
  /** Set once every member asked for is in. */
  done: boolean;
  at: Date;
}

/**
 * The collections and the index each query needs. Uniqueness carries the correctness here: there
 * are no transactions, so (conversationId, seq) makes a sequence number exist only once and
 * (conversationId, clientMessageId) makes a retried send collapse into the first.
 */
export async function openStore(db: Db): Promise<ChatStore> {
  const members = db.collection<MemberDoc>('members');
  const conversations = db.collection<ConversationDoc>('conversations');
  const messages = db.collection<MessageDoc>('messages');
  const store: ChatStore = {
    conversations,
    members,
    formerMembers: db.collection<FormerMemberDoc>('former_members'),
    messages,
    userConversations: db.collection<MembershipListDoc>('user_conversations'),
    conversationMembers: db.collection<MembershipListDoc>('conversation_members'),
    listsFromStart: await listsFromStart(db, members),
    accountDeletions: db.collection<AccountDeletionDoc>('account_deletions'),
    changeBoards: db.collection<ChangeBoardDoc>('change_boards'),
    groupRequests: db.collection<GroupRequestDoc>('group_requests'),
    memberRequests: db.collection<MemberRequestDoc>('member_requests'),
    sendWrites: {
      messages: new BatchedWrites(messages),
      members: new BatchedWrites(members),
      conversations: new BatchedWrites(conversations),
    },
  };
  await store.messages.createIndex({ conversationId: 1, seq: 1 }, { unique: true, name: 'conversation_seq' });
  await store.messages.createIndex(
    { conversationId: 1, clientMessageId: 1 },
    { unique: true, name: 'conversation_client_message' },
  );
  await store.messages.createIndex({ conversationId: 1, threadRootId: 1, seq: 1 }, { name: 'thread_seq' });
  // Members are keyed by conversation and user in `_id`; this serves "my conversations".
  await store.members.createIndex({ userId: 1, conversationId: 1 }, { name: 'user_conversation' });
  await store.members.createIndex({ conversationId: 1, userId: 1 }, { name: 'conversation_user' });
  await store.conversations.createIndex({ lastActivity: -1 }, { name: 'last_activity' });
  // Finds the groups showing a picture that failed processing.
  await store.conversations.createIndex({ avatarMediaId: 1 }, { name: 'avatar_media' });
  // Serves the media service's access checks and attachment status updates.
  await store.messages.createIndex({ 'attachments.mediaId': 1 }, { name: 'attachment_media' });
  return store;
}
