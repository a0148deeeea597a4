import { MongoServerError } from 'mongodb';
import type { ChatStore, MessageDoc } from '../store';

/** How often a send retries after losing the race for a sequence number before it gives up. */
const MAX_ATTEMPTS = 200;

export type NewMessage = Omit<MessageDoc, 'seq'>;

export class SequenceContentionError extends Error {
  constructor(conversationId: string) {
    super(`could not allocate a sequence number in ${conversationId}`);
    this.name = 'SequenceContentionError';
  }
}

/**
 * One instance's sends to a conversation take turns, so they do not race each other for the
 * same number; races between instances are settled by the unique index below.
 */
const turns = new Map<string, Promise<unknown>>();

function inTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = turns.get(key) ?? Promise.resolve();
  const run = previous.then(work, work);
  const settled = run.catch(() => undefined);
  turns.set(key, settled);
  void settled.then(() => {
    if (turns.get(key) === settled) turns.delete(key);
  });
  return run;
}

/** FerretDB on SQLite reports a write that met a lock as an internal error; it is worth a retry. */
function isBusy(err: unknown): boolean {
  return err instanceof MongoServerError && /SQLITE_BUSY|database is locked/.test(err.message);
}

/**
 * Stores a message with the next sequence number of its conversation, or finds the message an
 * earlier send with the same client message id stored.
 *
 * There are no transactions: the number is (highest stored) + 1, and the unique index on
 * (conversationId, seq) lets exactly one concurrent insert have it; the losers read again and
 * retry. A number therefore exists only once its insert succeeded, so numbers have no gaps,
 * whichever instance of the service inserts. The unique index on (conversationId,
 * clientMessageId) turns a retried send into a lookup of the first.
 */
export function insertWithNextSeq(
  store: ChatStore,
  message: NewMessage,
): Promise<{ doc: MessageDoc; duplicate: boolean }> {
  return inTurn(message.conversationId, () => allocate(store, message));
}

/** One allocation without taking turns: what two instances of the service do against each other. */
export async function allocate(
  store: ChatStore,
  message: NewMessage,
): Promise<{ doc: MessageDoc; duplicate: boolean }> {
  const { conversationId, clientMessageId } = message;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const existing = await store.messages.findOne({ conversationId, clientMessageId });
    if (existing) return { doc: existing, duplicate: true };
    const top = await store.messages
      .find({ conversationId }, { projection: { seq: 1 } })
      .sort({ seq: -1 })
      .limit(1)
      .next();
    const doc: MessageDoc = { ...message, seq: (top?.seq ?? 0) + 1 };
    try {
      await store.messages.insertOne(doc);
      return { doc, duplicate: false };
    } catch (err) {
      const duplicate = err instanceof MongoServerError && err.code === 11000;
      if (!duplicate && !isBusy(err)) throw err;
      // Lost the race for this number to another instance, or a concurrent retry stored the same
      // client message id: the next round finds out which. Losers spread out a little.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 5 + 2 * attempt)));
    }
  }
  throw new SequenceContentionError(conversationId);
}
