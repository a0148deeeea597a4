import {
  type ChatMemberEvent,
  type ChatMessageEvent,
  type ChatReceiptEvent,
  type MediaUploadedEvent,
  type NotificationOutcomeEvent,
  messageIdFor,
} from '@parley/contracts';
import { dayOf } from './day';
import type { FigureStore } from './figure-store';

const DUPLICATE_KEY = 11000;

function isDuplicate(err: unknown): boolean {
  return (err as { code?: number }).code === DUPLICATE_KEY;
}

/**
 * How many messages one receipt measures at most: the latest ones up to its cursor. A cursor that
 * jumps further (a member back after a long absence, a first receipt in a busy conversation) leaves
 * the older messages of the jump unmeasured; they would only add a tail of very long waits.
 */
export const RECEIPT_WINDOW = 200;

/** How many of a receipt's messages are looked up at once. */
const LOOKUP_BATCH = 25;
/**
 * How often, and how far apart, a receipt looks again for messages not recorded yet: new messages
 * reach this service in batches gathered over up to 50 ms, so a quarter second covers them; a
 * message never recorded (sent before the service ran) costs a receipt that long once.
 */
const MISSING_TRIES = 5;
const MISSING_WAIT_MS = 50;

/** How many (day, user) pairs are remembered as already recorded before the memory is reset. */
const ACTIVE_CACHE_LIMIT = 100_000;

/**
 * Turns events into per-day figures, each applied once, with as few writes as it can: the chat
 * events carry their own idempotency (a message id recorded once, cursors that only move
 * forward, a conversation recorded once); media and notification counts are guarded by their
 * CloudEvent id. Writes are few because every event of the platform lands here.
 */
export class Recorder {
  /** (day, user) pairs already written: a user active all day costs one write, not one per event. */
  private readonly activeSeen = new Set<string>();

  constructor(private readonly store: FigureStore) {}

  async once(eventId: string, apply: () => Promise<void>): Promise<boolean> {
    try {
      await this.store.batched.processed.insertOne({ _id: eventId, at: new Date() });
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

  /**
   * A message was sent. Its record (kept to measure delivery and read times) is written first
   * and once: a redelivery finds it there and counts nothing. The day's total is the sum of
   * its conversations' counts.
   */
  async messageCreated({ conversationId, message }: ChatMessageEvent): Promise<boolean> {
    const day = dayOf(message.createdAt);
    // Keyed by conversation and seq (chat's own message id), so a receipt finds its messages by `_id`.
    const sentId = messageIdFor(conversationId, message.seq);
    try {
      await this.store.batched.sent.insertOne({
        _id: sentId,
        conversationId,
        seq: message.seq,
        senderId: message.senderId,
        sentAt: new Date(message.createdAt),
      });
    } catch (err) {
      if (isDuplicate(err)) return false;
      throw err;
    }
    try {
      await this.store.batched.conversationDays.updateOne(
        { _id: `${day}:${conversationId}` },
        { $inc: { messages: 1 }, $setOnInsert: { day, conversationId } },
        { upsert: true },
      );
    } catch (err) {
      // Undo the record, so the sidecar's retry counts the message.
      await this.store.sent.deleteOne({ _id: sentId }).catch(() => undefined);
      throw err;
    }
    await this.active(day, message.senderId);
    return true;
  }

  /**
   * A member's cursor moved: every message of others between the last measured position and the
   * new one took this long to be delivered (or read). Only the latest RECEIPT_WINDOW of them are
   * measured, each read by its `_id`: a range query would read every message ever sent on FerretDB.
   * A message whose creation has not reached this service yet is not measured.
   */
  async receipt({ conversationId, userId, kind, seq }: ChatReceiptEvent, at: Date): Promise<void> {
    await this.active(dayOf(at), userId);
    const _id = `${conversationId}:${userId}:${kind}`;
    // The cursor only moves forward, so a redelivered or older receipt measures nothing.
    const previous = (await this.store.cursors.findOne({ _id }))?.seq ?? 0;
    if (seq <= previous) return;
    const ids: string[] = [];
    for (let s = Math.max(previous + 1, seq - RECEIPT_WINDOW + 1); s <= seq; s++) {
      ids.push(messageIdFor(conversationId, s));
    }
    const sent = await this.sentMessages(ids);
    // A receipt may overtake the messages it covers: they come in batches, it alone. Those not
    // recorded yet are waited for a moment, so their times are not lost.
    for (let tries = 0; tries < MISSING_TRIES && sent.size < ids.length; tries++) {
      await new Promise((resolve) => setTimeout(resolve, MISSING_WAIT_MS));
      for (const [id, m] of await this.sentMessages(ids.filter((id) => !sent.has(id)))) sent.set(id, m);
    }
    const waits: number[] = [];
    for (const m of sent.values()) {
      if (m.senderId !== userId) waits.push(Math.max(0, at.getTime() - m.sentAt.getTime()));
    }
    if (waits.length > 0) {
      await this.store.latencies.insertMany(waits.map((ms) => ({ day: dayOf(at), kind, ms })));
    }
    await this.store.cursors.updateOne({ _id }, { $max: { seq } }, { upsert: true });
  }

  /** The recorded messages among `ids`, by id. */
  private async sentMessages(ids: string[]): Promise<Map<string, { senderId: string; sentAt: Date }>> {
    const sent = new Map<string, { senderId: string; sentAt: Date }>();
    for (let i = 0; i < ids.length; i += LOOKUP_BATCH) {
      const found = await Promise.all(
        ids
          .slice(i, i + LOOKUP_BATCH)
          .map((id) => this.store.sent.findOne({ _id: id }, { projection: { senderId: 1, sentAt: 1 } })),
      );
      for (const [index, m] of found.entries()) if (m) sent.set(ids[i + index]!, m);
    }
    return sent;
  }

  /**
   * A member joined: the conversation is counted as new the first time anyone joins it, and the
   * member's cursors start after what was sent before they joined, which they never waited for.
   */
  async memberAdded({ conversationId, userId }: ChatMemberEvent, at: Date): Promise<void> {
    await this.conversationSeen(conversationId, dayOf(at));
    // TODO(analytics-scan): this filter is not `_id` alone, so FerretDB reads every message ever
    // sent for each join; joins are far rarer than messages and receipts, but it grows all the same.
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
    const key = `${day}:${userId}`;
    if (this.activeSeen.has(key)) return;
    await this.store.batched.activeUsers.updateOne(
      { _id: key },
      { $setOnInsert: { day, userId } },
      { upsert: true },
    );
    if (this.activeSeen.size >= ACTIVE_CACHE_LIMIT) this.activeSeen.clear();
    this.activeSeen.add(key);
  }

  private async conversationSeen(conversationId: string, day: string): Promise<void> {
    try {
      await this.store.conversations.insertOne({ _id: conversationId, firstDay: day });
    } catch (err) {
      if (isDuplicate(err)) return;
      throw err;
    }
    try {
      await this.store.days.updateOne({ _id: day }, { $inc: { newConversations: 1 } }, { upsert: true });
    } catch (err) {
      await this.store.conversations.deleteOne({ _id: conversationId }).catch(() => undefined);
      throw err;
    }
  }
}
