import { startPrivateFerretDb } from '@parley/devstack';
import { MongoClient } from 'mongodb';
import t from 'tap';

// The FerretDB command we build must apply each document update atomically, as MongoDB does:
// counters, member lists and sequence numbers are changed by many handlers at once.
t.test('the dev store applies concurrent updates of one document atomically', async (t) => {
  const client = new MongoClient(await startPrivateFerretDb((stop) => t.teardown(stop)), { maxPoolSize: 20 });
  await client.connect();
  t.teardown(() => client.close());
  const db = client.db('parley_store_test');
  await db.createCollection('counters');
  await db.createCollection('lists');
  const counters = db.collection<{ _id: string; n?: Record<string, number>; top?: number }>('counters');
  const lists = db.collection<{ _id: string; ids: string[] }>('lists');
  const rounds = 10;
  const width = 12;

  await t.test('$inc loses no increment', async (t) => {
    for (let r = 0; r < rounds; r++) {
      await Promise.all(
        Array.from({ length: width }, (_, i) =>
          counters.updateOne(
            { _id: 'day' },
            { $inc: { [`n.${i % 2 ? 'sent' : 'failed'}`]: 1 } },
            { upsert: true },
          ),
        ),
      );
    }
    t.same((await counters.findOne({ _id: 'day' }))?.n, {
      failed: (rounds * width) / 2,
      sent: (rounds * width) / 2,
    });
  });

  await t.test('$addToSet keeps every element added at once', async (t) => {
    await lists.insertOne({ _id: 'group', ids: [] });
    const ids = Array.from({ length: rounds * width }, (_, i) => `u${i}`);
    for (let r = 0; r < rounds; r++) {
      await Promise.all(
        ids
          .slice(r * width, (r + 1) * width)
          .map((id) => lists.updateOne({ _id: 'group' }, { $addToSet: { ids: id } })),
      );
    }
    t.same((await lists.findOne({ _id: 'group' }))?.ids.sort(), ids.sort());
  });

  await t.test('$max ends at the highest value and findOneAndUpdate hands out each value once', async (t) => {
    const values = Array.from({ length: width * 3 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    await Promise.all(
      values.map((v) => counters.updateOne({ _id: 'top' }, { $max: { top: v } }, { upsert: true })),
    );
    t.equal((await counters.findOne({ _id: 'top' }))?.top, width * 3);

    const taken = await Promise.all(
      Array.from({ length: width * 3 }, () =>
        counters.findOneAndUpdate(
          { _id: 'ticket' },
          { $inc: { 'n.next': 1 } },
          { upsert: true, returnDocument: 'after' },
        ),
      ),
    );
    const numbers = taken.map((doc) => doc?.n?.next).sort((a, b) => (a ?? 0) - (b ?? 0));
    t.same(
      numbers,
      Array.from({ length: width * 3 }, (_, i) => i + 1),
      'every number handed out exactly once',
    );
  });
});
