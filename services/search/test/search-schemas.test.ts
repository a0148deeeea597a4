import t from 'tap';
import { messageSearchQuery, peopleSearchQuery } from '../src/messages/search-schemas';

t.test('a message search range ends no earlier than it starts', async (t) => {
  const from = '2026-12-05T10:00:00Z';
  t.ok(messageSearchQuery.safeParse({ from, to: '2026-12-05T11:00:00+01:00' }).success, 'the same instant');
  t.ok(messageSearchQuery.safeParse({ from }).success, 'open-ended');
  const reversed = messageSearchQuery.safeParse({ from, to: '2026-12-04T10:00:00Z' });
  t.notOk(reversed.success);
  t.same(
    reversed.error?.issues.map((i) => i.path),
    [['to']],
  );
});

t.test('a people query is one line of text', async (t) => {
  t.same(peopleSearchQuery.parse({ q: ' ada@example.test ' }), { q: 'ada@example.test', limit: 20 });
  t.notOk(peopleSearchQuery.safeParse({ q: 'ab\u0000' }).success, 'a NUL (the store refuses it)');
  t.notOk(peopleSearchQuery.safeParse({ q: 'a\nb' }).success, 'a line break');
  t.notOk(peopleSearchQuery.safeParse({ q: ['a', 'b'] }).success, 'a repeated parameter');
});

t.test('a message search refuses malformed conversation and sender ids', async (t) => {
  const conversation = `c_${'ab'.repeat(12)}`;
  const sender = '3f2b8c1e-6d4a-4f5b-9c7e-2a1d0e9f8b7c';
  t.match(messageSearchQuery.parse({ conversationId: conversation, senderId: [sender, sender] }), {
    conversationId: [conversation],
    senderId: [sender, sender],
  });
  for (const [what, query] of [
    ['a malformed sender', { senderId: 'x' }],
    ['a malformed sender among good ones', { senderId: [sender, 'u_alice'] }],
    ['a malformed conversation', { conversationId: 'x' }],
    ['a conversation id in capitals', { conversationId: conversation.toUpperCase() }],
  ] as const) {
    const parsed = messageSearchQuery.safeParse(query);
    t.notOk(parsed.success, what);
    t.same(
      parsed.error?.issues.map((i) => i.path[0]),
      [Object.keys(query)[0]],
      `${what}: the parameter is named`,
    );
  }
});
