import t from 'tap';
import type { Conversation } from '../src/api/types';
import { ChatStore } from '../src/chat/store';
import { messageIn } from './messages';

const ID = 'c_000000000000000000000001';
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();

/** The conversation as the server gives it after `lastSeq` messages and `version` changes. */
const copy = (
  lastSeq: number,
  version: number,
  more: Omit<Partial<Conversation>, 'me'> & { me?: Partial<Conversation['me']> } = {},
): Conversation => ({
  id: ID,
  type: 'group',
  name: `name v${version}`,
  topic: `topic v${version}`,
  avatarMediaId: null,
  lastSeq,
  lastActivity: at(lastSeq),
  lastMessage: lastSeq
    ? { id: `m_${lastSeq}`, seq: lastSeq, senderId: 'u_bob', preview: `message ${lastSeq}` }
    : null,
  unreadCount: lastSeq - (more.me?.readSeq ?? 0),
  version,
  ...more,
  me: { role: 'member', muted: false, archived: false, readSeq: 0, deliveredSeq: 0, ...more.me },
});

const live = (seq: number) => messageIn(ID, seq, { senderId: 'u_bob', createdAt: at(seq) });

const held = (store: ChatStore) => store.state.conversations.get(ID);

t.test('a page read before a live message does not take the message back', async (t) => {
  const store = new ChatStore();
  store.setConversations([copy(4, 1)]);
  store.receiveMessage(live(5), 'u_ada', false);
  store.setConversations([copy(4, 1)]);
  t.match(held(store), {
    lastSeq: 5,
    lastActivity: at(5),
    lastMessage: { seq: 5, preview: 'message 5' },
    unreadCount: 5,
  });
});

t.test('a page read before a rename does not bring the old name back', async (t) => {
  const store = new ChatStore();
  store.setConversations([copy(4, 2)]);
  store.setConversations([copy(6, 1)]);
  t.match(held(store), { name: 'name v2', topic: 'topic v2', version: 2 }, 'the newer name stays');
  t.match(held(store), { lastSeq: 6, lastMessage: { seq: 6 } }, 'while the newer message is taken');
});

t.test('a page read before the caller read on does not make messages unread again', async (t) => {
  const store = new ChatStore();
  store.setConversations([copy(5, 1, { me: { readSeq: 5, deliveredSeq: 5 } })]);
  store.setConversations([copy(5, 1, { me: { readSeq: 2, deliveredSeq: 3 } })]);
  t.match(held(store), { unreadCount: 0, me: { readSeq: 5, deliveredSeq: 5 } });
});

t.test('each copy counts for what it knows newer: messages from one, reading from the other', async (t) => {
  const store = new ChatStore();
  store.setConversations([copy(4, 1, { me: { readSeq: 1 } })]);
  store.receiveMessage(live(5), 'u_ada', false);
  // Read to 4 on another device, answered before the fifth message.
  store.setConversations([copy(4, 1, { me: { readSeq: 4 } })]);
  t.match(held(store), { lastSeq: 5, unreadCount: 1, me: { readSeq: 4 } });
});

t.test('a newer copy replaces the held one in full', async (t) => {
  const store = new ChatStore();
  store.setConversations([copy(4, 1, { me: { readSeq: 1 } })]);
  const newer = copy(7, 3, { me: { readSeq: 6, muted: true } });
  store.setConversations([newer]);
  t.same(held(store), newer);
});

t.test('a conversation the server lost messages of takes its lower number again', async (t) => {
  const store = new ChatStore();
  store.setConversations([copy(4, 1, { me: { readSeq: 4, deliveredSeq: 4 } })]);
  store.receiveMessage(live(5), 'u_ada', true);
  store.dropAfter(ID, 4);
  store.setConversations([copy(4, 1, { me: { readSeq: 4, deliveredSeq: 4 } })]);
  t.match(held(store), { lastSeq: 4, lastMessage: { seq: 4 }, unreadCount: 0 });
});

t.test('a copy with no version is taken as the server gave it', async (t) => {
  const store = new ChatStore();
  store.setConversations([copy(4, 2)]);
  const { version: _, ...unversioned } = copy(4, 1);
  store.setConversations([unversioned]);
  t.match(held(store), { name: 'name v1', version: 2 });
});

t.test('members the list leaves out are kept', async (t) => {
  const store = new ChatStore();
  const members = [{ userId: 'u_ada', role: 'member' as const }];
  store.setConversations([copy(4, 1, { members })]);
  store.setConversations([copy(5, 1)]);
  t.same(held(store)?.members, members);
});
