import {
  type ChatMemberEvent,
  type ChatMessageEvent,
  type ChatMessageView,
  type ChatReceiptEvent,
  Topics,
  chatConversationEvent,
  chatMemberEvent,
  chatMessageEvent,
  chatReceiptEvent,
  messageIdFor,
  userBlockChangedEvent,
  userDeletedEvent,
  userUpdatedEvent,
} from '@parley/contracts';
import { type EventParking, onEvent } from '@parley/service-kit';
import {
  type NotifyKind,
  type NotifyMessageSignal,
  type NotifyRecipientState,
  TASK_QUEUE,
  workflowIds,
} from '@parley/workflows';
import type { notifyRecipient } from '@parley/workflows/dist/workflows';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Invites } from '../invites/invite-service';
import type { NotifyLevel } from '../preferences/schemas';
import type { BlockCache } from './block-cache';
import type { Directory } from './directory';
import type { ConversationFacts, DirectoryCache } from './directory-cache';
import { inBatches } from './in-batches';
import type { LevelCache } from './level-cache';
import { recordEdit, snippetOf } from './message-edits';
import {
  type DeliveryStore,
  type ReadMarkDoc,
  type TimelineEntry,
  addTimeline,
  deliveryId,
  readMarkId,
} from './store';

/** Routes of the declarative subscriptions in `components/subscription-notification-*.yaml`. */
export const CHAT_EVENT_ROUTES = {
  messageCreated: '/dapr/events/notification-chat-message-created',
  receiptUpdated: '/dapr/events/notification-chat-receipt-updated',
  messageDeleted: '/dapr/events/notification-chat-message-deleted',
  messageEdited: '/dapr/events/notification-chat-message-edited',
  memberAdded: '/dapr/events/notification-chat-member-added',
  memberRemoved: '/dapr/events/notification-chat-member-removed',
  conversationUpdated: '/dapr/events/notification-chat-conversation-updated',
  userUpdated: '/dapr/events/notification-user-updated',
  userDeleted: '/dapr/events/notification-user-deleted',
  userBlockChanged: '/dapr/events/notification-user-block-changed',
} as const;

/**
 * The topics the service's readiness waits for: chat's, and auth's profile changes for cached
 * names and block changes for cached blocked pairs.
 */
export const CHAT_TOPICS = [
  Topics.chatMessageCreated,
  Topics.chatReceiptUpdated,
  Topics.chatMessageDeleted,
  Topics.chatMessageEdited,
  Topics.chatMemberAdded,
  Topics.chatMemberRemoved,
  Topics.chatConversationUpdated,
  Topics.userUpdated,
  Topics.userDeleted,
  Topics.userBlockChanged,
];

/** Recipients signalled at once for one message of a large group. */
const SIGNAL_CONCURRENCY = 16;
/** How long signalling a message's recipients may take before the event is kept for a retry. */
const SIGNAL_DEADLINE_MS = 5_000;
/**
 * A new member is caught up on messages of this long after they joined: the messages an instance
 * may have handled with a member list cached from before, until the member event reached one
 * instance and the change board the others. A member event later still is not caught up on.
 */
export const CATCH_UP_WINDOW_MS = 5 * 60_000;
/** The newest messages a new member is caught up on, at most. */
export const CATCH_UP_MESSAGES = 50;

export function levelAllows(level: NotifyLevel, kind: NotifyKind): boolean {
  if (level === 'all') return true;
  if (level === 'mentions') return kind === 'mention' || kind === 'direct';
  if (level === 'direct') return kind === 'direct';
  return false;
}

