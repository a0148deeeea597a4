import type { MediaStorage } from '../storage';
import type { MediaStore } from '../store';

/**
 * How long after its link expired a staging blob is cleared: as long as an open upload may still
 * be resumed with a fresh link before the sweep removes it as abandoned. Storage checks expiry by
 * its own clock, so a small difference between the clocks is covered too.
 */
export const STAGING_KEPT_MS = 60 * 60 * 1000;

/**
 * Empties and deletes the staging blobs whose links stopped working a while ago, whatever became
 * of their uploads: completed (late writes), abandoned or deleted. A link renewed meanwhile moved
 * its record's expiry, and the record stays. Returns how many were cleared.
 */
export async function clearExpiredStaging(
  deps: { store: Pick<MediaStore, 'uploadLinks'>; storage: Pick<MediaStorage, 'discardStaged'> },
  now: number,
): Promise<number> {
  const { store, storage } = deps;
  const expired = await store.uploadLinks
    .find({ expiresAt: { $lt: new Date(now - STAGING_KEPT_MS) } })
    .limit(100)
    .toArray();
  for (const link of expired) {
    await storage.discardStaged(link._id);
    await store.uploadLinks.deleteOne({ _id: link._id, expiresAt: link.expiresAt });
  }
  return expired.length;
}
