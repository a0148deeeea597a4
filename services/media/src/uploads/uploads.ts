import { setTimeout as delay } from 'node:timers/promises';
import { AppError } from '@parley/service-kit';
import type { Request } from 'express';
import { LongerThanDeclaredError, MediaNotFoundError, MediaStateError, MediaTooLargeError } from '../errors';
import { newMediaId } from '../ids';
import type { Processing } from '../processing/processing';
import { type BlobLink, type MediaStorage, StagedBlobChanged } from '../storage';
import type { MediaDoc, MediaStore } from '../store';
import { newMediaDoc } from '../media/view';
import type { Quotas, UploadClaim } from './quotas';
import { LimitExceeded, streamIntoBlob } from './stream-upload';

export interface UploadDeps {
  store: MediaStore;
  storage: MediaStorage;
  quotas: Quotas;
  processing: Processing;
  uploadLinkSeconds: number;
}

/** What the client said of a streamed upload; `declaredBytes` is absent for a chunked body. */
export interface StreamedUpload {
  fileName: string;
  declaredType: string;
  declaredBytes?: number | undefined;
}

/** How long a `complete` that lost to a concurrent one waits for its outcome, and how often it looks. */
const CONCURRENT_COMPLETE_WAIT_MS = 5_000;
const CONCURRENT_COMPLETE_POLL_MS = 100;

/** Both ways in: a body streamed through the service, and blocks written straight to storage. */
export class Uploads {
  constructor(private readonly deps: UploadDeps) {}

  /**
   * Streams the request body into storage, refusing it the moment it passes the allowance: its
   * declared length when it has one (all that was held for it), else the size limit or what is
   * left of the quota.
   */
  async streamed(req: Request, ownerId: string, upload: StreamedUpload): Promise<MediaDoc> {
    const { store, storage, quotas, processing } = this.deps;
    const { fileName, declaredType, declaredBytes } = upload;
    const claim = await quotas.claimUpload(ownerId);
    const _id = newMediaId();
    const hold = await quotas.reserve(ownerId, _id, declaredBytes).catch(giveBack(claim));
    // The bytes stay held until the record says the size, whatever happens to the upload.
    try {
      const doc = newMediaDoc({
        _id,
        ownerId,
        status: 'uploading',
        fileName,
        declaredType,
        sizeBytes: 0,
      });
      await store.media.insertOne(doc).catch(giveBack(claim));
      let sizeBytes: number;
      try {
        sizeBytes = await streamIntoBlob(req, storage.original(doc._id), hold.bytes);
        if (sizeBytes === 0) throw new MediaStateError('MEDIA_EMPTY', 'The upload has no bytes.');
      } catch (err) {
        await this.discard(doc._id);
        await claim.release();
        if (err instanceof LimitExceeded) {
          throw declaredBytes === undefined
            ? await quotas.overAllowance(ownerId)
            : new LongerThanDeclaredError(declaredBytes);
        }
        throw err;
      }
      return (await processing.uploaded(doc._id, sizeBytes)) ?? doc;
    } finally {
      await hold.release();
    }
  }

  /**
   * Opens a direct upload: a record for the declared size and a write-only link to its staging
   * blob. The link is recorded before it is handed out, so the sweep clears what it writes.
   */
  async createDirect(ownerId: string, input: { fileName: string; contentType: string; sizeBytes: number }) {
    const { store, quotas, uploadLinkSeconds } = this.deps;
    const claim = await quotas.claimUpload(ownerId);
    const _id = newMediaId();
    const hold = await quotas.reserve(ownerId, _id, input.sizeBytes).catch(giveBack(claim));
    // The record carries the declared size from the start: the hold is let go once it exists.
    try {
      const link = await this.issueLink(_id, uploadLinkSeconds).catch(giveBack(claim));
      const doc = newMediaDoc({
        _id,
        ownerId,
        status: 'pending',
        fileName: input.fileName,
        declaredType: input.contentType,
        sizeBytes: input.sizeBytes,
        uploadExpiresAt: new Date(link.expiresAt),
        uploadBlob: 'staging',
      });
      await store.media.insertOne(doc).catch(giveBack(claim));
      return { doc, link };
    } finally {
      await hold.release();
    }
  }

  /** A fresh write link for an open upload whose link expired (to resume after a long break). */
  async renewLink(ownerId: string, mediaId: string) {
    await this.requireOpen(ownerId, mediaId);
    const link = await this.issueLink(mediaId, this.deps.uploadLinkSeconds);
    await this.deps.store.media.updateOne(
      { _id: mediaId, status: 'pending' },
      { $set: { uploadExpiresAt: new Date(link.expiresAt) } },
    );
    return link;
  }

  /** Which blocks storage holds, so a client resumes after a broken connection. */
  async blocks(ownerId: string, mediaId: string) {
    await this.requireOpen(ownerId, mediaId);
    return this.deps.storage.blocks(mediaId);
  }