export interface ChatEventDeps {
  store: DeliveryStore;
  directory: DirectoryCache;
  /** Chat as a new member sees it, uncached, to catch them up (see `onMemberAdded`). */
  chat: Pick<Directory, 'conversationAs' | 'newestMessagesAs'>;
  /** Recipients' levels as of at most a few seconds ago; the planner re-reads them fresh. */
  levels: LevelCache;
  /**
   * Blocked pairs, dropped when auth announces a block or unblock (half a minute old at most when
   * that event is lost): nobody is notified of a blocked pair's messages.
   */
  blocks: Pick<BlockCache, 'blockedAmong' | 'changedPair'>;
  temporal: Client;
  /** The invites feature: a deleted account's open invites close with it. */
  invites: Pick<Invites, 'accountDeleted'>;
  logger: Logger;
  /**
   * Keeps new-message events that failed, for this service to retry: their subscription takes
   * events in batches, where one redelivered by the sidecar would hold back all that follow.
   */
  parking?: EventParking;
}

/**
 * Consumes chat's events from pub/sub: the chat service never waits on Temporal. A new message
 * opens a ledger entry per recipient whose level wants it and signals (starting if needed) that
 * recipient's workflow; a read receipt signals it to drop what was read. Both are idempotent: the
 * ledger entry is keyed by message and recipient, and the workflow ignores a message id it saw.
 */
export function mountChatEvents(app: Express, deps: ChatEventDeps): void {
  onEvent(
    app,
    CHAT_EVENT_ROUTES.messageCreated,
    chatMessageEvent,
    async ({ data }) => {
      await onMessageCreated(deps, data);
    },
    { parking: deps.parking },
  );
  onEvent(app, CHAT_EVENT_ROUTES.receiptUpdated, chatReceiptEvent, async ({ data }) => {
    await onReceipt(deps, data);
  });
  // A message deleted before its recipients heard of it is never sent: plans drop it.
  // The deletion may arrive before the creation (two topics, no order between them): a tombstone
  // keeps a late creation from notifying anyone.
  onEvent(app, CHAT_EVENT_ROUTES.messageDeleted, chatMessageEvent, async ({ data }) => {
    await onMessageDeleted(deps.store, data);
  });
  // An edit replaces the text of notifications still to go out, whichever event comes first.
  // An edit may also mention users (or everyone) anew, who are then notified as a mention from the
  // start would have notified them; one it names who was notified without urgency is told again.
  onEvent(app, CHAT_EVENT_ROUTES.messageEdited, chatMessageEvent, async ({ data }) => {
    await onMessageEdited(deps, data);
  });
  // What the directory cache holds about a conversation or a sender is dropped when it changes.
  onEvent(app, CHAT_EVENT_ROUTES.memberAdded, chatMemberEvent, async ({ data }) => {
    await onMemberAdded(deps, data);
  });
  onEvent(app, CHAT_EVENT_ROUTES.memberRemoved, chatMemberEvent, async ({ data }) => {
    await deps.directory.changedConversation(data.conversationId);
  });
  onEvent(app, CHAT_EVENT_ROUTES.conversationUpdated, chatConversationEvent, async ({ data }) => {
    await deps.directory.changedConversation(data.conversationId);
  });
  onEvent(app, CHAT_EVENT_ROUTES.userUpdated, userUpdatedEvent, async ({ data }) => {
    await deps.directory.changedUser(data.userId);
  });
  onEvent(app, CHAT_EVENT_ROUTES.userDeleted, userDeletedEvent, async ({ data }) => {
    await deps.directory.changedUser(data.userId);
    await deps.invites.accountDeleted(data.userId);
  });
  // Auth announces a block before it answers it: a message sent after a block notifies neither.
  onEvent(app, CHAT_EVENT_ROUTES.userBlockChanged, userBlockChangedEvent, async ({ data }) => {
    await deps.blocks.changedPair(data.blockerId, data.blockedId);
  });
}

/**
 * Leaves the tombstone plans and late creations check, marks the ledger's timelines, and forgets
 * the message's text: the quotes in its deliveries and its edits.
 */
export async function onMessageDeleted(store: DeliveryStore, { message }: ChatMessageEvent): Promise<void> {
  const deletedAt = new Date(message.deletedAt ?? Date.now());
  await store.deletedMessages.updateOne(
    { _id: message.id },
    { $setOnInsert: { conversationId: message.conversationId, deletedAt } },
    { upsert: true },
  );
  await markDeleted(store, message.id, deletedAt);
}

