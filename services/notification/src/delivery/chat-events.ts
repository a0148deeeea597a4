import {
  type ChatMessageEvent,
  type ChatMessageView,
  type ChatReceiptEvent,
  Topics,
  chatConversationEvent,
  chatMemberEvent,
  chatMessageEvent,
  chatReceiptEvent,
  messageIdFor,
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
import type { NotifyLevel } from '../preferences/schemas';
import type { DirectoryCache } from './directory-cache';
import { inBatches } from './in-batches';
import type { LevelCache } from './level-cache';
import { recordEdit, snippetOf } from './message-edits';
import { type DeliveryStore, type TimelineEntry, addTimeline, deliveryId, readMarkId } from './store';

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
} as const;

/** The topics the service's readiness waits for: chat's, and auth's profile changes for cached names. */
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
];

/** Recipients signalled at once for one message of a large group. */
const SIGNAL_CONCURRENCY = 16;
/** How long signalling a message's recipients may take before the event is kept for a retry. */
const SIGNAL_DEADLINE_MS = 5_000;

export function levelAllows(level: NotifyLevel, kind: NotifyKind): boolean {
  if (level === 'all') return true;
  if (level === 'mentions') return kind === 'mention' || kind === 'direct';
  if (level === 'direct') return kind === 'direct';
  return false;
}

export interface ChatEventDeps {
  store: DeliveryStore;
  directory: DirectoryCache;
  /** Recipients' levels as of at most a few seconds ago; the planner re-reads them fresh. */
  levels: LevelCache;
  temporal: Client;
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
  // An edit may also mention users anew, who are then notified as a mention from the start would.
  onEvent(app, CHAT_EVENT_ROUTES.messageEdited, chatMessageEvent, async ({ data }) => {
    await onMessageEdited(deps, data);
  });
  // What the directory cache holds about a conversation or a sender is dropped when it changes.
  for (const route of [CHAT_EVENT_ROUTES.memberAdded, CHAT_EVENT_ROUTES.memberRemoved]) {
    onEvent(app, route, chatMemberEvent, async ({ data }) => {
      await deps.directory.changedConversation(data.conversationId);
    });
  }
  onEvent(app, CHAT_EVENT_ROUTES.conversationUpdated, chatConversationEvent, async ({ data }) => {
    await deps.directory.changedConversation(data.conversationId);
  });
  onEvent(app, CHAT_EVENT_ROUTES.userUpdated, userUpdatedEvent, async ({ data }) => {
    await deps.directory.changedUser(data.userId);
  });
  onEvent(app, CHAT_EVENT_ROUTES.userDeleted, userDeletedEvent, async ({ data }) => {
    await deps.directory.changedUser(data.userId);
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

export async function onMessageCreated(deps: ChatEventDeps, { message }: ChatMessageEvent): Promise<void> {
  const { store, directory } = deps;
  if (message.deletedAt) return;
  const conversation = await directory.conversation(message.senderId, message.conversationId, [
    message.senderId,
    ...message.mentions,
  ]);
  if (!conversation) return;
  const recipients = conversation.memberIds.filter((id) => id !== message.senderId);
  if (recipients.length === 0) return;

  const signals: { recipientId: string; signal: NotifyMessageSignal }[] = [];
  const levels = await deps.levels.levels(message.conversationId, recipients);
  for (const [index, recipientId] of recipients.entries()) {
    const mentioned = message.mentions.includes(recipientId);
    const kind: NotifyKind =
      conversation.type === 'direct' ? 'direct' : mentioned || message.mentionsEveryone ? 'mention' : 'all';
    const urgent = conversation.type === 'direct' || mentioned;
    if (!levelAllows(levels[index]!, kind)) continue;
    signals.push({
      recipientId,
      signal: {
        messageId: message.id,
        conversationId: message.conversationId,
        seq: message.seq,
        kind,
        urgent,
      },
    });
  }
  // Nobody's level wants this message: nothing is recorded, nobody is asked anything more.
  if (signals.length === 0) return;

  const senderName = await directory.displayName(message.senderId);
  const now = new Date();
  // Before the deliveries, so that a deletion finds them (see `markDeleted`). A redelivered event
  // whose member list changed meanwhile adds the new recipients.
  await store.messageRecipients.updateOne(
    { _id: message.id },
    {
      $setOnInsert: { conversationId: message.conversationId, senderId: message.senderId, createdAt: now },
      $addToSet: { recipientIds: { $each: signals.map((s) => s.recipientId) } },
    },
    { upsert: true },
  );
  for (const { recipientId, signal } of signals) {
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
        },
      },
      { upsert: true },
    );
    await addTimeline(store, [deliveryId(message.id, recipientId)], queuedAt(now));
  }
  // Deleted before (or while) the entries above were written: the timelines say so, and nobody
  // is signalled. A deletion after this point reaches the plans, which drop the message.
  if (await deletedMeanwhile(store, message.id)) return;
  // Read before this event arrived (a receipt may overtake it): recorded, and nobody signalled.
  const marks = await inBatches(signals, ({ recipientId }) =>
    store.readMarks.findOne({ _id: readMarkId(recipientId, message.conversationId) }),
  );
  const unread: typeof signals = [];
  for (const [index, entry] of signals.entries()) {
    const mark = marks[index];
    if (mark && mark.seq >= message.seq) {
      await addTimeline(store, [deliveryId(message.id, entry.recipientId)], {
        key: 'read',
        at: mark.at,
        event: 'read',
        channel: null,
        detail: null,
      });
    } else {
      unread.push(entry);
    }
  }
  // Bounded: while Temporal is away the client would keep trying for half a minute, holding up the
  // batch this event came in; failing sooner leaves the event to the retries of `parking`.
  await deps.temporal.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => signalAll(deps, unread));
  deps.logger.debug({ messageId: message.id, recipients: unread.length }, 'recipients signalled');
}

