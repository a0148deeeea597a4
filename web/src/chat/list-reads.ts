import type { Conversation } from '../api/types';
import { type ConversationPage, conversationPages } from './conversation-pages';
import type { ChatStore } from './store';

/** One full read of the list; `wanted` turns false once a newer read has started. */
export type ListRead = (wanted: () => boolean) => Promise<void>;

/**
 * Reads of the conversation list, the newest one counting. A read asked for while another runs
 * starts at once from the first page (the one running may have read pages before something the
 * caller now knows of, a socket joining its rooms, say); the older read stops after the page it
 * has asked for, and its callers wait for the newest read instead, so every caller's wait ends
 * with a list read wholly after it asked.
 */
export class ListReads {
  private generation = 0;
  private newest: Promise<void> = Promise.resolve();

  constructor(private readonly readAll: ListRead) {}

  read(): Promise<void> {
    const generation = ++this.generation;
    const current = () => generation === this.generation;
    const done = this.readAll(current).then(
      () => (current() ? undefined : this.newest),
      (err: unknown) => {
        if (current()) throw err;
        return this.newest;
      },
    );
    this.newest = done;
    return done;
  }
}

/**
 * Every page of the list into the store, each merged as it arrives (an older copy cannot undo a
 * live event applied meanwhile). Stops after a page once the read is no longer wanted; gives the
 * conversations listed when it read to the end, null when it stopped.
 */
export async function readListInto(
  store: ChatStore,
  readPage: (before: string | null) => Promise<ConversationPage>,
  wanted: () => boolean,
): Promise<Conversation[] | null> {
  const listed: Conversation[] = [];
  for await (const items of conversationPages(readPage)) {
    store.setConversations(items);
    if (!wanted()) return null;
    listed.push(...items);
  }
  return listed;
}
