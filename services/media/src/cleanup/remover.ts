import type { Logger } from '@parley/service-kit';
import type { MediaStorage } from '../storage';
import type { MediaDoc, MediaStore } from '../store';

/**
 * Deletes media for good: first marked (every caller gets 404 from then on), then its blobs,
 * then its record. A crash in between leaves the mark, and the sweep finishes the job.
 */
export class Remover {
  constructor(
    private readonly store: MediaStore,
    private readonly storage: MediaStorage,
    private readonly logger: Logger,
  ) {}

  async remove(doc: Pick<MediaDoc, '_id'>, reason: string): Promise<void> {
    await this.store.media.updateOne({ _id: doc._id }, { $set: { deleting: true } });
    await this.storage.remove(doc._id);
    await this.store.media.deleteOne({ _id: doc._id, deleting: true });
    this.logger.info({ mediaId: doc._id, reason }, 'media deleted');
  }

  /**
   * Media nobody references any more: its messages are gone and so is its owner. A group's
   * picture stays while it is one, whoever set it.
   */
  async removeUnreferencedOf(filter: Partial<Pick<MediaDoc, 'ownerId'>>, reason: string): Promise<number> {
    const docs = await this.store.media
      .find(
        { ...filter, ownerDeleted: true, messageIds: { $size: 0 } },
        { projection: { _id: 1, pictureOf: 1 } },
      )
      .limit(1_000)
      .toArray();
    const unreferenced = docs.filter((doc) => (doc.pictureOf ?? []).length === 0);
    for (const doc of unreferenced) await this.remove(doc, reason);
    return unreferenced.length;
  }
}
