import t from 'tap';
import type { Conversation } from '../src/api/types';
import { MissingConversations } from '../src/chat/missing-conversations';
import { ChatStore } from '../src/chat/store';
import { messageIn } from './messages';

// A conversation that became active while the tab read the list's pages is in none of them; the
// events that arrive for it bring it into the store, with one fetch however many arrive.

const ID = 'c_000000000000000000000007';
const ME = 'u_me';

const conversation = (lastSeq: number, unreadCount: number): Conversation => ({
  id: ID,
  type: 'group',
  name: 'late',
  topic: null,
  avatarMediaId: null,
  lastSeq,
  lastActivity: new Date(lastSeq * 1000).toISOString(),
  lastMessage: { id: `m_${lastSeq}`, seq: lastSeq, senderId: 'u_ada', preview: `message ${lastSeq}` },
  unreadCount,
  me: { role: 'member', muted: false, archived: false, readSeq: 0, deliveredSeq: 0 },
});

const message = (seq: number) => messageIn(ID, seq);

/** A fetch the test answers when it chooses, counting the calls. */
function heldFetch() {
  const calls: string[] = [];
  let answer: (c: Conversation | null) => void = () => undefined;
  let fail: (err: Error) => void = () => undefined;
  const fetch = (id: string) => {
    calls.push(id);
    return new Promise<Conversation | null>((resolve, reject) => {
      answer = resolve;
      fail = reject;
    });
  };
  return { calls, fetch, answer: (c: Conversation | null) => answer(c), fail: (err: Error) => fail(err) };
}

t.test('messages for a conversation the store lacks fetch it once and land on it', async (t) => {
  const store = new ChatStore();
  const server = heldFetch();
  const missing = new MissingConversations(store, server.fetch);

  const first = missing.notice(ID, message(5), ME);
  const second = missing.notice(ID, message(6), ME);
  void missing.notice(ID, undefined, ME);
  t.same(server.calls, [ID], 'one fetch for three events');

  // The answer was read after message 5 and before message 6.
  server.answer(conversation(5, 1));
  t.equal((await first)?.id, ID, 'the first event put it in the store');
  t.equal(await second, null, 'the others waited on the same fetch');
  const held = store.state.conversations.get(ID);
  t.equal(held?.lastSeq, 6, 'message 6 is applied over the answer');
  t.equal(held?.lastMessage?.preview, 'message 6');
  t.equal(held?.unreadCount, 2, 'and counted unread once');

  await missing.notice(ID, message(7), ME);
  t.same(server.calls, [ID], 'a conversation the store holds is not fetched again');
});

t.test('a fetch that failed or found nothing lets a later event try again', async (t) => {
  const store = new ChatStore();
  const server = heldFetch();
  const missing = new MissingConversations(store, server.fetch);

  const failed = missing.notice(ID, message(1), ME);
  server.fail(new Error('offline'));
  await t.rejects(failed);
  const gone = missing.notice(ID, message(2), ME);
  server.answer(null);
  t.equal(await gone, null);
  t.notOk(store.state.conversations.has(ID), 'nothing is put for a conversation the user cannot see');

  const found = missing.notice(ID, message(3), ME);
  server.answer(conversation(3, 1));
  await found;
  t.same(server.calls, [ID, ID, ID]);
  t.equal(store.state.conversations.get(ID)?.lastSeq, 3);
});
