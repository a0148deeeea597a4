import { MongoServerError } from 'mongodb';
import { messageIdFor } from '../ids';
import type { ChatStore, MessageDoc } from '../store';

/** How often a send retries after losing the race for a sequence number before it gives up. */
const MAX_ATTEMPTS = 1_000;

export type NewMessage = Omit<MessageDoc, '_id' | 'seq'>;

export class SequenceContentionError extends Error {
  constructor(conversationId: string) {
    super(`could not allocate a sequence number in ${conversationId}`);
    this.name = 'SequenceContentionError';
  }
}

/**
 * One instance's sends to a conversation take turns, so they do not race each other for the
 * same number; races between instances are settled by the database below.
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

function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

/**
 * Stores a message with the next sequence number of its conversation, or finds the message an
 * earlier send with the same client message id stored.
 *
 * There are no transactions. The message's `_id` is made of its conversation and number, so
 * exactly one insert can hold a number; a loser tries the next one. A number therefore exists
 * only once its insert succeeded: no gaps, no repeats, whichever instance of the service inserts.
 * The unique index on (conversationId, clientMessageId) refuses a retried send, which then finds
 * the first. The search starts at the conversation's `lastSeq`, which may lag behind (it is raised
 * after the insert), never run ahead.
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
  const conversation = await store.conversations.findOne(
    { _id: conversationId },
    { projection: { lastSeq: 1 } },
  );
  let seq = (conversation?.lastSeq ?? 0) + 1;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const doc: MessageDoc = { ...message, _id: messageIdFor(conversationId, seq), seq };
    try {
      await store.messages.insertOne(doc);
      // Raised at once, so the next search (of any instance) starts here.
      await store.conversations.updateOne({ _id: conversationId }, { $max: { lastSeq: seq } });
      return { doc, duplicate: false };
    } catch (err) {
      if (isBusy(err)) {
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
        continue;
      }
      if (!isDuplicateKey(err)) throw err;
    }
    // Either the number is taken, or this client message id is stored already.
    const holder = await store.messages.findOne({ _id: doc._id });
    if (holder?.clientMessageId === clientMessageId) return { doc: holder, duplicate: true };
    if (holder) {
      seq += 1;
      continue;
    }
    const first = await store.messages.findOne({ conversationId, clientMessageId });
    if (first) return { doc: first, duplicate: true };
    // The number was free and the id unused: another write got in between; look again.
  }
  throw new SequenceContentionError(conversationId);
}
