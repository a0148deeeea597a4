import t from 'tap';
import { chatMemberEvent } from '../src/chat-events';

t.test('a member event parses with and without the join time', async (t) => {
  const change = { conversationId: 'c_1', userId: 'u_bob', actorId: 'u_alice', role: 'member' };
  t.same(
    chatMemberEvent.parse({ ...change, joinedAt: '2025-03-01T10:00:00.000Z' }).joinedAt,
    '2025-03-01T10:00:00.000Z',
  );
  t.equal(chatMemberEvent.parse(change).joinedAt, undefined, 'as older chat instances publish it');
  t.throws(() => chatMemberEvent.parse({ ...change, joinedAt: 'yesterday' }));
});

t.test('a member event parses with and without the join number', async (t) => {
  const change = { conversationId: 'c_1', userId: 'u_bob', actorId: 'u_alice', role: 'member' };
  t.equal(chatMemberEvent.parse({ ...change, joinSeq: 7 }).joinSeq, 7);
  t.equal(chatMemberEvent.parse({ ...change, joinSeq: 0 }).joinSeq, 0, 'a founding member');
  t.equal(chatMemberEvent.parse(change).joinSeq, undefined, 'as older chat instances publish it');
  t.throws(() => chatMemberEvent.parse({ ...change, joinSeq: -1 }));
  t.throws(() => chatMemberEvent.parse({ ...change, joinSeq: 1.5 }));
});
