import type { Logger } from '@parley/service-kit';
import type { Processing } from '../processing/processing';
import type { MediaStorage } from '../storage';
import type { MediaStore } from '../store';
import { SENDING_GRACE_MS, removeUnlessClaimed } from './references';
import type { Remover } from './remover';
import { clearExpiredStaging } from './staging';

const HOUR_MS = 60 * 60 * 1000;
/** An upload handed over this long ago and still not started was missed (a crash, an outage). */
const START_GRACE_MS = 15_000;

/**
 * The periodic sweep, the backstop of everything done "eventually": it starts processing that an
 * outage kept from starting, finishes interrupted deletions, removes uploads abandoned for an
 * hour and media left unreferenced by a deleted owner, clears the staging blobs of direct uploads
 * an hour after their links expired, and drops the upload counts of past hours. Every instance may
 * sweep; each step is idempotent.
 */
export function startSweep(
  deps: {
    store: MediaStore;
    storage: MediaStorage;
    processing: Processing;
    remover: Remover;
    logger: Logger;
  },
  intervalSeconds: number,
): { stop: () => Promise<void> } {
  const { store, storage, processing, remover, logger } = deps;
  const sweepOnce = async () => {
    const now = Date.now();
    const unstarted = await store.media
      .find({
        status: 'processing',
        uploadedAt: { $lt: new Date(now - START_GRACE_MS) },
        $or: [{ workflowStartedAt: null }, { uploadAnnouncedAt: null }],
      })
      .limit(100)
      .toArray();
    for (const doc of unstarted) await processing.continue(doc);

    const abandoned = await store.media
      .find({
        $or: [
          { deleting: true },
          { status: 'uploading', createdAt: { $lt: new Date(now - HOUR_MS) } },
          { status: 'pending', uploadExpiresAt: { $lt: new Date(now - HOUR_MS) } },
        ],
      })
      .limit(100)
      .toArray();
    for (const doc of abandoned) {
      const unfinished = doc.status === 'uploading' || doc.status === 'pending';
      if (unfinished && !doc.deleting && doc.messageIds.length > 0) await processing.announceAbandoned(doc);
      await remover.remove(doc, 'abandoned or interrupted');
    }

    await remover.removeUnreferencedOf({}, 'owner deleted');
    await dropStaleSends(store, remover, now);

    await clearExpiredStaging({ store, storage }, now);
    await store.uploadCounts.deleteMany({ expiresAt: { $lt: new Date(now) } });
  };

  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    // A slow round is not overtaken by the next one.
    if (running) return;
    running = sweepOnce()
      .catch((err: unknown) => logger.warn({ err }, 'media sweep failed; next round retries'))
      .finally(() => {
        running = undefined;
      });
  }, intervalSeconds * 1000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * Sends listed as about to carry media whose message never came (chat stopped between its check
 * and its insert, and the client never sent again) are dropped a day on; media that nothing else
 * carried since its last carrier went is then deleted, as that deletion would have done.
 */
export async function dropStaleSends(store: MediaStore, remover: Remover, now: number): Promise<void> {
  const stale = await store.media
    .find({ sendingSince: { $lt: new Date(now - SENDING_GRACE_MS) } })
    .limit(100)
    .toArray();
  for (const doc of stale) {
    // Only if no send was listed since this read; a newer one waits its own day.
    const dropped = await store.media.findOneAndUpdate(
      { _id: doc._id, sendingSince: doc.sendingSince },
      { $set: { sending: [], sendingSince: null } },
      { returnDocument: 'after' },
    );
    if (
      dropped &&
      dropped.messageIds.length === 0 &&
      dropped.goneMessageIds.length > 0 &&
      !dropped.avatarOf
    ) {
      await removeUnlessClaimed({ store, remover }, dropped._id, 'last message deleted');
    }
  }
}