/**
 * Marks `deleted` in the timeline of each delivery of the message, found from the recipients its
 * creation recorded (by `_id`, where a filter on `messageId` reads the whole ledger in the dev store).
 *
 * A deletion racing the creation: the creation writes the recipients, then the deliveries, then
 * reads the tombstone; the deletion writes the tombstone, then reads the recipients. If this read
 * misses the recipients, they were written after it and so after the tombstone, and the creation's
 * read of the tombstone, later still, finds it and marks them itself. A mark written before its
 * delivery is harmless: timeline entries are keyed by the delivery's id, which the creation then
 * writes, and marking twice adds nothing.
 */
async function markDeleted(store: DeliveryStore, messageId: string, deletedAt: Date): Promise<void> {
  const recipients = await store.messageRecipients.findOne({ _id: messageId });
  const ids = (recipients?.recipientIds ?? []).map((recipientId) => deliveryId(messageId, recipientId));
  await addTimeline(store, ids, {
    key: 'deleted',
    at: deletedAt,
    event: 'deleted',
    channel: null,
    detail: null,
  });
  // A deleted message's text is kept nowhere, as in chat. The same race as above: whichever of
  // the creation and the deletion comes second finds the quotes written.
  await inBatches(ids, (_id) => store.deliveries.updateOne({ _id }, { $set: { snippet: '' } }));
  await store.editedMessages.deleteOne({ _id: messageId });
}

/**
 * Whether the member was there when message `seq` was sent, as chat decides it: a message counts
 * as unread, and as sent, for a member only above the number they joined at, and notifies only
 * them. A member list loaded after a join keeps the new member out of a late event of an earlier
 * message; an absent number (a chat older than the field) counts as there from the start.
 */
function joinedBefore(conversation: ConversationFacts, userId: string, seq: number): boolean {
  return (conversation.joinSeqs.get(userId) ?? 0) < seq;
}

export async function onMessageCreated(deps: ChatEventDeps, { message }: ChatMessageEvent): Promise<void> {
  const { directory } = deps;
  if (message.deletedAt) return;
  const conversation = await directory.conversation(message.senderId, message.conversationId, [
    message.senderId,
    ...message.mentions,
  ]);
  if (!conversation) return;
  const recipients = conversation.memberIds.filter(
    (id) => id !== message.senderId && joinedBefore(conversation, id, message.seq),
  );
  const signalled = await notifyCreation(deps, message, conversation.type, recipients);
  if (signalled === undefined) return;
  deps.logger.debug({ messageId: message.id, recipients: signalled ?? 0 }, 'recipients signalled');
}

/**
 * What a new message brings the given members: to each whose level wants it, a ledger entry and
 * a signal, of the kind and urgency the conversation's type and the message's mentions make it.
 * Returns what `notify` returns, or undefined when no level wants the message (nothing recorded).
 */
async function notifyCreation(
  deps: ChatEventDeps,
  message: ChatMessageView,
  type: ConversationFacts['type'],
  recipients: string[],
): Promise<number | null | undefined> {
  // Nobody hears of a message from someone they blocked, or who blocked them.
  recipients = await unblocked(deps, message.senderId, recipients);
  if (recipients.length === 0) return undefined;
  const notices: Notice[] = [];
  const levels = await deps.levels.levels(message.conversationId, recipients);
  for (const [index, recipientId] of recipients.entries()) {
    const mentioned = message.mentions.includes(recipientId);
    const kind: NotifyKind =
      type === 'direct' ? 'direct' : mentioned || message.mentionsEveryone ? 'mention' : 'all';
    const urgent = type === 'direct' || mentioned;
    if (!levelAllows(levels[index]!, kind)) continue;
    notices.push(noticeOf(message, recipientId, kind, urgent));
  }
  // Nobody's level wants this message: nothing is recorded, nobody is asked anything more.
  if (notices.length === 0) return undefined;
  return notify(deps, message, { open: notices, known: [], byEdit: false });
}

