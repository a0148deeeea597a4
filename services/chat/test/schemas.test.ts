import t from 'tap';
import { createConversationBody, updateConversationBody } from '../src/conversations/schemas';
import { MAX_TEXT_LENGTH, historyQuery, sendMessageBody } from '../src/messages/schemas';

const ok = { clientMessageId: '0f8b7c1e-3d2a-4c5b-9e6f-1a2b3c4d5e6f', text: 'hello' };
const MEDIA = 'md_0123456789abcdef01234567';

t.test('a plain message is accepted, text kept as written', async (t) => {
  const text = '<script>alert(1)</script> & “quotes”';
  t.same(sendMessageBody.parse({ ...ok, text }).text, text);
});

t.test('hostile message bodies are refused', async (t) => {
  const cases: [string, unknown][] = [
    ['an object as text', { ...ok, text: { $gt: '' } }],
    ['an array as text', { ...ok, text: ['a'] }],
    ['text over the limit', { ...ok, text: 'x'.repeat(MAX_TEXT_LENGTH + 1) }],
    ['an unknown field', { ...ok, senderId: 'someone-else' }],
    ['an operator as client id', { ...ok, clientMessageId: { $ne: null } }],
    ['a short client id', { ...ok, clientMessageId: 'abc' }],
    ['blank text without attachments', { ...ok, text: '   ' }],
    ['zero-width text only', { ...ok, text: '\u200b\u2060 \ufeff' }],
    ['a lone surrogate', { ...ok, text: 'a\ud800b' }],
    ['a lone low surrogate', { ...ok, text: '\udc00' }],
    ['a NUL', { ...ok, text: 'a\u0000b' }],
    ['an escape character', { ...ok, text: 'a\u001b[31mred' }],
    ['a malformed reply id', { ...ok, replyToId: 'm_nothex' }],
    ['an attachment with extra fields', { ...ok, attachments: [{ mediaId: 'x', url: 'http://a' }] }],
    ['the same media twice', { ...ok, attachments: [{ mediaId: MEDIA }, { mediaId: MEDIA }] }],
  ];
  for (const [what, body] of cases) t.notOk(sendMessageBody.safeParse(body).success, what);
  t.ok(sendMessageBody.safeParse({ ...ok, text: 'x'.repeat(MAX_TEXT_LENGTH) }).success, 'the limit itself');
  t.ok(sendMessageBody.safeParse({ ...ok, attachments: [{ mediaId: MEDIA }] }).success, 'one media');
  t.ok(sendMessageBody.safeParse({ ...ok, text: 'a 👍🏽 b' }).success, 'paired surrogates are characters');
  t.ok(
    sendMessageBody.safeParse({ ...ok, text: 'line\r\n\tindented' }).success,
    'tabs and newlines are text',
  );
});

t.test('history takes at most one of before, after and around', async (t) => {
  t.ok(historyQuery.safeParse({ after: '5' }).success);
  t.notOk(historyQuery.safeParse({ after: '5', before: '9' }).success);
  t.notOk(historyQuery.safeParse({ limit: '1000' }).success);
});

t.test('a direct conversation names exactly one other user', async (t) => {
  t.ok(createConversationBody.safeParse({ type: 'direct', userId: 'u-1' }).success);
  t.notOk(createConversationBody.safeParse({ type: 'direct', userId: 'u-1', name: 'x' }).success);
  t.notOk(createConversationBody.safeParse({ type: 'group', name: '', memberIds: [] }).success);
});

t.test('a group name with no visible character is refused', async (t) => {
  for (const name of ['\u200B', '\u200C\u200D', '\u2060\uFEFF', '\u00AD', ' \u200B ', '\u2800', '\u3164']) {
    t.notOk(
      createConversationBody.safeParse({ type: 'group', name, memberIds: [] }).success,
      JSON.stringify(name),
    );
    t.notOk(updateConversationBody.safeParse({ name }).success, `renamed to ${JSON.stringify(name)}`);
  }
  t.ok(createConversationBody.safeParse({ type: 'group', name: 'a\u200Bb', memberIds: [] }).success);
});

t.test('a group topic with no visible character is refused; an empty one clears', async (t) => {
  for (const topic of ['\u200B', '\u200C\u200D', '\u2060\uFEFF', '\u00AD', ' \u200B ', '\u2800', '\u3164']) {
    t.notOk(
      createConversationBody.safeParse({ type: 'group', name: 'g', topic, memberIds: [] }).success,
      `created with ${JSON.stringify(topic)}`,
    );
    t.notOk(updateConversationBody.safeParse({ topic }).success, `set to ${JSON.stringify(topic)}`);
  }
  t.same(updateConversationBody.parse({ topic: '' }), { topic: '' }, 'empty clears the topic');
  t.same(updateConversationBody.parse({ topic: '  ' }), { topic: '' }, 'so does a blank one');
  t.same(updateConversationBody.parse({ topic: null }), { topic: null });
  t.same(updateConversationBody.parse({ topic: 'a\u200Bb' }), { topic: 'a\u200Bb' });
});

t.test('a group topic refuses control characters but line breaks, and direction overrides', async (t) => {
  for (const topic of ['x\u0000y', '\u001b[2Jx', 'bell\u0007', '\u202Eevil']) {
    t.notOk(
      createConversationBody.safeParse({ type: 'group', name: 'g', topic, memberIds: [] }).success,
      `created with ${JSON.stringify(topic)}`,
    );
    t.notOk(updateConversationBody.safeParse({ topic }).success, `set to ${JSON.stringify(topic)}`);
  }
  t.same(updateConversationBody.parse({ topic: 'agenda:\n- ship\tit' }), { topic: 'agenda:\n- ship\tit' });
  t.ok(updateConversationBody.safeParse({ topic: 'x \u2067عربي\u2069 y' }).success, 'isolates stay');
});

t.test('a group name or topic with a lone surrogate is refused, as a display name is', async (t) => {
  for (const value of ['\uD800', 'a\uDC00b', 'x\uD83D']) {
    t.notOk(
      createConversationBody.safeParse({ type: 'group', name: value, memberIds: [] }).success,
      `name ${JSON.stringify(value)}`,
    );
    t.notOk(
      createConversationBody.safeParse({ type: 'group', name: 'g', topic: value, memberIds: [] }).success,
      `topic ${JSON.stringify(value)}`,
    );
    t.notOk(updateConversationBody.safeParse({ name: value }).success, `renamed ${JSON.stringify(value)}`);
    t.notOk(updateConversationBody.safeParse({ topic: value }).success, `topic set ${JSON.stringify(value)}`);
  }
  t.ok(updateConversationBody.safeParse({ name: 'Team 🚀', topic: 'ship 🚢' }).success, 'paired surrogates');
});

t.test('a group name refuses control characters and direction overrides', async (t) => {
  t.ok(createConversationBody.safeParse({ type: 'group', name: 'Équipe 🚀', memberIds: [] }).success);
  for (const name of ['a\u202Eb', 'a\nb', '\u2067x']) {
    t.notOk(
      createConversationBody.safeParse({ type: 'group', name, memberIds: [] }).success,
      JSON.stringify(name),
    );
  }
});
