import type { Request } from 'express';
import { MediaNotFoundError, MediaStateError, MediaTooLargeError } from '../errors';
import { newMediaId } from '../ids';
import type { Processing } from '../processing/processing';
import type { MediaStorage } from '../storage';
import type { MediaDoc, MediaStore } from '../store';
import { newMediaDoc } from '../media/view';
import type { Quotas } from './quotas';
import { LimitExceeded, streamIntoBlob } from './stream-upload';

export interface UploadDeps {
  store: MediaStore;
  storage: MediaStorage;
  quotas: Quotas;
  processing: Processing;
  uploadLinkSeconds: number;
}

/** Both ways in: a body streamed through the service, and blocks written straight to storage. */
export class Uploads {
  constructor(private readonly deps: UploadDeps) {}

  /** Streams the request body into storage, refusing it the moment it passes the allowance. */
  async streamed(req: Request, ownerId: string, fileName: string, declaredType: string): Promise<MediaDoc> {
    const { store, storage, quotas, processing } = this.deps;
    await quotas.checkRate(ownerId);
    const length = req.get('content-length');
    const allowance = await quotas.allowance(ownerId, length === undefined ? undefined : Number(length));
    const doc = newMediaDoc({
      _id: newMediaId(),
      ownerId,
      status: 'uploading',
      fileName,
      declaredType,
      sizeBytes: 0,
    });
    await store.media.insertOne(doc);
    let sizeBytes: number;
    try {
      sizeBytes = await streamIntoBlob(req, storage.original(doc._id), allowance);
      if (sizeBytes === 0) throw new MediaStateError('MEDIA_EMPTY', 'The upload has no bytes.');
    } catch (err) {
      await this.discard(doc._id);
      if (err instanceof LimitExceeded) throw await quotas.overAllowance(ownerId);
      throw err;
    }
    return (await processing.uploaded(doc._id, sizeBytes)) ?? doc;
  }

  /** Opens a direct upload: a record for the declared size and a write-only link to one blob. */
  async createDirect(ownerId: string, input: { fileName: string; contentType: string; sizeBytes: number }) {
    const { store, storage, quotas, uploadLinkSeconds } = this.deps;
    await quotas.checkRate(ownerId);
    await quotas.allowance(ownerId, input.sizeBytes);
    const _id = newMediaId();
    const link = await storage.uploadLink(_id, uploadLinkSeconds);
    const doc = newMediaDoc({
      _id,
      ownerId,
      status: 'pending',
      fileName: input.fileName,
      declaredType: input.contentType,
      sizeBytes: input.sizeBytes,
      uploadExpiresAt: new Date(link.expiresAt),
    });
    await store.media.insertOne(doc);
    return { doc, link };
  }

  /** A fresh write link for an open upload whose link expired (to resume after a long break). */
  async renewLink(ownerId: string, mediaId: string) {
    await this.requirePending(ownerId, mediaId);
    const link = await this.deps.storage.uploadLink(mediaId, this.deps.uploadLinkSeconds);
    await this.deps.store.media.updateOne(
      { _id: mediaId, status: 'pending' },
      { $set: { uploadExpiresAt: new Date(link.expiresAt) } },
    );
    return link;
  }

  /** Which blocks storage holds, so a client resumes after a broken connection. */
  async blocks(ownerId: string, mediaId: string) {
    await this.requirePending(ownerId, mediaId);
    return this.deps.storage.blocks(mediaId);
  }

  /**
   * Commits the listed blocks and hands the upload to processing. The blocks must all be staged
   * and add up to no more than was declared; a file that came out larger is refused and removed.
   * Completing a completed upload answers as the first time did.
   */
  async complete(ownerId: string, mediaId: string, blockIds: string[]): Promise<MediaDoc> {
    const doc = await this.owned(ownerId, mediaId);
    if (doc.status !== 'pending') return doc;
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
    await storage.original(mediaId).commitBlockList(blockIds, {
      blobHTTPHeaders: { blobContentType: 'application/octet-stream', blobContentDisposition: 'attachment' },
    });
    // The link also allows committing directly; whatever is stored now is what counts.
    const stored = (await storage.original(mediaId).getProperties()).contentLength ?? 0;
    if (stored > doc.sizeBytes) {
      await storage.remove(mediaId);
      throw new MediaTooLargeError(doc.sizeBytes);
    }
    return (await this.deps.processing.uploaded(mediaId, stored)) ?? (await this.owned(ownerId, mediaId));
  }

  private async owned(ownerId: string, mediaId: string): Promise<MediaDoc> {
    const doc = await this.deps.store.media.findOne({ _id: mediaId });
    if (!doc || doc.ownerId !== ownerId || doc.deleting) throw new MediaNotFoundError(mediaId);
    return doc;
  }

  private async requirePending(ownerId: string, mediaId: string): Promise<MediaDoc> {
    const doc = await this.owned(ownerId, mediaId);
    if (doc.status !== 'pending') {
      throw new MediaStateError('MEDIA_UPLOAD_CLOSED', 'This upload is already complete.', {
        status: doc.status,
      });
    }
    return doc;
  }

  /** Forgets an upload that never completed: its record and whatever reached storage. */
  private async discard(mediaId: string): Promise<void> {
    await this.deps.storage.remove(mediaId).catch(() => undefined);
    await this.deps.store.media.deleteOne({ _id: mediaId, status: 'uploading' });
  }
}