/**
 * Drops the cached member list, then catches the new member up. A message and the member's
 * addition come on two topics with no order between them: an instance may handle a message sent
 * after the member joined with a member list cached from before, and leave them out. So the
 * member's addition reads the conversation's newest messages as the member sees them, and gives
 * each one sent since they joined, by someone else and not deleted, what its creation gives a
 * recipient. Sent since they joined: numbered above the event's `joinSeq`, as chat counts unread;
 * only an event without it (from a chat older than the field) compares creation times, which
 * lets through messages sent while chat stored the membership. Who has a ledger entry for a
 * message already was among its recipients, and its creation finishes what it began (its event is
 * retried until it has); the rest are notified here. Both are keyed by message and recipient, and
 * the workflow ignores a message id it saw, so a message reaching someone both ways, or a
 * redelivered member event, notifies nobody twice.
 *
 * Bounded: only members who joined within {@link CATCH_UP_WINDOW_MS} are caught up, on at most
 * the {@link CATCH_UP_MESSAGES} newest messages, and only once the conversation has any. An event
 * without `joinedAt` (from a chat older than the field) only drops the list.
 */
export async function onMemberAdded(deps: ChatEventDeps, member: ChatMemberEvent): Promise<void> {
  await deps.directory.changedConversation(member.conversationId);
  const { conversationId, userId, joinedAt, joinSeq } = member;
  if (joinedAt === undefined) return;
  const joined = Date.parse(joinedAt);
  if (Date.now() - joined > CATCH_UP_WINDOW_MS) return;
  // Uncached: the type, whether they are still a member, and whether there is anything to read.
  const view = await deps.chat.conversationAs(userId, conversationId);
  if (!view || view.lastSeq === 0) return;
  const newest = await deps.chat.newestMessagesAs(userId, conversationId, CATCH_UP_MESSAGES);
  const sentSince = (message: ChatMessageView) =>
    joinSeq === undefined ? Date.parse(message.createdAt) >= joined : message.seq > joinSeq;
  const since = (newest ?? []).filter(
    (message) => !message.deletedAt && message.senderId !== userId && sentSince(message),
  );
  // By `_id`, a batch at a time: the dev store reads the whole ledger for a filter on `messageId`.
  const entries = await inBatches(since, (message) =>
    deps.store.deliveries.findOne({ _id: deliveryId(message.id, userId) }, { projection: { _id: 1 } }),
  );
  const missed = since.filter((_, index) => !entries[index]);
  for (const message of missed) {
    await notifyCreation(deps, message, view.type, [userId]);
  }
  if (missed.length > 0) {
    deps.logger.debug({ conversationId, userId, messages: missed.length }, 'new member caught up');
  }
}

export async function onMessageEdited(deps: ChatEventDeps, { message }: ChatMessageEvent): Promise<void> {
  await recordEdit(deps.store, message);
  await notifyByEdit(deps, message);
}

/**
 * What an edit's mentions bring, as if the message had held them from the start, once each:
 *
 * - a member it newly names, or (mentioning everyone) any member, with no ledger entry for the
 *   message gets an entry of kind `mention` and a signal when their level wants mentions: urgent
 *   when named, not when only one of everyone, as a creation decides;
 * - a member it names whose entry is not urgent (from a message to the whole group, or to
 *   everyone) has the entry made an urgent mention, and their workflow is told the message is now
 *   urgent, so the urgent channels (SMS) may go out for it.
 *
 * Neither when the member has read the message already, nor when they joined after it was sent
 * (a creation would not have notified them, and chat never counts it unread for them). An entry
 * is marked `mentionedByEdit` until its signal went out: a redelivered edit signals again (the
 * workflow takes each message, and each message's urgency, once), and after that an edit keeping
 * the mention adds nothing. A direct conversation notifies its other member of every message,
 * urgently, already.
 *
 * The edit and the creation may arrive in either order; whichever signals second is ignored by
 * the workflow (the same message id, no more urgent), and its ledger write finds the entry there.
 */
