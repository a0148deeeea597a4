import t from 'tap';
import { STAGING_KEPT_MS, clearExpiredStaging } from '../src/cleanup/staging';
import type { MediaStore, UploadLinkDoc } from '../src/store';

/** The few calls the step makes on the link records, over an array. */
function fakeLinks(records: UploadLinkDoc[]) {
  const links = {
    find: (filter: { expiresAt: { $lt: Date } }) => ({
      limit: (n: number) => ({
        // Copies, as a database answers.
        toArray: async () =>
          records
            .filter((r) => r.expiresAt < filter.expiresAt.$lt)
            .slice(0, n)
            .map((r) => ({ ...r })),
      }),
    }),
    deleteOne: async (filter: UploadLinkDoc) => {
      const at = records.findIndex(
        (r) => r._id === filter._id && r.expiresAt.getTime() === filter.expiresAt.getTime(),
      );
      if (at >= 0) records.splice(at, 1);
    },
  };
  return links as unknown as MediaStore['uploadLinks'];
}

t.test('staging blobs go an hour after their link expired, and only then', async (t) => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const ago = (ms: number) => new Date(now - ms);
  const records: UploadLinkDoc[] = [
    { _id: 'long-expired', expiresAt: ago(STAGING_KEPT_MS + 1) },
    { _id: 'just-expired', expiresAt: ago(60_000) },
    { _id: 'still-valid', expiresAt: new Date(now + 60_000) },
  ];
  const discarded: string[] = [];
  const storage = { discardStaged: async (mediaId: string) => void discarded.push(mediaId) };

  const cleared = await clearExpiredStaging({ store: { uploadLinks: fakeLinks(records) }, storage }, now);

  t.equal(cleared, 1);
  t.same(discarded, ['long-expired'], 'only the staging blob whose link is long dead');
  t.same(
    records.map((r) => r._id),
    ['just-expired', 'still-valid'],
    'its record is gone; the others stay for a later round',
  );
});

t.test('a link renewed while the step runs keeps its record', async (t) => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const records: UploadLinkDoc[] = [{ _id: 'renewed', expiresAt: new Date(now - 2 * STAGING_KEPT_MS) }];
  const storage = {
    // A renewal lands between the blob's clearing and the record's deletion.
    discardStaged: async () => void (records[0]!.expiresAt = new Date(now + 900_000)),
  };

  await clearExpiredStaging({ store: { uploadLinks: fakeLinks(records) }, storage }, now);

  t.equal(records.length, 1, 'the renewed link is still recorded, so its blob is cleared later');
});
