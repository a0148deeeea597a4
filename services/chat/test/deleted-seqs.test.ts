import t from 'tap';
import { noteDeleted } from '../src/messages/deleted-seqs';
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

  // One past the limit: the oldest go, down to what is kept.
  for (let seq = 100; seq < 100 + 2 * DELETED_SEQS_KEPT - 1; seq++) {
    await store.conversations.updateOne({ _id: id }, { $addToSet: { deletedSeqs: seq } });
  }
  await noteDeleted(store, id, 5_000);
  const kept = await numbers();
  t.equal(kept.length, DELETED_SEQS_KEPT);
  t.equal(kept.at(-1), 5_000, 'the newest stays');
  t.notOk(kept.includes(3), 'the oldest went');
});
