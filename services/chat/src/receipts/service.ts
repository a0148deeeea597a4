import { createHash } from 'node:crypto';
import { requireMember } from '../conversations/access';
import type { ChatEvents } from '../events';
import type { Messages } from '../messages/service';
import { type ChatStore, memberKey } from '../store';

export interface ReceiptDeps {
  store: ChatStore;
  events: ChatEvents;
  messages: Messages;
}

export interface ReceiptSummary {
  messageId: string;
  seq: number;
  /**
   * Members other than the sender who were there when it was sent, or read it since: the M of
   * "read by N of M". A member who joined after it is not counted as one who has yet to read it.
   */
  of: number;
  readCount: number;
  readBy: { userId: string; readAt: string | null }[];
  deliveredCount: number;
  deliveredTo: string[];
}

/** Device ids become field names; anything but a plain token is hashed into one. */
function deviceField(deviceId: string): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(deviceId)
    ? deviceId
    : createHash('sha256').update(deviceId).digest('hex').slice(0, 32);
}

/** Delivery (a device acknowledged up to a sequence) and read cursors, per member. */
export class Receipts {
  constructor(private readonly deps: ReceiptDeps) {}

  /** Moves a cursor forward (never back) and announces the move; returns the cursor now held. */
  async mark(
    userId: string,
    conversationId: string,
    kind: 'delivered' | 'read',
    requestedSeq: number,
    deviceId: string,
  ): Promise<{ kind: 'delivered' | 'read'; seq: number }> {
    const { store, events } = this.deps;
    const me = await requireMember(store, conversationId, userId);
    const conversation = await store.conversations.findOne(
      { _id: conversationId },
      { projection: { lastSeq: 1 } },
    );
    // A cursor cannot pass the last message that exists.
    const seq = Math.min(requestedSeq, conversation?.lastSeq ?? 0);
    const _id = memberKey(conversationId, userId);
    const now = new Date();
    if (kind === 'delivered') {
      await store.members.updateOne({ _id }, { $max: { [`devices.${deviceField(deviceId)}`]: seq } });
    }
    const field = kind === 'read' ? 'readSeq' : 'deliveredSeq';
    if (me[field] >= seq) return { kind, seq: me[field] };
    // Raised by `_id` alone, with $max, which never lowers a cursor: the dev store reads the
    // memberships one by one for a filter with anything beside `_id`, and a receipt comes with
    // nearly every message a client shows.
    const moved = await store.members.findOneAndUpdate(
      { _id },
      kind === 'read'
        ? { $max: { readSeq: seq, deliveredSeq: seq }, $set: { readAt: now } }
        : { $max: { deliveredSeq: seq }, $set: { deliveredAt: now } },
      { returnDocument: 'after' },
    );
    // Left the conversation meanwhile.
    if (!moved) return { kind, seq: 0 };
    await events.receipt({ conversationId, userId, kind, seq: moved[field] });
    if (kind === 'read') {
      await events.receipt({ conversationId, userId, kind: 'delivered', seq: moved.deliveredSeq });
    }
    return { kind, seq: moved[field] };
  }

  /** "Read by N of M, and who" for one message. */
  async summary(userId: string, messageId: string): Promise<ReceiptSummary> {
    const message = await this.deps.messages.requireVisible(userId, messageId);
    await requireMember(this.deps.store, message.conversationId, userId);
    const members = await this.deps.store.members
      .find({ conversationId: message.conversationId, userId: { $ne: message.senderId } })
      .toArray();
    // A cursor is only what its member did read, so a reader is one whichever way they joined.
    const others = members.filter((m) => m.readSeq >= message.seq || (m.joinSeq ?? 0) < message.seq);
    const readers = others.filter((m) => m.readSeq >= message.seq);
    const delivered = others.filter((m) => m.deliveredSeq >= message.seq);
    return {
      messageId,
      seq: message.seq,
      of: others.length,
      readCount: readers.length,
      readBy: readers.map((m) => ({ userId: m.userId, readAt: m.readAt?.toISOString() ?? null })),
      deliveredCount: delivered.length,
      deliveredTo: delivered.map((m) => m.userId),
    };
  }
}
