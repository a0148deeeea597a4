import { type ChatMessageView, Topics, hasVisibleCharacter, messageIdFor } from '@parley/contracts';
import { ValidationError } from '@parley/service-kit';
import type { Directory } from '../auth-client';
import { requireMember } from '../conversations/access';
import type { MembershipCache } from '../conversations/membership-cache';
import { ConversationPairs } from '../conversations/pairs';
import {
  BlockedError,
  ConflictError,
  ConversationNotFoundError,
  ForbiddenError,
  MessageNotFoundError,
  PeerDeletedError,
} from '../errors';
import type { ChatEvents } from '../events';
import type { MediaCatalog } from '../media/media-client';
import { type ChatStore, type MessageDoc, memberKey } from '../store';
import { noteDeleted } from './deleted-seqs';
import { reactionRefusal, withEdit } from './limits';
import { insertWithNextSeq, markSettled } from './sequence';
import { messageView } from './view';

export interface MessageDeps {
  store: ChatStore;
  /** The sender's membership, checked by each send. */
  memberships: MembershipCache;
  directory: Directory;
  events: ChatEvents;
  media: MediaCatalog;
}

export interface SendInput {
  clientMessageId: string;
  text: string;
  replyToId?: string | undefined;
  threadRootId?: string | undefined;
  mentions?: string[] | undefined;
  mentionsEveryone?: boolean | undefined;
  attachments?: { mediaId: string }[] | undefined;
}

/** An edit: the new text; the mentions, each left as it was when undefined. */
export interface EditInput {
  text: string;
  mentions?: readonly string[] | undefined;
  mentionsEveryone?: boolean | undefined;
}

export interface HistoryQuery {
  limit: number;
  before?: number | undefined;
  after?: number | undefined;
  around?: string | undefined;
  threadRootId?: string | undefined;
}

export interface HistoryPage {
  items: ChatMessageView[];
  /** The conversation's highest sequence number when the page was read. */
  lastSeq: number;
}

export interface MessageWithEdits extends ChatMessageView {
  edits: { text: string; editedAt: string }[];
}

/**
 * A send under way, and the callers waiting for it (the first and its resends). It stops before
 * its insert only once every one of them gave up; a caller without a signal never does.
 */
class UnderWay {
  readonly gone = new AbortController();
  result!: Promise<{ message: ChatMessageView; duplicate: boolean }>;
  private waiting = 0;

  constructor(signal: AbortSignal | undefined) {
    this.join(signal);
  }

  join(signal: AbortSignal | undefined): void {
    this.waiting++;
    if (!signal) {
      this.waiting = Number.POSITIVE_INFINITY;
      return;
    }
    signal.addEventListener(
      'abort',
      () => {
        if (--this.waiting === 0) this.gone.abort(signal.reason);
      },
      { once: true },
    );
  }
}

/**
 * The send's outcome, or the caller's reason once it gave up. A caller that gave up stops waiting
 * at once, so its request is released: otherwise every resend of a send stuck behind a backlog
 * (each one a request the sidecar forwarded and then abandoned) would be held until the send
 * finished, and the memory they hold grows with each second of the backlog.
 */
function whileWanted<T>(outcome: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return outcome;
  return new Promise<T>((resolve, reject) => {
    const gaveUp = () => reject(signal.reason as Error);
    signal.addEventListener('abort', gaveUp, { once: true });
    outcome.then(resolve, reject).finally(() => signal.removeEventListener('abort', gaveUp));
  });
}

/** Above this many messages expected, a page after a number is read with one range query. */
const POINT_READS = 16;
/** Numbers read at once past the conversation's lastSeq, looking for messages it lags behind. */
const PROBE = 4;

/** Messages: send, read history, edit, delete, react. */
export class Messages {
  private readonly pairs: ConversationPairs;
  /** Sends under way in this instance, by sender, conversation and client message id. */
  private readonly underWay = new Map<string, UnderWay>();

  constructor(private readonly deps: MessageDeps) {
    this.pairs = new ConversationPairs(deps.store);
  }

