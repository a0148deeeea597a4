import type { Conversation } from '../api/types';

/** One page of `GET /conversations`. */
export interface ConversationPage {
  items: Conversation[];
  /** The `before` of the next page; null on the last one. */
  nextBefore: string | null;
}

/** The list is read in pages this large, the most the API gives. */
export const CONVERSATION_PAGE = 100;

/** Pages read at most in one load, so a server that never ends the list cannot keep a tab busy. */
export const MOST_CONVERSATION_PAGES = 100;

/**
 * Every page of the caller's conversation list, in order, each yielded as it arrives so the list
 * shows before the rest is read. Follows `nextBefore` until a page ends the list; a cursor the
 * server answered before ends it too, as reading it again would give the same page forever.
 */
export async function* conversationPages(
  readPage: (before: string | null) => Promise<ConversationPage>,
): AsyncGenerator<Conversation[]> {
  const seen = new Set<string>();
  let before: string | null = null;
  for (let pages = 0; pages < MOST_CONVERSATION_PAGES; pages++) {
    const page: ConversationPage = await readPage(before);
    yield page.items;
    if (!page.nextBefore || seen.has(page.nextBefore)) return;
    seen.add(page.nextBefore);
    before = page.nextBefore;
  }
}