async function notifyByEdit(deps: ChatEventDeps, message: ChatMessageView): Promise<void> {
  const { store, directory } = deps;
  const named = new Set(message.mentions.filter((id) => id !== message.senderId));
  if (message.deletedAt || (named.size === 0 && !message.mentionsEveryone)) return;
  const conversation = await directory.conversation(message.senderId, message.conversationId, [
    message.senderId,
    ...named,
  ]);
  if (!conversation || conversation.type === 'direct') return;
  const candidates = await unblocked(
    deps,
    message.senderId,
    conversation.memberIds.filter(
      (id) =>
        id !== message.senderId &&
        (message.mentionsEveryone || named.has(id)) &&
        joinedBefore(conversation, id, message.seq),
    ),
  );
  if (candidates.length === 0) return;

  // By `_id`, a batch at a time: the dev store reads the whole ledger for a filter on `messageId`.
  const entries = await inBatches(candidates, (id) =>
    store.deliveries.findOne(
      { _id: deliveryId(message.id, id) },
      { projection: { kind: 1, urgent: 1, mentionedByEdit: 1 } },
    ),
  );
  const known: Notice[] = [];
  const upgraded: string[] = [];
  const unnotified: string[] = [];
  for (const [index, recipientId] of candidates.entries()) {
    const entry = entries[index];
    if (!entry) unnotified.push(recipientId);
    else if (named.has(recipientId) && !entry.urgent) {
      upgraded.push(recipientId);
      known.push(noticeOf(message, recipientId, 'mention', true));
    } else if (entry.mentionedByEdit?.signalled === false) {
      known.push(noticeOf(message, recipientId, entry.kind, entry.urgent));
    }
  }
  const levels = unnotified.length > 0 ? await deps.levels.levels(message.conversationId, unnotified) : [];
  const open = unnotified
    .filter((_, index) => levelAllows(levels[index]!, 'mention'))
    .map((recipientId) => noticeOf(message, recipientId, 'mention', named.has(recipientId)));
  if (open.length + known.length === 0) return;

  // Before the signal: an edit redelivered after a failed one finds the entry still to signal.
  await inBatches(upgraded, (recipientId) =>
    store.deliveries.updateOne(
      { _id: deliveryId(message.id, recipientId) },
      { $set: { kind: 'mention', urgent: true, mentionedByEdit: { signalled: false } } },
    ),
  );
  const signalled = await notify(deps, message, { open, known, byEdit: true });
  if (signalled === null) return;
  // Read or signalled: either way, a later edit keeping the mention has nothing to add.
  await inBatches([...known, ...open], ({ recipientId }) =>
    store.deliveries.updateOne(
      { _id: deliveryId(message.id, recipientId) },
      { $set: { 'mentionedByEdit.signalled': true } },
    ),
  );
  deps.logger.debug({ messageId: message.id, recipients: signalled }, 'recipients signalled after an edit');
}

/**
 * The members who may hear of the sender's message: not one who blocked the sender or whom the
 * sender blocked (mentions included). The message itself still reaches them in the conversation.
 */
async function unblocked(deps: ChatEventDeps, senderId: string, memberIds: string[]): Promise<string[]> {
  if (memberIds.length === 0) return memberIds;
  const blocked = await deps.blocks.blockedAmong(senderId, memberIds);
  return memberIds.filter((id) => !blocked.has(id));
}

/** A recipient to tell of a message, and the signal that tells their workflow. */
interface Notice {
  recipientId: string;
  signal: NotifyMessageSignal;
}

function noticeOf(message: ChatMessageView, recipientId: string, kind: NotifyKind, urgent: boolean): Notice {
  return {
    recipientId,
    signal: { messageId: message.id, conversationId: message.conversationId, seq: message.seq, kind, urgent },
  };
}

