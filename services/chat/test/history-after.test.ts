import { ChangeBoard, createLogger } from '@parley/service-kit';
import type { CommandStartedEvent } from 'mongodb';
import t from 'tap';
import type { Directory } from '../src/auth-client';
import { MEMBERSHIP_BOARD, MembershipCache } from '../src/conversations/membership-cache';
import { newMember } from '../src/conversations/service';
import type { ChatEvents } from '../src/events';
import type { MediaCatalog } from '../src/media/media-client';
import { allocate } from '../src/messages/sequence';
import { Messages } from '../src/messages/service';
import { openStore } from '../src/store';
import { connect, groupDoc, startFerretDb } from './ferretdb';

const directory: Directory = {
  requireUser: async () => {},
  blockedAmong: async () => new Set<string>(),
};
const events = { message: async () => {} } as unknown as ChatEvents;
const media: MediaCatalog = { claim: async () => [] };

t.test('history after a number, on FerretDB', async (t) => {
  const client = await connect(t, await startFerretDb(t));
  const store = await openStore(client.db('parley_chat_history_test'));
  const board = new ChangeBoard(store.changeBoards, MEMBERSHIP_BOARD, createLogger('test', 'silent'));
  await board.read();
  const messages = new Messages({
    store,
    memberships: new MembershipCache(store, board, 30_000),
    directory,
    events,
    media,
  });
  const finds: Record<string, unknown>[] = [];
  const record = (event: CommandStartedEvent) => {
    if (event.commandName === 'find' && event.command.find === 'messages') finds.push(event.command.filter);
  };
  client.on('commandStarted', record);
  t.teardown(() => client.off('commandStarted', record));

  const conversationId = 'c_000000000000000000000001';
  await store.conversations.insertOne(groupDoc(conversationId, 'alice'));
  await store.members.insertOne(newMember(conversationId, 'alice', 'owner', new Date()));
  for (let i = 1; i <= 40; i++) {
    await messages.send('alice', conversationId, { clientMessageId: `m-${i}`, text: `text ${i}` });
  }
  const seqs = (items: { seq: number }[]) => items.map((m) => m.seq);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const byIdOnly = () =>
    finds.every((filter) => Object.keys(filter).length === 1 && typeof filter._id === 'string');

  await t.test('a few newest messages are read by _id alone', async (t) => {
    finds.length = 0;
    const page = await messages.history('alice', conversationId, { after: 35, limit: 100 });
    t.same(seqs(page.items), range(36, 40));
    t.equal(page.lastSeq, 40);
    t.ok(byIdOnly(), 'no query the dev store answers by reading every message');
    t.equal(finds.length, 6, 'the five expected, and one past lastSeq that is missing');
  });

  await t.test('the page stops at the limit', async (t) => {
    finds.length = 0;
    const page = await messages.history('alice', conversationId, { after: 30, limit: 3 });
    t.same(seqs(page.items), [31, 32, 33]);
    t.ok(byIdOnly());
    t.equal(finds.length, 3);
  });

  await t.test('nothing after the newest is an empty page', async (t) => {
    const page = await messages.history('alice', conversationId, { after: 40, limit: 50 });
    t.same(page.items, []);
    const ahead = await messages.history('alice', conversationId, { after: 90, limit: 50 });
    t.same(ahead.items, []);
  });

  await t.test('messages stored before lastSeq was raised are found too', async (t) => {
    // As when a send's insert is done and its lastSeq raise still on its way.
    for (const i of [41, 42, 43, 44, 45, 46]) {
      await allocate(
        store,
        {
          ...(await store.messages.findOne({ seq: 40, conversationId }))!,
          clientMessageId: `late-${i}`,
        },
        { lastKnown: i - 1, raise: false },
      );
    }
    finds.length = 0;
    const page = await messages.history('alice', conversationId, { after: 38, limit: 100 });
    t.same(seqs(page.items), range(39, 46));
    t.equal(page.lastSeq, 40, 'lastSeq still lags');
    t.ok(byIdOnly());
  });

  await t.test('many expected messages are read with one range query', async (t) => {
    finds.length = 0;
    const page = await messages.history('alice', conversationId, { after: 0, limit: 100 });
    t.same(seqs(page.items), range(1, 46));
    t.equal(finds.length, 1);
    t.match(finds[0], { conversationId, seq: { $gt: 0 } });
  });

  await t.test('a thread page is read with its query', async (t) => {
    finds.length = 0;
    const page = await messages.history('alice', conversationId, {
      after: 38,
      limit: 10,
      threadRootId: 'no-such-thread',
    });
    t.same(page.items, []);
    t.match(finds[0], { conversationId, threadRootId: 'no-such-thread' });
  });

  await t.test('a non-member reads nothing', async (t) => {
    await t.rejects(messages.history('mallory', conversationId, { after: 35, limit: 10 }), {
      code: 'CHAT_CONVERSATION_NOT_FOUND',
      status: 404,
    });
  });
});
