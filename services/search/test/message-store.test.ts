import t from 'tap';
import { EmbeddedEngine } from '../src/engine/embedded-engine';
import type { IndexedMessage } from '../src/engine/types';
import { MessageStore } from '../src/messages/message-store';
import { privateDb } from './ferretdb';

function message(version: number, text: string): IndexedMessage {
  return {
    id: 'm_1',
    conversationId: 'c_1',
    senderId: 'alice',
    text,
    hasAttachment: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    editedAt: version > 0 ? '2026-01-01T00:01:00.000Z' : null,
    version,
  };
}

async function liveTexts(store: MessageStore): Promise<string[]> {
  const texts: string[] = [];
  for await (const m of store.live()) texts.push(m.text);
  return texts;
}

t.test('the message ledger on a real store', async (t) => {
  const db = await privateDb(t);

  t.test('a new message is claimed once, and a claim is taken back only while it is new', async (t) => {
    const store = new MessageStore(db);
    await store.init();
    t.teardown(() => store.clear());

    t.equal(await store.claimNew(message(0, 'hello')), true, 'the first claim holds');
    t.equal(await store.claimNew(message(0, 'hello')), false, 'a redelivery finds it claimed');
    await store.unclaim('m_1');
    t.equal(await store.versionOf('m_1'), -1, 'a claim taken back is gone');

    await store.record(message(1, 'edited'), false);
    t.equal(await store.claimNew(message(0, 'hello')), false, 'an edit that came first wins');
    await store.unclaim('m_1');
    t.equal(await store.versionOf('m_1'), 1, 'and is not taken back');
  });

  t.test('a redelivered creation after an edit leaves the edit in place', async (t) => {
    const store = new MessageStore(db);
    await store.init();
    t.teardown(() => store.clear());

    await store.record(message(0, 'first draft'), false);
    t.equal(await store.versionOf('m_1'), 0, 'the creation is recorded');
    await store.record(message(0, 'first draft'), false);
    t.equal(await store.versionOf('m_1'), 0, 'its redelivery is accepted and changes nothing');

    await store.record(message(1, 'final words'), false);
    await store.record(message(0, 'first draft'), false);
    t.equal(await store.versionOf('m_1'), 1);
    t.same(await liveTexts(store), ['final words']);
  });

  t.test('a creation overtaken by its edit does not replace the edit', async (t) => {
    const store = new MessageStore(db);
    await store.init();
    t.teardown(() => store.clear());

    await store.record(message(2, 'final words'), false);
    await store.record(message(0, 'first draft'), false);
    await store.record(message(1, 'middle words'), false);
    t.equal(await store.versionOf('m_1'), 2);
    t.same(await liveTexts(store), ['final words']);
  });

  t.test('a deletion keeps a tombstone that a late creation or edit cannot revive', async (t) => {
    const store = new MessageStore(db);
    await store.init();
    t.teardown(() => store.clear());

    await store.record(message(0, 'first draft'), false);
    await store.record(message(3, ''), true);
    await store.record(message(0, 'first draft'), false);
    await store.record(message(2, 'final words'), false);
    t.equal(await store.versionOf('m_1'), 3);
    t.same(await liveTexts(store), []);
  });

  t.test('the search finds what the ledger holds after a redelivery', async (t) => {
    const store = new MessageStore(db);
    await store.init();
    t.teardown(() => store.clear());
    await store.record(message(0, 'first draft'), false);
    await store.record(message(1, 'final words'), false);
    await store.record(message(0, 'first draft'), false);

    const engine = new EmbeddedEngine({ messages: () => store.live(), people: async function* () {} });
    await engine.init();
    const found = async (text: string) =>
      (await engine.searchMessages({ text, conversationIds: ['c_1'], sort: 'date', page: 1, perPage: 5 }))
        .found;
    t.equal(await found('final'), 1);
    t.equal(await found('draft'), 0);
  });
});
