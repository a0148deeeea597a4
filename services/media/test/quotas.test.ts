import { startPrivateFerretDb } from '@parley/devstack';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { Quotas } from '../src/uploads/quotas';
import { type MediaDoc, openStore } from '../src/store';

const MAX_UPLOAD_BYTES = 400;
const QUOTA_BYTES = 1_000;

t.test('bytes held for uploads in flight', async (t) => {
  const client = new MongoClient(await startPrivateFerretDb((stop) => t.teardown(stop)));
  await client.connect();
  t.teardown(() => client.close());
  const store = await openStore(client.db('parley_media_quotas_test'));
  const quotas = new Quotas(store, {
    maxUploadBytes: MAX_UPLOAD_BYTES,
    quotaBytes: QUOTA_BYTES,
    uploadsPerHour: 1_000,
  });
  const heldBy = async (ownerId: string) => {
    const doc = await store.uploadHolds.findOne({ _id: ownerId });
    return Object.values(doc?.holds ?? {}).reduce((sum, hold) => sum + hold.bytes, 0);
  };

  await t.test('a declared length holds only itself, so many small uploads run at once', async (t) => {
    const holds = await Promise.all(Array.from({ length: 30 }, () => quotas.reserve('u_ada', 10)));
    t.same(
      holds.map((h) => h.bytes),
      holds.map(() => 10),
      'each may store what it declared, no more',
    );
    t.equal(await heldBy('u_ada'), 300);
    await Promise.all(holds.map((h) => h.release()));
    t.equal(await heldBy('u_ada'), 0, 'all given back');
  });

  await t.test('an undeclared length holds the size limit', async (t) => {
    const first = await quotas.reserve('u_bob');
    t.equal(first.bytes, MAX_UPLOAD_BYTES);
    const second = await quotas.reserve('u_bob');
    t.equal(second.bytes, MAX_UPLOAD_BYTES);
    const third = await quotas.reserve('u_bob');
    t.equal(third.bytes, QUOTA_BYTES - 2 * MAX_UPLOAD_BYTES, 'the third may store what is left');
    await t.rejects(quotas.reserve('u_bob'), { code: 'MEDIA_QUOTA_EXCEEDED' }, 'nothing is left');
    await t.rejects(quotas.reserve('u_bob', 1), { code: 'MEDIA_QUOTA_EXCEEDED' });
    await Promise.all([first, second, third].map((h) => h.release()));
    t.equal(await heldBy('u_bob'), 0);
  });

  await t.test('a declared length that does not fit is refused and holds nothing', async (t) => {
    await t.rejects(quotas.reserve('u_cid', MAX_UPLOAD_BYTES + 1), { code: 'MEDIA_TOO_LARGE' });
    await store.media.insertOne({
      _id: 'md_000000000000000000000001',
      ownerId: 'u_cid',
      status: 'ready',
      sizeBytes: 700,
    } as unknown as MediaDoc);
    const held = await quotas.reserve('u_cid', 200);
    t.equal(held.bytes, 200);
    await t.rejects(quotas.reserve('u_cid', 101), { code: 'MEDIA_QUOTA_EXCEEDED' }, 'stored plus held');
    t.equal(await heldBy('u_cid'), 200, 'the refused one left no hold');
    const exact = await quotas.reserve('u_cid', 100);
    t.equal(exact.bytes, 100, 'what is left exactly still fits');
    await Promise.all([held.release(), exact.release()]);
  });

  await t.test('a declared length is all an upload may store, whatever the quota leaves', async (t) => {
    const held = await quotas.reserve('u_dot', 5);
    t.equal(held.bytes, 5, 'not the quota left');
    const undeclared = await quotas.reserve('u_dot');
    t.equal(undeclared.bytes, MAX_UPLOAD_BYTES, 'which another upload may still use');
    await Promise.all([held.release(), undeclared.release()]);
  });
});