  /**
   * Commits the listed blocks on the staging blob, checks what it holds, copies it to the
   * original inside storage and hands that to processing. The blocks must all be staged and add
   * up to no more than was declared; a file that came out larger is refused and removed. The
   * link keeps working until it expires, but from here on it only writes a blob nobody reads.
   * Completing a completed upload answers as the first time did.
   */
  async complete(ownerId: string, mediaId: string, blockIds: string[]): Promise<MediaDoc> {
    const doc = await this.owned(ownerId, mediaId);
    if (doc.status !== 'pending') return doc;
    requireStaging(doc);
    try {
      return await this.commitAndHandOver(doc, blockIds);
    } catch (err) {
      // A concurrent `complete` may have handed the upload over and cleared its staging blob.
      const now = await this.owned(ownerId, mediaId);
      if (now.status !== 'pending') return now;
      // Or it is handing it over: its commit of the same blocks changed the blob's version after
      // this one's, so only its copy goes through. Its outcome is this call's too.
      if (err instanceof AppError && err.code === 'MEDIA_UPLOAD_CHANGED') {
        for (let waited = 0; waited < CONCURRENT_COMPLETE_WAIT_MS; waited += CONCURRENT_COMPLETE_POLL_MS) {
          await delay(CONCURRENT_COMPLETE_POLL_MS);
          const later = await this.owned(ownerId, mediaId);
          if (later.status !== 'pending') return later;
        }
      }
      throw err;
    }
  }

  private async commitAndHandOver(doc: MediaDoc, blockIds: string[]): Promise<MediaDoc> {
    const mediaId = doc._id;
    const { storage } = this.deps;
    const staged = await storage.blocks(mediaId);
    const sizes = new Map([...staged.committed, ...staged.uncommitted].map((b) => [b.blockId, b.sizeBytes]));
    const missing = blockIds.filter((id) => !sizes.has(id));
    if (missing.length > 0) {
      throw new MediaStateError('MEDIA_BLOCKS_MISSING', 'Some listed blocks were never uploaded.', {
        blockIds: missing.slice(0, 20),
      });
    }
    const total = blockIds.reduce((sum, id) => sum + sizes.get(id)!, 0);
    if (total > doc.sizeBytes) throw new MediaTooLargeError(doc.sizeBytes);
    if (total === 0) throw new MediaStateError('MEDIA_EMPTY', 'The upload has no bytes.');
    const committed = await storage.commitStaged(mediaId, blockIds);
    if (committed.sizeBytes > doc.sizeBytes) {
      await storage.discardStaged(mediaId);
      throw new MediaTooLargeError(doc.sizeBytes);
    }
    let stored: number;
    try {
      stored = await storage.promoteStaged(mediaId, committed.etag);
    } catch (err) {
      if (!(err instanceof StagedBlobChanged)) throw err;
      throw new MediaStateError('MEDIA_UPLOAD_CHANGED', 'The upload was written again while completing.');
    }
    if (stored > doc.sizeBytes || stored === 0) {
      await storage.remove(mediaId);
      throw stored === 0
        ? new MediaStateError('MEDIA_EMPTY', 'The upload has no bytes.')
        : new MediaTooLargeError(doc.sizeBytes);
    }
    const uploaded = await this.deps.processing.uploaded(mediaId, stored);
    // Anything the link writes from now on lands here too; the sweep clears it once it expired.
    await storage.discardStaged(mediaId).catch(() => undefined);
    return uploaded ?? (await this.owned(doc.ownerId, mediaId));
  }

  /** Signs a write link after recording it; a renewal only ever moves the expiry later. */
  private async issueLink(mediaId: string, seconds: number): Promise<BlobLink> {
    const expiresAt = new Date(Date.now() + seconds * 1000);
    await this.deps.store.uploadLinks.updateOne({ _id: mediaId }, { $max: { expiresAt } }, { upsert: true });
    return this.deps.storage.uploadLink(mediaId, expiresAt);
  }

  private async owned(ownerId: string, mediaId: string): Promise<MediaDoc> {
    const doc = await this.deps.store.media.findOne({ _id: mediaId });
    if (!doc || doc.ownerId !== ownerId || doc.deleting) throw new MediaNotFoundError(mediaId);
    return doc;
  }

  private async requireOpen(ownerId: string, mediaId: string): Promise<MediaDoc> {
    const doc = await this.owned(ownerId, mediaId);
    if (doc.status !== 'pending') {
      throw new MediaStateError('MEDIA_UPLOAD_CLOSED', 'This upload is already complete.', {
        status: doc.status,
      });
    }
    requireStaging(doc);
    return doc;
  }

  /** Forgets an upload that never completed: its record and whatever reached storage. */
  private async discard(mediaId: string): Promise<void> {
    await this.deps.storage.remove(mediaId).catch(() => undefined);
    await this.deps.store.media.deleteOne({ _id: mediaId, status: 'uploading' });
  }
}

/** Gives an hourly claim back when the upload it was for fails, then passes the failure on. */
function giveBack(claim: UploadClaim) {
  return async (err: unknown): Promise<never> => {
    await claim.release();
    throw err;
  };
}

/**
 * Refuses to go on with a direct upload opened before links covered a staging blob: its link
 * writes the original until it expires, so the original cannot be trusted before then. The
 * client starts a new upload; the sweep removes this one an hour after its link expired.
 */
function requireStaging(doc: MediaDoc): void {
  if (doc.uploadBlob === 'staging') return;
  throw new MediaStateError('MEDIA_UPLOAD_RESTART', 'This upload must be started again.', {
    expiresAt: doc.uploadExpiresAt?.toISOString() ?? null,
  });
}
