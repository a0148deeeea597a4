import { MongoServerError } from 'mongodb';
import type { MediaStore } from '../store';
import { MediaTooLargeError, QuotaExceededError, UploadRateLimitedError } from '../errors';

export interface QuotaSettings {
  maxUploadBytes: number;
  quotaBytes: number;
  uploadsPerHour: number;
}

const HOUR_MS = 60 * 60 * 1000;
/** How long bytes held for an upload count at most, should the service stop before letting go. */
const HOLD_MS = HOUR_MS;

/** An upload counted against its hour; given back when the upload is refused before it starts. */
export interface UploadClaim {
  release(): Promise<void>;
}

/**
 * Bytes held for an upload until its record carries its size: the most it may store, and the
 * release, which the caller calls once the record says the size (or the upload was refused). The
 * hold is keyed by the media id, so while both exist they count once, not twice.
 */
export interface BytesHold {
  bytes: number;
  release(): Promise<void>;
}

/**
 * Per-user limits: how many uploads start in a clock hour, and how many bytes a user keeps
 * stored. Uploads are counted in one document per user and hour, claimed atomically, so
 * concurrent requests cannot all pass. Bytes stored are summed from the media records, and an
 * upload whose record does not say its size yet holds its bytes in the user's holds document,
 * so concurrent uploads see each other. Both hold across instances of the service.
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
    const counted = await this.upsert(() =>
      this.store.uploadCounts.findOneAndUpdate(
        { _id },
        { $inc: { count: 1 }, $setOnInsert: { expiresAt } },
        { upsert: true, returnDocument: 'after' },
      ),
    );
    return counted!.count;
  }

  /** Runs an upsert, once more when a concurrent one inserted the document first. */
  private async upsert<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (err instanceof MongoServerError && err.code === 11000) return write();
      throw err;
    }
  }

  async usedBytes(ownerId: string): Promise<number> {
    const sizes = await this.storedSizes(ownerId);
    return [...sizes.values()].reduce((sum, size) => sum + size, 0);
  }

  /** The size each of the user's media records counts for, by media id. */
  private async storedSizes(ownerId: string): Promise<Map<string, number>> {
    const docs = await this.store.media
      .find({ ownerId, status: { $ne: 'failed' } }, { projection: { sizeBytes: 1 } })
      .toArray();
    return new Map(docs.map((doc) => [doc._id, doc.sizeBytes]));
  }

  /**
   * Holds the bytes of a new upload and says how many it may store. A size known in advance (a
   * declared length) is held, refused at once when it does not fit, and is all the upload may
   * store: bytes past it were never held. An unknown size holds the size limit and may store up
   * to it, or to what is left of the quota. The hold is written first and read back, and only
   * then are the stored bytes summed: of two concurrent uploads, the later one sees the other's
   * hold, or its record if the hold was already let go. An upload whose hold and record are
   * both seen (the record got its size, the hold is not let go yet) counts the larger of the two:
   * the record never says more than was held, and until the hold goes the upload may still need
   * all of it.
   */
  async reserve(ownerId: string, mediaId: string, knownSize?: number): Promise<BytesHold> {
    const { maxUploadBytes, quotaBytes } = this.settings;
    if (knownSize !== undefined && knownSize > maxUploadBytes) throw new MediaTooLargeError(maxUploadBytes);
    const id = mediaId;
    const now = new Date();
    const held = { bytes: knownSize ?? maxUploadBytes, until: new Date(now.getTime() + HOLD_MS) };
    const holds = await this.upsert(() =>
      this.store.uploadHolds.findOneAndUpdate(
        { _id: ownerId },
        { $set: { [`holds.${id}`]: held } },
        { upsert: true, returnDocument: 'after' },
      ),
    );
    const entries = Object.entries(holds?.holds ?? {});
    const stale = entries.filter(([, hold]) => hold.until < now).map(([key]) => `holds.${key}`);
    const release = async () => {
      const unset = Object.fromEntries([`holds.${id}`, ...stale].map((key) => [key, '' as const]));
      await this.store.uploadHolds.updateOne({ _id: ownerId }, { $unset: unset });
    };
    const stored = await this.storedSizes(ownerId);
    // Over what its record already counts, each other upload in flight adds what its hold says.
    const others = entries
      .filter(([key, hold]) => key !== id && hold.until >= now)
      .reduce((sum, [key, hold]) => sum + Math.max(0, hold.bytes - (stored.get(key) ?? 0)), 0);
    const used = [...stored.values()].reduce((sum, size) => sum + size, 0) + others;
    const left = quotaBytes - used;
    if (left <= 0 || (knownSize !== undefined && knownSize > left)) {
      await release();
      throw new QuotaExceededError(quotaBytes, used);
    }
    return { bytes: knownSize ?? Math.min(maxUploadBytes, left), release };
  }

  /** The error for bytes beyond an allowance: the size limit, or the quota when it was smaller. */
  async overAllowance(ownerId: string): Promise<Error> {
    const used = await this.usedBytes(ownerId);
    return this.settings.quotaBytes - used < this.settings.maxUploadBytes
      ? new QuotaExceededError(this.settings.quotaBytes, used)
      : new MediaTooLargeError(this.settings.maxUploadBytes);
  }
}
