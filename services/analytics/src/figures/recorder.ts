import type {
  ChatMemberEvent,
  ChatMessageEvent,
  ChatReceiptEvent,
  MediaUploadedEvent,
  NotificationOutcomeEvent,
} from '@parley/contracts';
import { dayOf } from './day';
import type { FigureStore } from './figure-store';

const DUPLICATE_KEY = 11000;

function isDuplicate(err: unknown): boolean {
  return (err as { code?: number }).code === DUPLICATE_KEY;
}

/**
 * Turns events into per-day figures. Each event is applied once: its CloudEvent id is recorded
 * first, and a redelivery of the same id is ignored. When applying fails the record is removed,
 * so the sidecar's retry applies it again.
 */
export class Recorder {
  constructor(private readonly store: FigureStore) {}

  async once(eventId: string, apply: () => Promise<void>): Promise<boolean> {
    try {
      await this.store.processed.insertOne({ _id: eventId, at: new Date() });
    } catch (err) {
      if (isDuplicate(err)) return false;
      throw err;
    }
    try {
      await apply();
    } catch (err) {
      await this.store.processed.deleteOne({ _id: eventId }).catch(() => undefined);
      throw err;
    }
    return true;
  }

  async messageCreated({ conversationId, message }: ChatMessageEvent): Promise<void> {
    const day = dayOf(message.createdAt);
    await this.store.days.updateOne({ _id: day }, { $inc: { messages: 1 } }, { upsert: true });
    await this.store.conversationDays.updateOne(
      { _id: `${day}:${conversationId}` },
      { $inc: { messages: 1 }, $setOnInsert: { day, conversationId } },
      { upsert: true },
    );
    await this.active(day, message.senderId);
    await this.conversationSeen(conversationId, day);
    await this.ignoreDuplicate(
      this.store.sent.insertOne({
        _id: message.id,
        conversationId,
        seq: message.seq,
        senderId: message.senderId,
        sentAt: new Date(message.createdAt),
      }),
    );
  }

  /**
   * A member's cursor moved: every message of others between the last measured position and the
   * new one took this long to be delivered (or read).
   */
  async receipt({ conversationId, userId, kind, seq }: ChatReceiptEvent, at: Date): Promise<void> {
    await this.active(dayOf(at), userId);
    const _id = `${conversationId}:${userId}:${kind}`;
    const previous = (await this.store.cursors.findOne({ _id }))?.seq ?? 0;
    if (seq <= previous) return;
    await this.store.cursors.updateOne({ _id }, { $max: { seq } }, { upsert: true });
    const messages = await this.store.sent
      .find({ conversationId, seq: { $gt: previous, $lte: seq }, senderId: { $ne: userId } })
      .toArray();
    if (messages.length === 0) return;
    await this.store.latencies.insertMany(
      messages.map((m) => ({ day: dayOf(at), kind, ms: Math.max(0, at.getTime() - m.sentAt.getTime()) })),
    );
  }

  /**
   * A member joined: the conversation is counted as new the first time anyone joins it, and the
   * member's cursors start after what was sent before they joined, which they never waited for.
   */
  async memberAdded({ conversationId, userId }: ChatMemberEvent, at: Date): Promise<void> {
    await this.conversationSeen(conversationId, dayOf(at));
    const [last] = await this.store.sent
      .find({ conversationId, sentAt: { $lt: at } })
      .sort({ seq: -1 })
      .limit(1)
      .toArray();
    if (!last) return;
    for (const kind of ['delivered', 'read']) {
      await this.store.cursors.updateOne(
        { _id: `${conversationId}:${userId}:${kind}` },
        { $max: { seq: last.seq } },
        { upsert: true },
      );
    }
  }

  async mediaUploaded(event: MediaUploadedEvent): Promise<void> {
    const day = dayOf(event.occurredAt);
    await this.store.days.updateOne(
      { _id: day },
      { $inc: { mediaUploaded: 1, mediaBytes: event.sizeBytes } },
      { upsert: true },
    );
    await this.active(day, event.uploaderId);
  }

  async notificationOutcome(event: NotificationOutcomeEvent): Promise<void> {
    await this.store.days.updateOne(
      { _id: dayOf(event.occurredAt) },
      { $inc: { [`notifications.${event.channel}.${event.outcome}`]: 1 } },
      { upsert: true },
    );
  }

  private async active(day: string, userId: string): Promise<void> {
    await this.store.activeUsers.updateOne(
      { _id: `${day}:${userId}` },
      { $setOnInsert: { day, userId } },
      { upsert: true },
    );
  }

  private async conversationSeen(conversationId: string, day: string): Promise<void> {
    try {
      await this.store.conversations.insertOne({ _id: conversationId, firstDay: day });
    } catch (err) {
      if (isDuplicate(err)) return;
      throw err;
    }
    await this.store.days.updateOne({ _id: day }, { $inc: { newConversations: 1 } }, { upsert: true });
  }

  private async ignoreDuplicate(write: Promise<unknown>): Promise<void> {
    try {
      await write;
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
  }
}