export async function onMessageEdited(deps: ChatEventDeps, { message }: ChatMessageEvent): Promise<void> {
  await recordEdit(deps.store, message);
  await notifyNewMentions(deps, message);
}

/**
 * Users an edit mentions who have no ledger entry for the message get what a mention from the
 * start would have brought them: an entry of kind `mention`, urgent, and a signal, when their
 * level wants mentions and they have not read the message yet. Whoever has an entry already (from
 * the creation, or from an earlier edit that mentioned them) gets nothing more, so a mention is
 * notified once however many edits keep it. An entry an edit opened is marked signalled only after
 * the signal went out: a redelivered edit signals again, and the workflow ignores a message id it
 * saw. A direct conversation notifies its other member of every message already.
 *
 * The edit and the creation may arrive in either order; whichever signals second is ignored by
 * the workflow (the same message id), and its ledger write finds the entry there.
 */
async function notifyNewMentions(deps: ChatEventDeps, message: ChatMessageView): Promise<void> {
  const { store, directory } = deps;
  const mentioned = [...new Set(message.mentions)].filter((id) => id !== message.senderId);
  if (message.deletedAt || mentioned.length === 0) return;
  const conversation = await directory.conversation(message.senderId, message.conversationId, [
    message.senderId,
    ...mentioned,
  ]);
  if (!conversation || conversation.type === 'direct') return;
  const members = new Set(conversation.memberIds);
  const candidates = mentioned.filter((id) => members.has(id));
  if (candidates.length === 0) return;

  // By `_id`, a batch at a time: the dev store reads the whole ledger for a filter on `messageId`.
  const entries = await inBatches(candidates, (id) =>
    store.deliveries.findOne({ _id: deliveryId(message.id, id) }, { projection: { mentionedByEdit: 1 } }),
  );
  const unsignalled = candidates.filter((_, i) => entries[i]?.mentionedByEdit?.signalled === false);
  const unnotified = candidates.filter((_, i) => !entries[i]);
  const levels = unnotified.length > 0 ? await deps.levels.levels(message.conversationId, unnotified) : [];
  const fresh = unnotified.filter((_, i) => levelAllows(levels[i]!, 'mention'));
  if (fresh.length + unsignalled.length === 0) return;

  const recipients = [...unsignalled, ...fresh];
  const marks = await inBatches(recipients, (recipientId) =>
    store.readMarks.findOne({ _id: readMarkId(recipientId, message.conversationId) }),
  );
  const hasRead = (recipientId: string) => {
    const mark = marks[recipients.indexOf(recipientId)];
    return mark !== null && mark !== undefined && mark.seq >= message.seq;
  };

  if (fresh.length > 0) {
    const senderName = await directory.displayName(message.senderId);
    const now = new Date();
    // Before the entries, so that a deletion finds them (see `markDeleted`).
    await store.messageRecipients.updateOne(
      { _id: message.id },
      {
        $setOnInsert: { conversationId: message.conversationId, senderId: message.senderId, createdAt: now },
        $addToSet: { recipientIds: { $each: fresh } },
      },
      { upsert: true },
    );
    for (const recipientId of fresh) {
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
            kind: 'mention',
            urgent: true,
            createdAt: now,
            mentionedByEdit: { signalled: false },
          },
        },
        { upsert: true },
      );
      // One who read the message already is never queued for it: its timeline says read (below).
      if (hasRead(recipientId)) continue;
      await addTimeline(store, [deliveryId(message.id, recipientId)], queuedAt(now));
    }
  }
  if (await deletedMeanwhile(store, message.id)) return;
  const unread: { recipientId: string; signal: NotifyMessageSignal }[] = [];
  for (const [index, recipientId] of recipients.entries()) {
    const mark = marks[index];
    if (mark && hasRead(recipientId)) {
      await addTimeline(store, [deliveryId(message.id, recipientId)], {
        key: 'read',
        at: mark.at,
        event: 'read',
        channel: null,
        detail: null,
      });
      continue;
    }
    unread.push({
      recipientId,
      signal: {
        messageId: message.id,
        conversationId: message.conversationId,
        seq: message.seq,
        kind: 'mention',
        urgent: true,
      },
    });
  }
  await deps.temporal.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => signalAll(deps, unread));
  // Read or signalled: either way, a later edit keeping the mention has nothing to add.
  await inBatches(recipients, (recipientId) =>
    store.deliveries.updateOne(
      { _id: deliveryId(message.id, recipientId) },
      { $set: { 'mentionedByEdit.signalled': true } },
    ),
  );
  deps.logger.debug(
    { messageId: message.id, recipients: unread.length },
    'newly mentioned recipients signalled',
  );
}

async function signalAll(
  deps: ChatEventDeps,
  unread: { recipientId: string; signal: NotifyMessageSignal }[],
): Promise<void> {
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
