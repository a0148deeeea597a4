import t from 'tap';
import { EmbeddedEngine } from '../src/engine/embedded-engine';
import type { IndexedMessage, IndexedPerson } from '../src/engine/types';
import { backendSuite } from './backend-suite';

t.test('embedded engine', async (t) => {
  backendSuite(t, async () => {
    const engine = new EmbeddedEngine();
    await engine.init();
    return engine;
  });
});

t.test('the embedded engine reloads what its source persisted', async (t) => {
  const message: IndexedMessage = {
    id: 'm1',
    conversationId: 'c_a',
    senderId: 'alice',
    text: 'persisted words',
    hasAttachment: false,
    createdAt: new Date().toISOString(),
    editedAt: null,
    version: 2,
  };
  const person: IndexedPerson = { id: 'u1', username: 'olga', displayName: 'Olga', avatarMediaId: null };
  const engine = new EmbeddedEngine({
    async *messages() {
      yield message;
    },
    async *people() {
      yield person;
    },
  });
  await engine.init();
  const page = await engine.searchMessages({
    text: 'persisted',
    conversationIds: ['c_a'],
    sort: 'relevance',
    page: 1,
    perPage: 5,
  });
  t.same(
    page.hits.map((h) => h.message.id),
    ['m1'],
  );
  t.same(await engine.searchPeople({ text: 'olg', limit: 5 }), [person]);
});
