import {
  type ChatMessageEvent,
  type ChatReceiptEvent,
  Topics,
  chatMessageEvent,
  chatReceiptEvent,
} from '@parley/contracts';
import { onEvent } from '@parley/service-kit';
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
import { DEFAULT_PREFERENCES, type NotifyLevel } from '../preferences/schemas';
import type { Directory } from './directory';
import { type DeliveryStore, addTimeline, deliveryId, readMarkId } from './store';

/** Routes of the declarative subscriptions in `components/subscription-notification-*.yaml`. */
export const CHAT_EVENT_ROUTES = {
  messageCreated: '/dapr/events/notification-chat-message-created',
  receiptUpdated: '/dapr/events/notification-chat-receipt-updated',
  messageDeleted: '/dapr/events/notification-chat-message-deleted',
} as const;

export const CHAT_TOPICS = [Topics.chatMessageCreated, Topics.chatReceiptUpdated, Topics.chatMessageDeleted];

const SNIPPET_LENGTH = 140;
/** Recipients signalled at once for one message of a large group. */
const SIGNAL_CONCURRENCY = 16;

export function levelAllows(level: NotifyLevel, kind: NotifyKind): boolean {
  if (level === 'all') return true;
  if (level === 'mentions') return kind === 'mention' || kind === 'direct';
  if (level === 'direct') return kind === 'direct';
  return false;
}

export interface ChatEventDeps {
  store: DeliveryStore;
  directory: Directory;
  temporal: Client;
  logger: Logger;
}

/**
 * Consumes chat's events from pub/sub: the chat service never waits on Temporal. A new message
 * opens a ledger entry per recipient whose level wants it and signals (starting if needed) that
 * recipient's workflow; a read receipt signals it to drop what was read. Both are idempotent: the
 * ledger entry is keyed by message and recipient, and the workflow ignores a message id it saw.
 */
export function mountChatEvents(app: Express, deps: ChatEventDeps): void {
  onEvent(app, CHAT_EVENT_ROUTES.messageCreated, chatMessageEvent, async ({ data }) => {
    await onMessageCreated(deps, data);
  });
  onEvent(app, CHAT_EVENT_ROUTES.receiptUpdated, chatReceiptEvent, async ({ data }) => {
    await onReceipt(deps, data);
  });
  // A message deleted before its recipients heard of it is never sent: plans drop it.
  // The deletion may arrive before the creation (two topics, no order between them): a tombstone
  // keeps a late creation from notifying anyone.
  onEvent(app, CHAT_EVENT_ROUTES.messageDeleted, chatMessageEvent, async ({ data }) => {
    const deletedAt = new Date(data.message.deletedAt ?? Date.now());
    await deps.store.deletedMessages.updateOne(
      { _id: data.message.id },
      { $setOnInsert: { conversationId: data.message.conversationId, deletedAt } },
      { upsert: true },
    );
    await markDeleted(deps.store, data.message.id, deletedAt);
  });
}

async function markDeleted(store: DeliveryStore, messageId: string, deletedAt: Date): Promise<void> {
  const docs = await store.deliveries.find({ messageId }, { projection: { _id: 1 } }).toArray();
  await addTimeline(
    store,
    docs.map((d) => d._id),
    { key: 'deleted', at: deletedAt, event: 'deleted', channel: null, detail: null },
  );
}

async function onMessageCreated(deps: ChatEventDeps, { message }: ChatMessageEvent): Promise<void> {
  const { store, directory } = deps;
  if (message.deletedAt) return;
  const conversation = await directory.conversationAs(message.senderId, message.conversationId);
  if (!conversation?.members) return;
  const recipients = conversation.members.map((m) => m.userId).filter((id) => id !== message.senderId);
  if (recipients.length === 0) return;

  const [globals, overrides, senderName] = await Promise.all([
    store.preferences.find({ _id: { $in: recipients } }).toArray(),
    store.conversationPreferences
      .find({ conversationId: message.conversationId, userId: { $in: recipients } })
      .toArray(),
    directory.displayName(message.senderId),
  ]);
  const globalLevel = new Map(globals.map((p) => [p._id, p.level]));
  const overrideLevel = new Map(overrides.map((p) => [p.userId, p.level]));
  const now = new Date();
  const signals: { recipientId: string; signal: NotifyMessageSignal }[] = [];
  for (const recipientId of recipients) {
    const mentioned = message.mentions.includes(recipientId);
    const kind: NotifyKind =
      conversation.type === 'direct' ? 'direct' : mentioned || message.mentionsEveryone ? 'mention' : 'all';
    const urgent = conversation.type === 'direct' || mentioned;
    const level = overrideLevel.get(recipientId) ?? globalLevel.get(recipientId) ?? DEFAULT_PREFERENCES.level;
    if (!levelAllows(level, kind)) continue;
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
    await store.deliveries.updateOne(
      { _id: deliveryId(message.id, recipientId) },
      {
        $setOnInsert: {
          messageId: message.id,
          conversationId: message.conversationId,
          seq: message.seq,
          senderId: message.senderId,
          senderName,
          snippet: message.text.slice(0, SNIPPET_LENGTH),
          recipientId,
          kind,
          urgent,
          createdAt: now,
        },
      },
      { upsert: true },
    );
    await addTimeline(store, [deliveryId(message.id, recipientId)], {
      key: 'queued',
      at: now,
      event: 'queued',
      channel: null,
      detail: null,
    });
  }
  // Deleted before (or while) the entries above were written: the timelines say so, and nobody
  // is signalled. A deletion after this point reaches the plans, which drop the message.
  const tombstone = await store.deletedMessages.findOne({ _id: message.id });
  if (tombstone) {
    await markDeleted(store, message.id, tombstone.deletedAt);
    return;
  }
  // Read before this event arrived (a receipt may overtake it): recorded, and nobody signalled.
  const marks = await store.readMarks
    .find({ _id: { $in: signals.map((s) => readMarkId(s.recipientId, message.conversationId)) } })
    .toArray();
  const readSeq = new Map(marks.map((m) => [m._id, m]));
  const unread: typeof signals = [];
  for (const entry of signals) {
    const mark = readSeq.get(readMarkId(entry.recipientId, message.conversationId));
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
  deps.logger.debug({ messageId: message.id, recipients: unread.length }, 'recipients signalled');
}

async function onReceipt(deps: ChatEventDeps, receipt: ChatReceiptEvent): Promise<void> {
  const event = receipt.kind === 'read' ? 'read' : 'delivered';
  if (receipt.kind === 'read') {
    await deps.store.readMarks.updateOne(
      { _id: readMarkId(receipt.userId, receipt.conversationId) },
      { $max: { seq: receipt.seq, at: new Date() } },
      { upsert: true },
    );
  }
  const covered = await deps.store.deliveries
    .find(
      { recipientId: receipt.userId, conversationId: receipt.conversationId, seq: { $lte: receipt.seq } },
      { projection: { _id: 1 } },
    )
    .toArray();
  await addTimeline(
    deps.store,
    covered.map((d) => d._id),
    { key: event, at: new Date(), event, channel: null, detail: null },
  );
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
