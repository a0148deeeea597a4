import t from 'tap';
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
