import { MongoServerError } from 'mongodb';
import type { MediaStore } from '../store';
import { MediaTooLargeError, QuotaExceededError, UploadRateLimitedError } from '../errors';

export interface QuotaSettings {
  maxUploadBytes: number;
  quotaBytes: number;
  uploadsPerHour: number;
}

const HOUR_MS = 60 * 60 * 1000;

/** An upload counted against its hour; given back when the upload is refused before it starts. */
export interface UploadClaim {
  release(): Promise<void>;
}

/**
 * Per-user limits: how many uploads start in a clock hour, and how many bytes a user keeps
 * stored. Uploads are counted in one document per user and hour, claimed atomically, so
 * concurrent requests cannot all pass; bytes are counted from the media records. Both hold
 * across instances of the service.
 * TODO(quota-race): parallel uploads of one user each see the others' bytes only once stored, so
 * together they may pass the storage quota by up to one upload each.
 */
export class Quotas {
  constructor(
    private readonly store: MediaStore,
    private readonly settings: QuotaSettings,
  ) {}

  /**
   * Counts an upload against this hour, or refuses it with how long until the next hour. The
   * count is raised first and read back, so of many concurrent requests exactly the budget
   * passes; a refused claim is taken back at once.
   */
  async claimUpload(ownerId: string): Promise<UploadClaim> {
    const now = Date.now();
    const hourStart = now - (now % HOUR_MS);
    const _id = `${ownerId}:${new Date(hourStart).toISOString()}`;
    const counts = this.store.uploadCounts;
    const release = async () => {
      await counts.updateOne({ _id }, { $inc: { count: -1 } });
    };
    const count = await this.increment(_id, new Date(hourStart + HOUR_MS));
    if (count > this.settings.uploadsPerHour) {
      await release();
      throw new UploadRateLimitedError(Math.max(1, Math.ceil((hourStart + HOUR_MS - now) / 1000)));
    }
    return { release };
  }

  private async increment(_id: string, expiresAt: Date): Promise<number> {
    const bump = () =>
      this.store.uploadCounts.findOneAndUpdate(
        { _id },
        { $inc: { count: 1 }, $setOnInsert: { expiresAt } },
        { upsert: true, returnDocument: 'after' },
      );
    try {
      return (await bump())!.count;
    } catch (err) {
      // Two first claims of an hour may both try to insert; the loser finds the document now.
      if (err instanceof MongoServerError && err.code === 11000) return (await bump())!.count;
      throw err;
    }
  }

  async usedBytes(ownerId: string): Promise<number> {
    const docs = await this.store.media
      .find({ ownerId, status: { $ne: 'failed' } }, { projection: { sizeBytes: 1 } })
      .toArray();
    return docs.reduce((sum, doc) => sum + doc.sizeBytes, 0);
  }

  /**
   * The most bytes this upload may have: the size limit, or what is left of the quota. A size
   * known in advance (a declared length) is refused at once when it does not fit.
   */
  async allowance(ownerId: string, knownSize?: number): Promise<number> {
    const { maxUploadBytes, quotaBytes } = this.settings;
    if (knownSize !== undefined && knownSize > maxUploadBytes) throw new MediaTooLargeError(maxUploadBytes);
    const used = await this.usedBytes(ownerId);
    const left = quotaBytes - used;
    if (left <= 0 || (knownSize !== undefined && knownSize > left)) {
      throw new QuotaExceededError(quotaBytes, used);
    }
    return Math.min(maxUploadBytes, left);
  }

  /** The error for bytes beyond an allowance: the size limit, or the quota when it was smaller. */
  async overAllowance(ownerId: string): Promise<Error> {
    const used = await this.usedBytes(ownerId);
    return this.settings.quotaBytes - used < this.settings.maxUploadBytes
      ? new QuotaExceededError(this.settings.quotaBytes, used)
      : new MediaTooLargeError(this.settings.maxUploadBytes);
  }
}