/**
 * The part a creation and an edit share: records the recipients of `open` and opens their ledger
 * entries (an entry there already is kept as it is), each with a `queued` timeline entry, then
 * signals the workflow of every recipient of `open` and `known` who has not read the message. A
 * recipient who has gets `read` in the timeline instead. Returns how many were signalled, or null
 * when the message was deleted meanwhile (then nobody is).
 *
 * An edit's entries are marked `mentionedByEdit`, and its read marks are read first: an edit comes
 * late, and one who read the message already is never queued for it. A creation reads them last,
 * to catch a receipt that overtook it as late as possible.
 */
async function notify(
  deps: ChatEventDeps,
  message: ChatMessageView,
  { open, known, byEdit }: { open: Notice[]; known: Notice[]; byEdit: boolean },
): Promise<number | null> {
  const { store } = deps;
  const notices = [...known, ...open];
  const readMarks = () =>
    inBatches(notices, ({ recipientId }) =>
      store.readMarks.findOne({ _id: readMarkId(recipientId, message.conversationId) }),
    );
  const hasRead = (mark: ReadMarkDoc | null | undefined): mark is ReadMarkDoc =>
    mark !== null && mark !== undefined && mark.seq >= message.seq;
  const readFirst = byEdit ? await readMarks() : null;

  if (open.length > 0) {
    const senderName = await deps.directory.displayName(message.senderId);
    const now = new Date();
    // Before the deliveries, so that a deletion finds them (see `markDeleted`). A redelivered event
    // whose member list changed meanwhile adds the new recipients.
    await store.messageRecipients.updateOne(
      { _id: message.id },
      {
        $setOnInsert: { conversationId: message.conversationId, senderId: message.senderId, createdAt: now },
        $addToSet: { recipientIds: { $each: open.map((n) => n.recipientId) } },
      },
      { upsert: true },
    );
    for (const [index, { recipientId, signal }] of open.entries()) {
      await store.deliveries.updateOne(
        { _id: deliveryId(message.id, recipientId) },
        {
          $setOnInsert: {
            messageId: message.id,
            conversationId: message.conversationId,
            seq: message.seq,
            senderId: message.senderId,
            senderName,
            snippet: snippetOf(message.text),
            textVersion: message.version,
            recipientId,
            kind: signal.kind,
            urgent: signal.urgent,
            createdAt: now,
            ...(byEdit ? { mentionedByEdit: { signalled: false } } : {}),
          },
        },
        { upsert: true },
      );
      if (readFirst && hasRead(readFirst[known.length + index])) continue;
      await addTimeline(store, [deliveryId(message.id, recipientId)], queuedAt(now));
    }
  }
  // Deleted before (or while) the entries above were written: the timelines say so, and nobody
  // is signalled. A deletion after this point reaches the plans, which drop the message.
  if (await deletedMeanwhile(store, message.id)) return null;
  // Read before this event arrived (a receipt may overtake it): recorded, and nobody signalled.
  const marks = readFirst ?? (await readMarks());
  const unread: Notice[] = [];
  for (const [index, notice] of notices.entries()) {
    const mark = marks[index];
    if (hasRead(mark)) {
      await addTimeline(store, [deliveryId(message.id, notice.recipientId)], {
        key: 'read',
        at: mark.at,
        event: 'read',
        channel: null,
        detail: null,
      });
    } else {
      unread.push(notice);
    }
  }
  // Bounded: while Temporal is away the client would keep trying for half a minute, holding up the
  // batch this event came in; failing sooner leaves the event to the retries of `parking`.
  await deps.temporal.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => signalAll(deps, unread));
  return unread.length;
}