  /**
   * Sends a message, or returns the one an earlier send with the same client message id stored
   * (re-publishing its event under the same id, in case the first attempt's publish was lost,
   * unless this instance finished that send itself). A resend of a send still under way here
   * waits for it. Once `signal` aborts (the caller gave up), and the signals of every resend that
   * joined it, a send not yet stored stops before its insert. Each caller stops waiting as soon as
   * its own signal aborts, whether or not the send goes on for the others.
   */
  send(
    userId: string,
    conversationId: string,
    input: SendInput,
    signal?: AbortSignal,
  ): Promise<{ message: ChatMessageView; duplicate: boolean }> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    // A resend of a send still under way here waits for it rather than queueing a second copy:
    // clients resend what is not acknowledged, and after an outage the copies would pile up.
    const key = `${userId}\u0000${conversationId}\u0000${input.clientMessageId}`;
    const running = this.underWay.get(key);
    if (running && !running.gone.signal.aborted) {
      running.join(signal);
      return whileWanted(
        running.result.then(({ message }) => ({ message, duplicate: true })),
        signal,
      );
    }
    const entry = new UnderWay(signal);
    entry.result = this.sendOnce(userId, conversationId, input, entry.gone.signal);
    this.underWay.set(key, entry);
    const done = () => {
      if (this.underWay.get(key) === entry) this.underWay.delete(key);
    };
    void entry.result.then(done, done);
    return whileWanted(entry.result, signal);
  }

  /**
   * A direct conversation loses a member only when their account is deleted; its history stays
   * readable, but nothing more is sent to nobody. A missing membership without a deletion is an
   * open that stopped half-way, which the next open completes: sends go on meanwhile.
   */
  private async refuseIfDeleted(peerId: string): Promise<void> {
    const deleted = await this.deps.store.accountDeletions.findOne(
      { _id: peerId },
      { projection: { _id: 1 } },
    );
    if (deleted) throw new PeerDeletedError(peerId);
  }

  private async sendOnce(
    userId: string,
    conversationId: string,
    input: SendInput,
    signal: AbortSignal,
  ): Promise<{ message: ChatMessageView; duplicate: boolean }> {
    const { store, directory, events } = this.deps;
    // Both at once, and both mostly remembered: a send seldom reads before its insert.
    const [member, pair] = await Promise.all([
      this.deps.memberships.isMember(conversationId, userId),
      this.pairs.of(conversationId),
    ]);
    if (!member || pair === undefined) throw new ConversationNotFoundError(conversationId);
    const peer = pair?.find((id) => id !== userId);
    if (peer) {
      const [present, blocked] = await Promise.all([
        this.deps.memberships.isMember(conversationId, peer),
        directory.blockedAmong(userId, [peer]),
      ]);
      if (!present) await this.refuseIfDeleted(peer);
      if (blocked.has(peer)) throw new BlockedError(peer);
    }
    if (input.replyToId) await this.requireInConversation(input.replyToId, conversationId);
    if (input.threadRootId) {
      const root = await this.requireInConversation(input.threadRootId, conversationId);
      if (root.threadRootId) {
        throw new ConflictError(
          'CHAT_THREAD_ROOT_INVALID',
          'A thread starts at a message outside any thread.',
        );
      }
    }
    // Only the sender's own media can be attached; each is stored with its processing status.
    const attachments = await this.deps.media.claim(userId, input.attachments ?? [], {
      conversationId,
      clientMessageId: input.clientMessageId,
    });
    const mentions = await this.membersMentioned(conversationId, input.mentions ?? []);

    const { doc, duplicate, settled } = await insertWithNextSeq(
      store,
      {
        conversationId,
        clientMessageId: input.clientMessageId,
        senderId: userId,
        text: input.text,
        replyToId: input.replyToId ?? null,
        threadRootId: input.threadRootId ?? null,
        mentions,
        mentionsEveryone: input.mentionsEveryone ?? false,
        attachments,
        reactions: [],
        reactionKeys: [],
        edits: [],
        createdAt: new Date(),
        editedAt: null,
        deletedAt: null,
        version: 0,
      },
      signal,
      // The peer may be deleted between the check above and the insert: the deletion is recorded
      // before its run lists memberships, so a send stored before the record is one made while
      // the peer was there, and one stored after it finds the record here and is withdrawn.
      peer ? () => this.refuseIfDeleted(peer) : undefined,
    );
    if (doc.senderId !== userId) {
      // Another member used the same client message id: ids are per sender in practice, but the
      // index is per conversation, so this one must pick a fresh id.
      throw new ConflictError('CHAT_CLIENT_MESSAGE_ID_TAKEN', 'This client message id is already used.');
    }
    const message = messageView(doc);
    // A resend of a send that finished here: its writes and event went out already.
    if (settled) return { message, duplicate };
    // The conversation's newest number and time, the sender's own cursor and the event go out
    // together: none depends on the others, and the send is acknowledged once all three are done.
    // Both numbers only rise, so an older send finishing late changes nothing; the list preview is
    // the message numbered lastSeq.
    const newest = store.sendWrites.conversations.updateOne(
      { _id: conversationId },
      { $max: { lastSeq: doc.seq, lastActivity: doc.createdAt } },
    );
    // One's own message counts as read and delivered.
    const ownCursor = store.sendWrites.members.updateOne(
      { _id: memberKey(conversationId, userId) },
      { $max: { readSeq: doc.seq, deliveredSeq: doc.seq } },
    );
    const published = events.message(Topics.chatMessageCreated, { conversationId, actorId: userId, message });
    await Promise.all([newest, ownCursor, published]);
    markSettled(doc);
    return { message, duplicate };
  }

  async history(userId: string, conversationId: string, query: HistoryQuery): Promise<HistoryPage> {
    const { store } = this.deps;
    // The membership each send checks, remembered: a gateway filling a gap asks often.
    if (!(await this.deps.memberships.isMember(conversationId, userId))) {
      throw new ConversationNotFoundError(conversationId);
    }
    const conversation = await store.conversations.findOne(
      { _id: conversationId },
      { projection: { lastSeq: 1 } },
    );
    const lastSeq = conversation?.lastSeq ?? 0;
    const base: Record<string, unknown> = { conversationId };
    if (query.threadRootId) base.threadRootId = query.threadRootId;
    const older = (below: number, limit: number) =>
      store.messages
        .find({ ...base, seq: { $lt: below } })
        .sort({ seq: -1 })
        .limit(limit)
        .toArray()
        .then((docs) => docs.reverse());
    const newer = (above: number, limit: number) =>
      store.messages
        .find({ ...base, seq: { $gt: above } })
        .sort({ seq: 1 })
        .limit(limit)
        .toArray();
    let docs: MessageDoc[];
    if (query.around) {
      const anchor = await this.requireInConversation(query.around, conversationId);
      const half = Math.floor((query.limit - 1) / 2);
      docs = [
        ...(await older(anchor.seq, half)),
        anchor,
        ...(await newer(anchor.seq, query.limit - 1 - half)),
      ];
    } else if (query.after !== undefined) {
      const few = query.threadRootId
        ? null
        : await this.newerById(conversationId, query.after, query.limit, lastSeq);
      docs = few ?? (await newer(query.after, query.limit));
    } else {
      docs = await older(query.before ?? Number.MAX_SAFE_INTEGER, query.limit);
    }
    return { items: docs.map(messageView), lastSeq };
  }

  /**
   * The messages numbered after `after`, read by `_id` (made of the conversation and the number),
   * or null when more than {@link POINT_READS} are expected. Numbers have no gaps, so they are
   * those up to the conversation's lastSeq, then any stored before lastSeq was raised, found by
   * reading on until a number is missing. The dev store answers only `_id` lookups without reading
   * every message, and a gateway filling a gap, or a client catching up, asks for a few of the
   * newest; for more, one range query is the cheaper read on MongoDB.
   */
  private async newerById(
    conversationId: string,
    after: number,
    limit: number,
    lastSeq: number,
  ): Promise<MessageDoc[] | null> {
    const expected = Math.min(limit, lastSeq - after);
    if (expected > POINT_READS) return null;
    const docs: MessageDoc[] = [];
    let next = after + 1;
    let count = Math.max(expected, PROBE);
    while (docs.length < limit) {
      count = Math.min(count, limit - docs.length);
      const ids = Array.from({ length: count }, (_, i) => messageIdFor(conversationId, next + i));
      const found = await Promise.all(ids.map((_id) => this.deps.store.messages.findOne({ _id })));
      for (const doc of found) {
        if (!doc) return docs;
        docs.push(doc);
      }
      next += count;
      // Past lastSeq, one number first (lastSeq is seldom behind), then a few at a time.
      count = docs.length === expected ? 1 : PROBE;
    }
    return docs;
  }

  async get(userId: string, messageId: string): Promise<MessageWithEdits> {
    const doc = await this.requireVisible(userId, messageId);
    return {
      ...messageView(doc),
      edits: doc.edits.map((e) => ({ text: e.text, editedAt: e.editedAt.toISOString() })),
    };
  }

  /**
   * The sender replaces the text; the earlier texts stay in the message's edit history, the most
   * recent `MAX_EDITS_KEPT` of them (older ones are dropped). `mentions`, when given, replaces
   * whom it mentions (as at sending, only members) and `mentionsEveryone`, when given, whether it
   * mentions everyone (stored as at sending, whatever the conversation); each left out stays as
   * it was.
   */
  async edit(userId: string, messageId: string, input: EditInput): Promise<ChatMessageView> {
    const { text } = input;
    const doc = await this.requireVisible(userId, messageId);
    if (doc.senderId !== userId)
      throw new ForbiddenError('CHAT_NOT_SENDER', 'Only the sender edits a message.');
    if (doc.deletedAt) throw new ConflictError('CHAT_MESSAGE_DELETED', 'A deleted message cannot be edited.');
    // As at sending: a message keeps some text or an attachment.
    if (!hasVisibleCharacter(text) && doc.attachments.length === 0) {
      throw new ValidationError([{ path: 'text', message: 'a message needs text or an attachment' }]);
    }
    const mentions = input.mentions
      ? await this.membersMentioned(doc.conversationId, input.mentions)
      : doc.mentions;
    const mentionsEveryone = input.mentionsEveryone ?? doc.mentionsEveryone;
    const now = new Date();
    const updated = await this.deps.store.messages.findOneAndUpdate(
      { _id: messageId, deletedAt: null, version: doc.version },
      {
        // The whole history is written, trimmed here: FerretDB ignores `$slice` in `$push`. The
        // filter on `version` keeps it right: an edit made meanwhile fails this one.
        $set: { text, mentions, mentionsEveryone, editedAt: now, edits: withEdit(doc, now) },
        $inc: { version: 1 },
      },
      { returnDocument: 'after' },
    );
    if (!updated)
      throw new ConflictError('CHAT_MESSAGE_CHANGED', 'The message changed meanwhile; try again.');
    return this.announce(Topics.chatMessageEdited, userId, updated);
  }

  /** The users named, once each, after checking that every one is a member of the conversation. */
  private async membersMentioned(conversationId: string, userIds: readonly string[]): Promise<string[]> {
    const mentions = [...new Set(userIds)];
    for (const mentioned of mentions) {
      const member = await this.deps.store.members.findOne({ _id: memberKey(conversationId, mentioned) });
      if (!member) {
        throw new ConflictError('CHAT_MENTION_NOT_MEMBER', 'Only members can be mentioned.', {
          userId: mentioned,
        });
      }
    }
    return mentions;
  }

  /** The sender, or a group's admins and owner, delete a message; a tombstone keeps its place. */
  async remove(userId: string, messageId: string): Promise<ChatMessageView> {
    const doc = await this.requireVisible(userId, messageId);
    if (doc.deletedAt) {
      // Deleted before, perhaps by a request that stopped before the conversation learnt it.
      await noteDeleted(this.deps.store, doc.conversationId, doc.seq);
      return messageView(doc);
    }
    if (doc.senderId !== userId) {
      const me = await requireMember(this.deps.store, doc.conversationId, userId);
      if (me.role === 'member')
        throw new ForbiddenError('CHAT_NOT_SENDER', 'Only the sender or an admin deletes a message.');
    }
    const updated = await this.deps.store.messages.findOneAndUpdate(
      { _id: messageId, deletedAt: null },
      {
        $set: {
          deletedAt: new Date(),
          text: '',
          attachments: [],
          mentions: [],
          mentionsEveryone: false,
          reactions: [],
          reactionKeys: [],
          edits: [],
        },
        $inc: { version: 1 },
      },
      { returnDocument: 'after' },
    );
    if (!updated) return messageView(await this.requireVisible(userId, messageId));
    await noteDeleted(this.deps.store, updated.conversationId, updated.seq);
    return this.announce(Topics.chatMessageDeleted, userId, updated);
  }

  /**
   * Adds or removes the caller's reaction; doing either twice changes nothing the second time. One
   * user leaves at most `MAX_REACTIONS_PER_USER` reactions on a message, and a message holds
   * at most `MAX_REACTION_KINDS` different emoji.
   */
  async react(userId: string, messageId: string, emoji: string, add: boolean): Promise<ChatMessageView> {
    const doc = await this.requireVisible(userId, messageId);
    if (doc.deletedAt)
      throw new ConflictError('CHAT_MESSAGE_DELETED', 'A deleted message takes no reactions.');
    const key = `${emoji}\u0000${userId}`;
    // Already so: nothing to write, nothing to announce.
    if (doc.reactionKeys.includes(key) === add) return messageView(doc);
    if (add) {
      const refusal = reactionRefusal(doc, userId, emoji);
      if (refusal) throw refusal;
    }
    // By `_id` alone (the dev store reads messages one by one for a filter with anything beside
    // it): $addToSet and $pull change nothing the second time, so requests racing end as one.
    const reaction = { emoji, userId };
    const { messages } = this.deps.store;
    if (!add) {
      const updated = await messages.findOneAndUpdate(
        { _id: messageId },
        { $pull: { reactions: reaction, reactionKeys: key }, $inc: { version: 1 } },
        { returnDocument: 'after' },
      );
      if (!updated) throw new MessageNotFoundError(messageId);
      return this.announce(Topics.chatReactionChanged, userId, updated);
    }
    // The message as it was just before this write, so the limits are checked again on what the
    // write met: requests racing each found room at their read, but only the first ones may use it.
    const before = await messages.findOneAndUpdate(
      { _id: messageId },
      { $addToSet: { reactions: reaction, reactionKeys: key }, $inc: { version: 1 } },
      { returnDocument: 'before' },
    );
    if (!before) throw new MessageNotFoundError(messageId);
    if (before.deletedAt) {
      // Deleted between the read and the write: the tombstone keeps no reaction.
      await messages.updateOne({ _id: messageId }, { $set: { reactions: [], reactionKeys: [] } });
      throw new ConflictError('CHAT_MESSAGE_DELETED', 'A deleted message takes no reactions.');
    }
    const added = !before.reactionKeys.includes(key);
    const refusal = added ? reactionRefusal(before, userId, emoji) : undefined;
    if (refusal) {
      // Past a limit: this request takes back the reaction it added. Another request may have
      // announced the message with it meanwhile, so the message without it is announced then.
      const undone = await messages.findOneAndUpdate(
        { _id: messageId },
        { $pull: { reactions: reaction, reactionKeys: key }, $inc: { version: 1 } },
        { returnDocument: 'after' },
      );
      if (undone && undone.version !== before.version + 2) {
        await this.announce(Topics.chatReactionChanged, userId, undone);
      }
      throw refusal;
    }
    const updated: MessageDoc = {
      ...before,
      reactions: added ? [...before.reactions, reaction] : before.reactions,
      reactionKeys: added ? [...before.reactionKeys, key] : before.reactionKeys,
      version: before.version + 1,
    };
    return this.announce(Topics.chatReactionChanged, userId, updated);
  }

  /** The message, if the caller is a member of its conversation; otherwise not found. */
  async requireVisible(userId: string, messageId: string): Promise<MessageDoc> {
    const doc = await this.deps.store.messages.findOne({ _id: messageId });
    if (!doc) throw new MessageNotFoundError(messageId);
    const member = await this.deps.store.members.findOne({ _id: memberKey(doc.conversationId, userId) });
    if (!member) throw new MessageNotFoundError(messageId);
    return doc;
  }

  private async requireInConversation(messageId: string, conversationId: string): Promise<MessageDoc> {
    // By `_id` alone, then the conversation checked here: the dev store scans on any other filter.
    const doc = await this.deps.store.messages.findOne({ _id: messageId });
    if (!doc || doc.conversationId !== conversationId) throw new MessageNotFoundError(messageId);
    return doc;
  }

  private async announce(
    topic: Parameters<ChatEvents['message']>[0],
    actorId: string,
    doc: MessageDoc,
  ): Promise<ChatMessageView> {
    const message = messageView(doc);
    await this.deps.events.message(topic, { conversationId: doc.conversationId, actorId, message });
    return message;
  }
}
