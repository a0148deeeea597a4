import t from 'tap';
import type { Conversation } from '../src/api/types';
import {
  type ConversationPage,
  MOST_CONVERSATION_PAGES,
  conversationPages,
} from '../src/chat/conversation-pages';

const conversation = (n: number): Conversation => ({
  id: `c_${String(n).padStart(24, '0')}`,
  type: 'group',
  name: `group ${n}`,
  topic: null,
  avatarMediaId: null,
  lastSeq: 0,
  lastActivity: new Date(0).toISOString(),
  lastMessage: null,
  me: { role: 'member', muted: false, archived: false, readSeq: 0, deliveredSeq: 0 },
});

/** A server holding `count` conversations, answering pages of `size` by a cursor it made. */
function server(count: number, size: number) {
  const all = Array.from({ length: count }, (_, i) => conversation(i));
  const asked: (string | null)[] = [];
  const readPage = async (before: string | null): Promise<ConversationPage> => {
    asked.push(before);
    const start = before === null ? 0 : Number(before.split('~')[1]);
    const items = all.slice(start, start + size);
    const end = start + items.length;
    return { items, nextBefore: end < all.length ? `t~${end}` : null };
  };
  return { all, asked, readPage };
}

async function collect(pages: AsyncGenerator<Conversation[]>): Promise<Conversation[][]> {
  const got: Conversation[][] = [];
  for await (const items of pages) got.push(items);
  return got;
}

t.test('every page is read, each from the cursor of the one before', async (t) => {
  const { all, asked, readPage } = server(250, 100);
  const pages = await collect(conversationPages(readPage));
  t.same(
    pages.map((p) => p.length),
    [100, 100, 50],
  );
  t.same(pages.flat(), all, 'all conversations, in the order of the list');
  t.same(asked, [null, 't~100', 't~200']);
});

t.test('one page when the list fits in it', async (t) => {
  const { asked, readPage } = server(3, 100);
  t.same((await collect(conversationPages(readPage))).flat().length, 3);
  t.same(asked, [null]);
});

t.test('a cursor answered again ends the reading instead of looping', async (t) => {
  let calls = 0;
  const stuck = async (): Promise<ConversationPage> => {
    calls++;
    return { items: [conversation(calls)], nextBefore: 'same' };
  };
  await collect(conversationPages(stuck));
  t.equal(calls, 2);
});

t.test('a list that never ends stops at the most pages', async (t) => {
  let calls = 0;
  const endless = async (): Promise<ConversationPage> => {
    calls++;
    return { items: [conversation(calls)], nextBefore: `t~${calls}` };
  };
  await collect(conversationPages(endless));
  t.equal(calls, MOST_CONVERSATION_PAGES);
});
