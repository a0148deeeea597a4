import { startPrivateFerretDb } from '@parley/devstack';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { newMediaId } from '../src/ids';
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
    const holds = await Promise.all(
      Array.from({ length: 30 }, () => quotas.reserve('u_ada', newMediaId(), 10)),
    );
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
    const first = await quotas.reserve('u_bob', newMediaId());
    t.equal(first.bytes, MAX_UPLOAD_BYTES);
    const second = await quotas.reserve('u_bob', newMediaId());
    t.equal(second.bytes, MAX_UPLOAD_BYTES);
    const third = await quotas.reserve('u_bob', newMediaId());
    t.equal(third.bytes, QUOTA_BYTES - 2 * MAX_UPLOAD_BYTES, 'the third may store what is left');
    await t.rejects(
      quotas.reserve('u_bob', newMediaId()),
      { code: 'MEDIA_QUOTA_EXCEEDED' },
      'nothing is left',
    );
    await t.rejects(quotas.reserve('u_bob', newMediaId(), 1), { code: 'MEDIA_QUOTA_EXCEEDED' });
    await Promise.all([first, second, third].map((h) => h.release()));
    t.equal(await heldBy('u_bob'), 0);
  });

  await t.test('a declared length that does not fit is refused and holds nothing', async (t) => {
    await t.rejects(quotas.reserve('u_cid', newMediaId(), MAX_UPLOAD_BYTES + 1), { code: 'MEDIA_TOO_LARGE' });
    await store.media.insertOne({
      _id: 'md_000000000000000000000001',
      ownerId: 'u_cid',
      status: 'ready',
      sizeBytes: 700,
    } as unknown as MediaDoc);
    const held = await quotas.reserve('u_cid', newMediaId(), 200);
    t.equal(held.bytes, 200);
    await t.rejects(
      quotas.reserve('u_cid', newMediaId(), 101),
      { code: 'MEDIA_QUOTA_EXCEEDED' },
      'stored plus held',
    );
    t.equal(await heldBy('u_cid'), 200, 'the refused one left no hold');
    const exact = await quotas.reserve('u_cid', newMediaId(), 100);
    t.equal(exact.bytes, 100, 'what is left exactly still fits');
    await Promise.all([held.release(), exact.release()]);
  });

  await t.test('a declared length is all an upload may store, whatever the quota leaves', async (t) => {
    const held = await quotas.reserve('u_dot', newMediaId(), 5);
    t.equal(held.bytes, 5, 'not the quota left');
    const undeclared = await quotas.reserve('u_dot', newMediaId());
    t.equal(undeclared.bytes, MAX_UPLOAD_BYTES, 'which another upload may still use');
    await Promise.all([held.release(), undeclared.release()]);
  });

  await t.test('an upload whose record has its size while its hold is not let go counts once', async (t) => {
    // The moment between the two writes that end an upload: its record says its size, and its
    // hold, keyed by the same media id, is still there.
    const firstId = newMediaId();
    const first = await quotas.reserve('u_eve', firstId, 400);
    await store.media.insertOne({
      _id: firstId,
      ownerId: 'u_eve',
      status: 'processing',
      sizeBytes: 400,
    } as unknown as MediaDoc);
    const second = await quotas.reserve('u_eve', newMediaId(), 400);
    t.equal(second.bytes, 400, 'the first counts 400, not 800');
    const last = await quotas.reserve('u_eve', newMediaId(), 200);
    t.equal(last.bytes, 200, 'what is left exactly still fits');
    await t.rejects(
      quotas.reserve('u_eve', newMediaId(), 1),
      { code: 'MEDIA_QUOTA_EXCEEDED' },
      'and no more',
    );
    await Promise.all([first, second, last].map((h) => h.release()));
  });

  await t.test('a hold larger than its finished record still counts whole until let go', async (t) => {
    // A streamed upload of unknown length holds the size limit; its record may end up smaller.
    const id = newMediaId();
    const held = await quotas.reserve('u_fay', id);
    t.equal(held.bytes, MAX_UPLOAD_BYTES);
    await store.media.insertOne({
      _id: id,
      ownerId: 'u_fay',
      status: 'processing',
      sizeBytes: 100,
    } as unknown as MediaDoc);
    const second = await quotas.reserve('u_fay', newMediaId());
    t.equal(second.bytes, MAX_UPLOAD_BYTES);
    const third = await quotas.reserve('u_fay', newMediaId());
    t.equal(third.bytes, QUOTA_BYTES - 2 * MAX_UPLOAD_BYTES, 'the first counts its whole hold, once');
    await held.release();
    const after = await quotas.reserve('u_fay', newMediaId());
    t.equal(after.bytes, QUOTA_BYTES - 100 - 2 * MAX_UPLOAD_BYTES, 'once let go, its record alone counts');
    await Promise.all([second, third, after].map((h) => h.release()));
  });
});
