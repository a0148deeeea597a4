import type { NotificationChannel } from '@parley/contracts';
import { BatchedWrites } from '@parley/service-kit';
import type { Collection, Db } from 'mongodb';

/** Counters of one day. Ids and numbers only: no message text, no names, no addresses. */
export interface DayDoc {
  _id: string;
  newConversations: number;
  mediaUploaded: number;
  mediaBytes: number;
  notifications: Partial<Record<NotificationChannel, { delivered: number; failed: number }>>;
}

interface ConversationDayDoc {
  _id: string;
  day: string;
  conversationId: string;
  messages: number;
}

interface ActiveUserDoc {
  _id: string;
  day: string;
  userId: string;
}

/** A message's identity and send time, kept to measure how long it took to be delivered and read. */
interface SentDoc {
  _id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  sentAt: Date;
}

/** Up to which sequence number a member's delivery or read cursor has been measured. */
interface CursorDoc {
  _id: string;
  seq: number;
}

interface LatencyDoc {
  day: string;
  kind: 'delivered' | 'read';
  ms: number;
}

interface ProcessedDoc {
  _id: string;
  at: Date;
}

/** The analytics collections and the indexes their queries need. */
export class FigureStore {
  readonly days: Collection<DayDoc>;
  readonly conversationDays: Collection<ConversationDayDoc>;
  readonly activeUsers: Collection<ActiveUserDoc>;
  readonly conversations: Collection<{ _id: string; firstDay: string }>;
  readonly sent: Collection<SentDoc>;
  readonly cursors: Collection<CursorDoc>;
  readonly latencies: Collection<LatencyDoc>;
  readonly processed: Collection<ProcessedDoc>;
  /**
   * The writes made for every message and most events, gathered into one command per batch while
   * the service is busy: every event of the platform lands here.
   */
  readonly batched: {
    sent: BatchedWrites<SentDoc>;
    conversationDays: BatchedWrites<ConversationDayDoc>;
    activeUsers: BatchedWrites<ActiveUserDoc>;
    processed: BatchedWrites<ProcessedDoc>;
  };

  constructor(private readonly db: Db) {
    this.days = db.collection('days');
    this.conversationDays = db.collection('conversation_days');
    this.activeUsers = db.collection('active_users');
    this.conversations = db.collection('conversations');
    this.sent = db.collection('sent_messages');
    this.cursors = db.collection('cursors');
    this.latencies = db.collection('latencies');
    this.processed = db.collection('processed_events');
    this.batched = {
      sent: new BatchedWrites(this.sent),
      conversationDays: new BatchedWrites(this.conversationDays),
      activeUsers: new BatchedWrites(this.activeUsers),
      processed: new BatchedWrites(this.processed),
    };
  }

  async init(): Promise<void> {
    // Created up front: concurrent first writes to a missing collection can fail on some servers
    // (FerretDB on SQLite), which would send the first events of a day back for redelivery.
    const existing = new Set(
      (await this.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name),
    );
    for (const collection of [
      this.days,
      this.conversationDays,
      this.activeUsers,
      this.conversations,
      this.sent,
      this.cursors,
      this.latencies,
      this.processed,
    ]) {
      if (!existing.has(collection.collectionName)) {
        await this.db.createCollection(collection.collectionName).catch((err: unknown) => {
          if ((err as { codeName?: string }).codeName !== 'NamespaceExists') throw err;
        });
      }
    }
    await this.conversationDays.createIndex({ day: 1 });
    await this.activeUsers.createIndex({ day: 1 });
    await this.sent.createIndex({ conversationId: 1, seq: 1 });
    await this.latencies.createIndex({ day: 1, kind: 1 });
  }
}
