import t from 'tap';
import type { Conversation } from '../src/api/types';
import { ChatStore } from '../src/chat/store';
import { messageIn } from './messages';

const CONVERSATION = 'c_000000000000000000000001';

const message = (seq: number, text = `message ${seq}`) =>
  messageIn(CONVERSATION, seq, {
    id: `m_${CONVERSATION}_${seq}`,
    clientMessageId: `client-${text}`,
    text,
    createdAt: new Date(0).toISOString(),
  });

const texts = (store: ChatStore) => (store.state.messages.get(CONVERSATION) ?? []).map((m) => m.text);

t.test('copies above what the server has go, so new messages numbered like them show', async (t) => {
  const store = new ChatStore();
  store.mergeMessages(
    CONVERSATION,
    [1, 2, 3, 4, 5].map((seq) => message(seq)),
  );
  store.dropAfter(CONVERSATION, 3);
  t.same(texts(store), ['message 1', 'message 2', 'message 3']);
  store.mergeMessages(CONVERSATION, [message(4, 'new four')]);
  t.same(texts(store), ['message 1', 'message 2', 'message 3', 'new four'], 'not taken for the lost one');
});

t.test('nothing changes when the server has all the tab holds', async (t) => {
  const store = new ChatStore();
  store.mergeMessages(
    CONVERSATION,
    [1, 2].map((seq) => message(seq)),
  );
  const before = store.state.messages;
  store.dropAfter(CONVERSATION, 2);
  store.dropAfter('c_000000000000000000000002', 0);
  t.equal(store.state.messages, before, 'the same state, so nothing renders again');
});

const group = (lastSeq: number, readSeq: number, unreadCount: number): Conversation => ({
  id: CONVERSATION,
  type: 'group',
  name: 'group',
  topic: null,
  avatarMediaId: null,
  lastSeq,
  lastActivity: new Date(lastSeq * 1000).toISOString(),
  lastMessage: null,
  unreadCount,
  me: { role: 'member', muted: false, archived: false, readSeq, deliveredSeq: readSeq },
});

t.test('a read on another device of the same user lowers the unread count here', async (t) => {
  const store = new ChatStore();
  store.setConversations([group(10, 4, 6)]);
  store.setCursor('read', CONVERSATION, 'u_me', 8, 'u_me');
  const held = store.state.conversations.get(CONVERSATION);
  t.equal(held?.me.readSeq, 8);
  t.equal(held?.unreadCount, 2, 'what came after the new cursor');
  t.equal(store.state.readCursors.get(CONVERSATION)?.get('u_me'), 8);
});

t.test('an older cursor of the same user neither lowers the read number nor raises the count', async (t) => {
  const store = new ChatStore();
  store.setConversations([group(10, 8, 2)]);
  store.setCursor('read', CONVERSATION, 'u_me', 5, 'u_me');
  store.setCursor('delivered', CONVERSATION, 'u_me', 10, 'u_me');
  const held = store.state.conversations.get(CONVERSATION);
  t.equal(held?.me.readSeq, 8);
  t.equal(held?.me.deliveredSeq, 10, 'delivered moves on its own');
  t.equal(held?.unreadCount, 2);
});

t.test("another member's read leaves the caller's unread count alone", async (t) => {
  const store = new ChatStore();
  store.setConversations([group(10, 4, 6)]);
  store.setCursor('read', CONVERSATION, 'u_ada', 10, 'u_me');
  const held = store.state.conversations.get(CONVERSATION);
  t.equal(held?.me.readSeq, 4);
  t.equal(held?.unreadCount, 6);
});
