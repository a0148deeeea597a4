import { RequestAbandonedError } from '@parley/service-kit';
import type { CommandStartedEvent } from 'mongodb';
import t from 'tap';
import { type NewMessage, allocate, insertWithNextSeq } from '../src/messages/sequence';
import { type ChatStore, openStore } from '../src/store';
import { connect, startFerretDb, storedMessage } from './ferretdb';

function draft(conversationId: string, clientMessageId: string): NewMessage {
  const { _id: _storedId, seq: _storedSeq, ...message } = storedMessage(conversationId, 0);
  return { ...message, clientMessageId, senderId: 'u1', text: clientMessageId };
}

const seqsOf = async (store: ChatStore, conversationId: string) =>
  (await store.messages.find({ conversationId }).sort({ seq: 1 }).toArray()).map((m) => m.seq);

t.test('sequence numbers on FerretDB', async (t) => {
  const url = await startFerretDb(t);
  const stores = await Promise.all(
    [1, 2].map(async () => openStore((await connect(t, url)).db('parley_chat_test'))),
  );
  const [one, two] = stores as [ChatStore, ChatStore];
  const conversations = [
    'c_00000000000000000000000a',
    'c_00000000000000000000000b',
    'c_00000000000000000000000c',
    'c_00000000000000000000000d',
    'c_00000000000000000000000e',
    'c_00000000000000000000000f',
  ];
  await one.conversations.insertMany(
    conversations.map((_id) => ({
      _id,
      type: 'group' as const,
      directPair: null,
      name: 'test',
      topic: null,
      avatarMediaId: null,
      createdBy: 'u1',
      createdAt: new Date(),
      lastSeq: 0,
      lastActivity: new Date(),
      version: 0,
    })),
  );

  await t.test('two instances racing for numbers leave no gap and no repeat', async (t) => {
    const conversation = 'c_00000000000000000000000a';
    const ids = Array.from({ length: 120 }, (_, i) => `client-${String(i).padStart(4, '0')}`);
    let next = 0;
    // Each id is sent through both instances at once, as a client retrying against another one.
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        await Promise.all([allocate(one, draft(conversation, id)), allocate(two, draft(conversation, id))]);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    t.same(
      await seqsOf(one, conversation),
      Array.from({ length: 120 }, (_, i) => i + 1),
    );
  });

  await t.test('a retried send answers with the first message', async (t) => {
    const conversation = 'c_00000000000000000000000b';
    const [first, second] = await Promise.all([
      allocate(one, draft(conversation, 'same-client-id')),
      allocate(two, draft(conversation, 'same-client-id')),
    ]);
    t.equal(first.doc._id, second.doc._id);
    t.same([first.duplicate, second.duplicate].sort(), [false, true]);
    t.same(await seqsOf(one, conversation), [1]);
  });

  await t.test('many concurrent sends in one instance take turns', async (t) => {
    const conversation = 'c_00000000000000000000000c';
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => insertWithNextSeq(one, draft(conversation, `burst-${i}-xyz`))),
    );
    t.same(
      await seqsOf(one, conversation),
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
  });

  await t.test('a resend to the same instance is found by its id, not by a search', async (t) => {
    const conversation = 'c_00000000000000000000000d';
    const client = await connect(t, url);
    const store = await openStore(client.db('parley_chat_test'));
    const first = await insertWithNextSeq(store, draft(conversation, 'resent-id'));
    t.equal(first.duplicate, false);

    const filters: unknown[] = [];
    const watch = (event: CommandStartedEvent) => {
      if (event.commandName === 'find') filters.push(event.command.filter);
    };
    client.on('commandStarted', watch);
    t.teardown(() => client.off('commandStarted', watch));
    const again = await insertWithNextSeq(store, draft(conversation, 'resent-id'));

    t.equal(again.duplicate, true);
    t.equal(again.doc._id, first.doc._id);
    // One read by `_id`, and no insert was tried.
    t.same(filters, [{ _id: first.doc._id }]);
    t.same(await seqsOf(store, conversation), [1]);
  });

  await t.test('a send whose caller gave up while it waited for its turn is not stored', async (t) => {
    const conversation = 'c_00000000000000000000000e';
    const gaveUp = new AbortController();
    const ahead = insertWithNextSeq(one, draft(conversation, 'ahead'));
    const behind = insertWithNextSeq(one, draft(conversation, 'behind'), gaveUp.signal);
    gaveUp.abort(new RequestAbandonedError());

    t.equal((await ahead).doc.seq, 1);
    await t.rejects(behind, { code: 'REQUEST_ABANDONED' });
    t.same(await seqsOf(one, conversation), [1]);
    // The next send takes the next number: the skipped one left no gap.
    t.equal((await insertWithNextSeq(one, draft(conversation, 'after'))).doc.seq, 2);
  });

  await t.test(
    'a resend this instance does not remember is found by _id, and its neighbours too',
    async (t) => {
      const conversation = 'c_00000000000000000000000f';
      const client = await connect(t, url);
      const store = await openStore(client.db('parley_chat_test'));
      // Stored as another instance (or this one before a restart) would: nothing is remembered here.
      for (let i = 1; i <= 40; i++) await allocate(two, draft(conversation, `earlier-${i}-xyz`));

      const filters: Record<string, unknown>[] = [];
      const watch = (event: CommandStartedEvent) => {
        if (event.commandName === 'find') filters.push(event.command.filter as Record<string, unknown>);
      };
      client.on('commandStarted', watch);
      t.teardown(() => client.off('commandStarted', watch));
      const resent = await insertWithNextSeq(store, draft(conversation, 'earlier-30-xyz'));
      t.equal(resent.duplicate, true);
      t.equal(resent.doc.seq, 30);
      t.notOk(
        filters.some((filter) => 'clientMessageId' in filter),
        'no lookup by client message id (a scan on the dev store)',
      );

      filters.length = 0;
      const another = await insertWithNextSeq(store, draft(conversation, 'earlier-12-xyz'));
      t.equal(another.doc.seq, 12);
      t.same(filters, [{ _id: another.doc._id }], 'the next resend is remembered from the walk');
      t.same(
        await seqsOf(store, conversation),
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
    },
  );
});
