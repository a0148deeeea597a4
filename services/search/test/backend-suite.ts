import type { Test } from 'tap';
import type { IndexedMessage, MessageQuery, SearchBackend } from '../src/engine/types';

/**
 * The behaviour every search backend must show, whatever it runs on. `fresh` hands a backend
 * with nothing in it, torn down with the test.
 */
export function backendSuite(t: Test, fresh: (t: Test) => Promise<SearchBackend>): void {
  const at = (day: number) => new Date(Date.UTC(2026, 0, day, 12)).toISOString();
  const msg = (id: string, text: string, extra: Partial<IndexedMessage> = {}): IndexedMessage => ({
    id,
    conversationId: 'c_a',
    senderId: 'alice',
    text,
    hasAttachment: false,
    createdAt: at(1),
    editedAt: null,
    version: 0,
    ...extra,
  });
  const query = (text: string, extra: Partial<MessageQuery> = {}): MessageQuery => ({
    text,
    conversationIds: ['c_a', 'c_b'],
    sort: 'relevance',
    page: 1,
    perPage: 20,
    ...extra,
  });
  const ids = async (backend: SearchBackend, q: MessageQuery) =>
    (await backend.searchMessages(q)).hits.map((h) => h.message.id).sort();

  t.test('finds whole words, prefixes and words with a typo', async (t) => {
    const backend = await fresh(t);
    await backend.upsertMessages([
      msg('m1', 'Meeting about the quarterly budget tomorrow'),
      msg('m2', 'Lunch at noon?'),
    ]);
    t.same(await ids(backend, query('budget')), ['m1'], 'a whole word');
    t.same(await ids(backend, query('quart')), ['m1'], 'a prefix');
    t.same(await ids(backend, query('budgte')), ['m1'], 'two letters swapped');
    t.same(await ids(backend, query('lunch budget')), [], 'every word must match');
    t.same(await ids(backend, query('lunch OR budget')), ['m1', 'm2'], 'OR widens');
    t.same(await ids(backend, query('noon -lunch')), [], 'a minus excludes');
  });

  t.test('finds Chinese, Japanese, Korean, Cyrillic and emoji as users type them', async (t) => {
    const backend = await fresh(t);
    await backend.upsertMessages([
      msg('zh', '我们明天在北京见面吧'),
      msg('ja', '東京タワーに行きました'),
      msg('ko', '서울에서 만나요'),
      msg('ru', 'Встреча в Москве завтра, всё готово'),
      msg('emoji', 'Congrats 🎉 on the launch 🚀'),
      msg('latin', 'Un café à Paris'),
    ]);
    t.same(await ids(backend, query('北京')), ['zh'], 'a Chinese word inside a sentence');
    t.same(await ids(backend, query('タワー')), ['ja'], 'a katakana word');
    t.same(await ids(backend, query('東京')), ['ja'], 'a kanji word');
    t.same(await ids(backend, query('서울')), ['ko'], 'a Korean word with a particle attached');
    t.same(await ids(backend, query('москве')), ['ru'], 'Cyrillic, any case');
    t.same(await ids(backend, query('все')), ['ru'], 'ё typed as е');
    t.same(await ids(backend, query('🎉')), ['emoji'], 'an emoji');
    t.same(await ids(backend, query('cafe')), ['latin'], 'accents left out');
    const [hit] = (await backend.searchMessages(query('北京'))).hits;
    t.match(hit?.snippet, /<mark>北京<\/mark>/, 'the CJK match is highlighted');
  });

  t.test('filters by conversation set, sender, dates and attachments, before paging', async (t) => {
    const backend = await fresh(t);
    await backend.upsertMessages([
      msg('a1', 'report draft', { senderId: 'alice', createdAt: at(1) }),
      msg('a2', 'report final', { senderId: 'bob', createdAt: at(3), hasAttachment: true }),
      msg('b1', 'report secret', { conversationId: 'c_secret', createdAt: at(2) }),
    ]);
    t.same(await ids(backend, query('report')), ['a1', 'a2'], 'only the allowed conversations');
    t.same(await ids(backend, query('secret')), [], 'nothing from elsewhere, even on a direct hit');
    t.same(await ids(backend, query('', { conversationIds: [] })), [], 'no conversations, no results');
    t.same(await ids(backend, query('report', { senderIds: ['bob'] })), ['a2']);
    t.same(await ids(backend, query('report', { from: new Date(at(2)) })), ['a2']);
    t.same(await ids(backend, query('report', { to: new Date(at(2)) })), ['a1']);
    t.same(await ids(backend, query('report', { hasAttachment: true })), ['a2']);
    const page = await backend.searchMessages(query('report', { perPage: 1, page: 2, sort: 'date' }));
    t.equal(page.found, 2, 'the count is of allowed messages only');
    t.same(
      page.hits.map((h) => h.message.id),
      ['a1'],
      'page 2 of 1 per page, newest first',
    );
  });

  t.test('highlights matches in an escaped snippet', async (t) => {
    const backend = await fresh(t);
    await backend.upsertMessages([msg('m1', '<b>Deploy</b> went fine & fast')]);
    const [hit] = (await backend.searchMessages(query('deploy'))).hits;
    t.equal(hit?.snippet, '&lt;b&gt;<mark>Deploy</mark>&lt;/b&gt; went fine &amp; fast');
  });

  t.test('an edit replaces the text and a removal forgets the message', async (t) => {
    const backend = await fresh(t);
    await backend.upsertMessages([msg('m1', 'old words')]);
    await backend.upsertMessages([msg('m1', 'new words', { version: 1 })]);
    t.same(await ids(backend, query('old')), []);
    t.same(await ids(backend, query('new')), ['m1']);
    await backend.removeMessage('m1');
    t.same(await ids(backend, query('words')), []);
  });

  t.test('finds people by username and display name prefixes', async (t) => {
    const backend = await fresh(t);
    await backend.upsertPerson({
      id: 'u1',
      username: 'anna_k',
      displayName: 'Anna Karenina',
      avatarMediaId: null,
    });
    await backend.upsertPerson({
      id: 'u2',
      username: 'ivan',
      displayName: 'Иван Петров',
      avatarMediaId: null,
    });
    await backend.upsertPerson({ id: 'u3', username: 'yuki', displayName: '山田 由紀', avatarMediaId: null });
    const people = async (text: string) =>
      (await backend.searchPeople({ text, limit: 10 })).map((p) => p.id).sort();
    t.same(await people('ann'), ['u1'], 'a username prefix');
    t.same(await people('karen'), ['u1'], 'a display name prefix');
    t.same(await people('иван'), ['u2'], 'a Cyrillic name');
    t.same(await people('山田'), ['u3'], 'a Japanese name');
    await backend.removePerson('u1');
    t.same(await people('ann'), [], 'a removed person is gone');
  });
}
