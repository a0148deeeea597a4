import { messageIdFor } from '@parley/contracts';
import { isDuplicateKey } from '@parley/service-kit';
import { MongoServerError } from 'mongodb';
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
  signal?: AbortSignal,
  confirm?: Confirm,
): Promise<StoredSend> {
  const { conversationId } = message;
  return inTurn(conversationId, async () => {
    // A send whose caller gave up while it waited for its turn is skipped: the caller resends,
    // and under a backlog the abandoned copies would otherwise double the work.
    signal?.throwIfAborted();
    // A resend this instance stored before is found by its `_id`, without the lookup by client
    // message id (which the dev store answers by scanning every message).
    const earlier = await storedBefore(store, message);
    if (earlier) {
      await confirm?.();
      return { ...earlier, duplicate: true };
    }
    // This instance's own last number is a good first guess: no read before the insert. The caller
    // raises the conversation's lastSeq together with its preview.
    const result = await allocate(store, message, {
      lastKnown: lastAllocated.get(conversationId),
      raise: false,
    });
    if (confirm) await confirmed(store, result, confirm);
    if (!result.duplicate) remember(conversationId, result.doc.seq);
    rememberSend(result.doc);
    return { ...result, settled: false };
  });
}

/**
 * A check a send makes again once its message is stored, for what may have changed since its
 * checks before the insert. It throws to refuse the send.
 */
export type Confirm = () => Promise<void>;

/**
 * Runs `confirm` after the insert and, when it refuses, withdraws the message this send stored.
 * Still in the send's turn, so the number freed is the one the instance's next send takes, and a
 * later send of this instance confirms after this one: none of them keeps a number above one
 * withdrawn. A message found stored by an earlier send is that send's to withdraw or keep.
 */
async function confirmed(
  store: ChatStore,
  result: { doc: MessageDoc; duplicate: boolean },
  confirm: Confirm,
): Promise<void> {
  try {
    await confirm();
  } catch (err) {
    if (!result.duplicate) await store.messages.deleteOne({ _id: result.doc._id });
    throw err;
  }
}

export interface StoredSend {
  doc: MessageDoc;
  duplicate: boolean;
  /** This instance finished the message's send before (its writes and event went out). */
  settled: boolean;
}

/** The send of this message finished here: a resend need not repeat its writes and event. */
export function markSettled(doc: MessageDoc): void {
  const key = sendKey(doc.conversationId, doc.clientMessageId);
  if (recentSends.get(key)?.id === doc._id) recentSends.set(key, { id: doc._id, settled: true });
}

/** The `_id` of recent messages this instance stored or found, by conversation and client id. */
const recentSends = new Map<string, { id: string; settled: boolean }>();
const REMEMBERED_SENDS = 20_000;

const sendKey = (conversationId: string, clientMessageId: string) =>
  `${conversationId}\u0000${clientMessageId}`;

function rememberSend(doc: MessageDoc): void {
  const key = sendKey(doc.conversationId, doc.clientMessageId);
  const known = recentSends.get(key);
  recentSends.delete(key);
  recentSends.set(key, { id: doc._id, settled: known?.id === doc._id && known.settled });
  if (recentSends.size > REMEMBERED_SENDS) recentSends.delete(recentSends.keys().next().value as string);
}

async function storedBefore(
  store: ChatStore,
  message: NewMessage,
): Promise<{ doc: MessageDoc; settled: boolean } | null> {
  const known = recentSends.get(sendKey(message.conversationId, message.clientMessageId));
  if (known === undefined) return null;
  const doc = await store.messages.findOne({ _id: known.id });
  // Checked again: the memory is a hint, the stored message is the answer.
  return doc?.clientMessageId === message.clientMessageId && doc.conversationId === message.conversationId
    ? { doc, settled: known.settled }
    : null;
}

/** How far back from the newest number a resend is looked for by `_id`, and how many at once. */
const RECALL_DEPTH = 256;
const RECALL_CHUNK = 32;

/**
 * The message stored under this client message id, numbered below `below`. A resend is nearly
 * always of a recent message, so the newest messages are read first by `_id` (the one lookup the
 * dev store answers without a scan), and each one read is remembered: after a restart, the first
 * resend to a conversation pays for the walk and the resends after it find theirs in memory.
 * Beyond the walk, the lookup on (conversationId, clientMessageId) answers.
 */
async function findByClientId(
  store: ChatStore,
  conversationId: string,
  clientMessageId: string,
  below: number,
): Promise<MessageDoc | null> {
  const floor = Math.max(1, below - RECALL_DEPTH);
  for (let top = below - 1; top >= floor; top -= RECALL_CHUNK) {
    const ids: string[] = [];
    for (let seq = top; seq > top - RECALL_CHUNK && seq >= floor; seq--) {
      ids.push(messageIdFor(conversationId, seq));
    }
    const docs = await Promise.all(ids.map((_id) => store.messages.findOne({ _id })));
    let found: MessageDoc | null = null;
    for (const doc of docs) {
      if (!doc) continue;
      rememberSend(doc);
      if (doc.clientMessageId === clientMessageId) found = doc;
    }
    if (found) return found;
  }
  return store.messages.findOne({ conversationId, clientMessageId });
}

/** The last number this instance allocated per conversation, for the most recently used ones. */
const lastAllocated = new Map<string, number>();
const REMEMBERED_CONVERSATIONS = 10_000;

function remember(conversationId: string, seq: number): void {
  lastAllocated.delete(conversationId);
  lastAllocated.set(conversationId, seq);
  if (lastAllocated.size > REMEMBERED_CONVERSATIONS) {
    lastAllocated.delete(lastAllocated.keys().next().value as string);
  }
}

/**
 * One allocation without taking turns: what two instances of the service do against each other.
 * It starts after `lastKnown` or, without it, after the conversation's lastSeq, and with `raise`
 * raises lastSeq itself once the insert succeeded.
 */
export async function allocate(
  store: ChatStore,
  message: NewMessage,
  options: { lastKnown?: number | undefined; raise?: boolean } = {},
): Promise<{ doc: MessageDoc; duplicate: boolean }> {
  const { conversationId, clientMessageId } = message;
  const readLastSeq = async () =>
    (await store.conversations.findOne({ _id: conversationId }, { projection: { lastSeq: 1 } }))?.lastSeq ??
    0;
  let seq = (options.lastKnown ?? (await readLastSeq())) + 1;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const doc: MessageDoc = { ...message, _id: messageIdFor(conversationId, seq), seq };
    try {
      await store.sendWrites.messages.insertOne(doc);
      if (options.raise ?? true) {
        // Raised at once, so the next search (of any instance) starts here.
        await store.conversations.updateOne({ _id: conversationId }, { $max: { lastSeq: seq } });
      }
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
      // Another instance got ahead: skip to what the conversation says, or at least one on.
      seq = Math.max(seq + 1, (await readLastSeq()) + 1);
      continue;
    }
    const first = await findByClientId(store, conversationId, clientMessageId, seq);
    if (first) return { doc: first, duplicate: true };
    // The number was free and the id unused: another write got in between; look again.
  }
  throw new SequenceContentionError(conversationId);
}
