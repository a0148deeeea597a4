import type { ChatMessageView } from '@parley/contracts';
import t from 'tap';
import { EmbeddedEngine } from '../src/engine/embedded-engine';
import type { IndexedMessage } from '../src/engine/types';
import { MessageIndexer } from '../src/messages/message-indexer';

/** The ledger's rule without a database: a version is recorded only over an older one. */
function memoryLedger() {
  const versions = new Map<string, number>();
  return {
    async versionOf(id: string) {
      return versions.get(id) ?? -1;
    },
    async record(message: IndexedMessage) {
      if ((versions.get(message.id) ?? -1) < message.version) versions.set(message.id, message.version);
    },
    async claimNew(message: IndexedMessage) {
      if (versions.has(message.id)) return false;
      versions.set(message.id, 0);
      return true;
    },
    async unclaim(id: string) {
      if (versions.get(id) === 0) versions.delete(id);
    },
  };
}

function view(version: number, text: string, deleted = false): ChatMessageView {
  return {
    id: 'm_1',
    conversationId: 'c_1',
    seq: 1,
    clientMessageId: 'client-1',
    senderId: 'alice',
    text: deleted ? '' : text,
    replyToId: null,
    threadRootId: null,
    mentions: [],
    mentionsEveryone: false,
    attachments: [],
    reactions: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    editedAt: version > 0 ? '2026-01-01T00:01:00.000Z' : null,
    deletedAt: deleted ? '2026-01-01T00:02:00.000Z' : null,
    version,
  };
}

/** How many messages of the test conversation the engine finds for a text. */
async function found(engine: EmbeddedEngine, text: string): Promise<number> {
  const page = await engine.searchMessages({
    text,
    conversationIds: ['c_1'],
    sort: 'date',
    page: 1,
    perPage: 5,
  });
  return page.found;
}

t.test('redelivered and out-of-order message events change nothing twice', async (t) => {
  const engine = new EmbeddedEngine();
  const indexer = new MessageIndexer(memoryLedger(), engine);
  const find = (text: string) => found(engine, text);

  t.equal(await indexer.apply(view(0, 'first draft')), true, 'the creation applies');
  t.equal(await indexer.apply(view(0, 'first draft')), false, 'its redelivery is ignored');
  t.equal(await indexer.apply(view(2, 'final words')), true, 'a later edit applies');
  t.equal(await indexer.apply(view(1, 'middle words')), false, 'an older edit arriving late is ignored');
  t.equal(await find('final'), 1);
  t.equal(await find('middle'), 0);
  t.equal(await indexer.apply(view(3, '', true)), true, 'the deletion applies');
  t.equal(await indexer.apply(view(2, 'final words')), false, 'a late edit does not revive it');
  t.equal(await find('final'), 0);
});

t.test('a creation overtaken by its edit is ignored', async (t) => {
  const engine = new EmbeddedEngine();
  const indexer = new MessageIndexer(memoryLedger(), engine);
  t.equal(await indexer.apply(view(1, 'edited text')), true);
  t.equal(await indexer.apply(view(0, 'first draft')), false, 'the late creation changes nothing');
  t.equal(await found(engine, 'draft'), 0);
});

t.test('a creation the backend failed is indexed by the retry', async (t) => {
  const engine = new EmbeddedEngine();
  let failing = true;
  const flaky = Object.assign(Object.create(engine) as EmbeddedEngine, {
    async upsertMessages(messages: IndexedMessage[]) {
      if (failing) throw new Error('backend away');
      return engine.upsertMessages(messages);
    },
  });
  const indexer = new MessageIndexer(memoryLedger(), flaky);
  await t.rejects(indexer.apply(view(0, 'hello there')), /backend away/);
  failing = false;
  t.equal(await indexer.apply(view(0, 'hello there')), true, 'the retry applies it');
  t.equal(await found(engine, 'hello'), 1);
});
