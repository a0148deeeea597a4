import t from 'tap';
import { noteDeleted, unreadAfter } from '../src/messages/deleted-seqs';
import { DELETED_SEQS_KEPT, openStore } from '../src/store';
import { connect, groupDoc, startFerretDb } from './ferretdb';

t.test('deleted message numbers on the dev store', async (t) => {
  const store = await openStore((await connect(t, await startFerretDb(t))).db('parley_chat_test'));
  const id = 'c_00000000000000000000000d';
  await store.conversations.insertOne(groupDoc(id, 'u1'));
  const numbers = async () =>
    ((await store.conversations.findOne({ _id: id }))?.deletedSeqs ?? []).sort((a, b) => a - b);

  await noteDeleted(store, id, 7);
  await noteDeleted(store, id, 3);
  await noteDeleted(store, id, 7);
  t.same(await numbers(), [3, 7], 'each number once');

  // One past the limit (3 and 7, then 100 on): the oldest go, down to what is kept.
  for (let seq = 100; seq < 100 + 2 * DELETED_SEQS_KEPT - 1; seq++) {
    await store.conversations.updateOne({ _id: id }, { $addToSet: { deletedSeqs: seq } });
  }
  await noteDeleted(store, id, 5_000);
  const kept = await numbers();
  t.equal(kept.length, DELETED_SEQS_KEPT);
  t.equal(kept.at(-1), 5_000, 'the newest stays');
  t.notOk(kept.includes(3), 'the oldest went');
  const conversation = await store.conversations.findOne({ _id: id });
  t.same(
    conversation?.deletedTrimmed,
    { count: DELETED_SEQS_KEPT + 2, min: 3, max: 100 + DELETED_SEQS_KEPT - 1 },
    'what went is summed up',
  );
});

t.test('unread counts leave deleted messages out, trimmed ones too', async (t) => {
  // 1,100 messages, all deleted; a trim summed up the 600 oldest (1..600).
  const all = {
    lastSeq: 1_100,
    deletedSeqs: Array.from({ length: 500 }, (_, i) => 601 + i),
    deletedTrimmed: { count: 600, min: 1, max: 600 },
  };
  t.equal(unreadAfter(0, all), 0, 'a reader who read nothing has nothing to read');
  t.equal(unreadAfter(0, { ...all, lastSeq: 1_101 }), 1, 'then one new message');
  t.equal(unreadAfter(600, all), 0, 'a reader past the trimmed ones');
  t.equal(unreadAfter(1_100, all), 0);
  t.equal(unreadAfter(300, all), 0, 'inside the trimmed ones, evenly spread');
  t.equal(unreadAfter(4, { lastSeq: 10, deletedSeqs: [3, 7, 8, 9, 10] }), 2, 'only 5 and 6 are left');
  t.equal(unreadAfter(4, { lastSeq: 10 }), 6, 'a conversation with no deletions');
});
