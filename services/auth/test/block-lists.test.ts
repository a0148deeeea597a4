import { startPrivateFerretDb } from '@parley/devstack';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { ContactStore } from '../src/contacts/contact-store';

t.test('block lists on FerretDB', async (t) => {
  const client = new MongoClient(await startPrivateFerretDb((stop) => t.teardown(stop)));
  await client.connect();
  t.teardown(() => client.close());
  const db = client.db('parley_auth_lists_test');
  const contacts = new ContactStore(db);

  await t.test('a block hides both ways and an unblock ends it', async (t) => {
    await contacts.block('u_a', 'u_b');
    t.same(await contacts.blockedAmong('u_a', ['u_b', 'u_c']), ['u_b']);
    t.same(await contacts.blockedAmong('u_b', ['u_a', 'u_c']), ['u_a']);
    t.equal(await contacts.unblock('u_a', 'u_b'), true);
    t.same(await contacts.blockedAmong('u_a', ['u_b']), []);
    t.same(await contacts.blockedAmong('u_b', ['u_a']), []);
  });

  await t.test('a listed block that was never stored is not reported', async (t) => {
    // What a crash between listing a block and storing it leaves behind.
    await db
      .collection<{ _id: string; blocked: string[] }>('block_lists')
      .updateOne({ _id: 'u_d' }, { $addToSet: { blocked: 'u_e' } }, { upsert: true });
    t.same(await contacts.blockedAmong('u_d', ['u_e']), []);
  });

  await t.test('blocks stored before the lists are found', async (t) => {
    await db
      .collection<{ _id: string; blockerId: string; blockedId: string; createdAt: Date }>('blocks')
      .insertOne({ _id: 'u_f:u_g', blockerId: 'u_f', blockedId: 'u_g', createdAt: new Date() });
    t.same(await contacts.blockedAmong('u_g', ['u_f']), ['u_f']);
    t.same(await contacts.blockedAmong('u_f', ['u_g']), ['u_g']);
  });
});