async function signalAll(deps: ChatEventDeps, unread: Notice[]): Promise<void> {
  for (let i = 0; i < unread.length; i += SIGNAL_CONCURRENCY) {
    await Promise.all(
      unread.slice(i, i + SIGNAL_CONCURRENCY).map(({ recipientId, signal }) => {
        const initial: NotifyRecipientState = { userId: recipientId, pending: [], recent: [], readUpTo: {} };
        return deps.temporal.workflow.signalWithStart<typeof notifyRecipient, [NotifyMessageSignal]>(
          'notifyRecipient',
          {
            workflowId: workflowIds.notifyRecipient(recipientId),
            taskQueue: TASK_QUEUE,
            args: [initial],
            signal: 'notifyMessage',
            signalArgs: [signal],
          },
        );
      }),
    );
  }
}

/**
 * Deliveries a receipt looks at, at most: the newest ones up to its number. A receipt that jumps
 * further (a member back after a long absence) leaves the timelines of older ones without it.
 */
const RECEIPT_WINDOW = 200;
/**
 * How far below the last receipt's number a receipt looks again: a message's creation may reach
 * this service after a receipt that covers it (two topics, no order between them).
 */
const RECEIPT_OVERLAP = 16;

/**
 * A receipt's marks: the read cursor the creations of later messages check, and the receipt in the
 * timeline of each delivery it covers. Idempotent: a redelivered receipt adds nothing.
 */
export async function recordReceipt(store: DeliveryStore, receipt: ChatReceiptEvent): Promise<void> {
  const event = receipt.kind === 'read' ? 'read' : 'delivered';
  if (receipt.kind === 'read') {
    await store.readMarks.updateOne(
      { _id: readMarkId(receipt.userId, receipt.conversationId) },
      { $max: { seq: receipt.seq, at: new Date() } },
      { upsert: true },
    );
  }
  // The deliveries the receipt covers, found by `_id` (message and recipient) from the number
  // where the last receipt of its kind stopped: the dev store reads the whole ledger for any other
  // filter, and a receipt comes with nearly every message a client shows.
  const markId = `${readMarkId(receipt.userId, receipt.conversationId)}:${event}`;
  const marked = (await store.receiptMarks.findOne({ _id: markId }))?.seq ?? 0;
  const from = Math.max(1, marked - RECEIPT_OVERLAP + 1, receipt.seq - RECEIPT_WINDOW + 1);
  const ids: string[] = [];
  for (let seq = from; seq <= receipt.seq; seq++) {
    ids.push(deliveryId(messageIdFor(receipt.conversationId, seq), receipt.userId));
  }
  const found = await inBatches(ids, (_id) => store.deliveries.findOne({ _id }, { projection: { _id: 1 } }));
  await addTimeline(
    store,
    found.filter((d) => d !== null).map((d) => d._id),
    { key: event, at: new Date(), event, channel: null, detail: null },
  );
  await store.receiptMarks.updateOne(
    { _id: markId },
    { $max: { seq: receipt.seq, at: new Date() } },
    { upsert: true },
  );
}

async function onReceipt(deps: ChatEventDeps, receipt: ChatReceiptEvent): Promise<void> {
  await recordReceipt(deps.store, receipt);
  if (receipt.kind !== 'read') return;
  try {
    await deps.temporal.workflow
      .getHandle(workflowIds.notifyRecipient(receipt.userId))
      .signal('notifyRead', { conversationId: receipt.conversationId, seq: receipt.seq });
  } catch (err) {
    // No workflow: nothing is pending for this recipient.
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/** A timeline's `queued` entry. */
function queuedAt(at: Date): TimelineEntry {
  return { key: 'queued', at, event: 'queued', channel: null, detail: null };
}

/**
 * Whether the message was deleted before (or while) its entries were written; if so, their
 * timelines say so, and nobody is to be signalled.
 */
async function deletedMeanwhile(store: DeliveryStore, messageId: string): Promise<boolean> {
  const tombstone = await store.deletedMessages.findOne({ _id: messageId });
  if (tombstone) await markDeleted(store, messageId, tombstone.deletedAt);
  return tombstone !== null;
}
