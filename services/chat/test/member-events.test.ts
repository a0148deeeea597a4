import { Topics, chatMemberEvent } from '@parley/contracts';
import t from 'tap';
import { sidecarEvents } from '../src/events';

t.test('a member event carries when the membership began, and its join number', async (t) => {
  const published: { topic: string; data: object; eventId: string }[] = [];
  const events = sidecarEvents({
    publish: async (topic, data, eventId) => {
      published.push({ topic, data, eventId });
    },
  });
  const joinedAt = new Date('2025-03-01T10:00:00.000Z');
  const change = {
    conversationId: 'c_1',
    userId: 'u_bob',
    actorId: 'u_alice',
    role: 'member' as const,
    joinSeq: 4,
  };

  await events.member('added', change, joinedAt);
  await events.member('removed', change, joinedAt);

  t.same(
    published.map((p) => p.topic),
    [Topics.chatMemberAdded, Topics.chatMemberRemoved],
  );
  for (const { data } of published) {
    t.same(chatMemberEvent.parse(data), { ...change, joinedAt: '2025-03-01T10:00:00.000Z' });
  }
  t.equal(
    published[0]!.eventId,
    `member-added:c_1:u_bob:${joinedAt.getTime()}`,
    'the event id is still derived from the membership alone',
  );
});
