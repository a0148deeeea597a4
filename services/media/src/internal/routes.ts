import { parse } from '@parley/service-kit';
import { Router } from 'express';
import { z } from 'zod';
import { MediaNotFoundError, MediaStateError } from '../errors';
import { mediaId, userId } from '../ids';
import type { Processing } from '../processing/processing';
import { noteSending } from '../cleanup/references';
import type { MediaDoc, MediaStore } from '../store';

const mediaParams = z.object({ mediaId }).strict();
const attachBody = z.object({ userId }).strict();
const conversationId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const groupPictureBody = z.object({ userId, conversationId }).strict();
const groupPictureParams = z.object({ mediaId, conversationId }).strict();

/** Chat names the send claiming the media; one from before sends were named names none. */
const claimBody = z
  .object({
    userId,
    send: z
      .object({
        conversationId,
        clientMessageId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
      })
      .strict()
      .optional(),
  })
  .strict();

const blobName = z.string().min(1).max(128);
const processingResult = z.discriminatedUnion('status', [
  z
    .object({
      mediaId,
      status: z.literal('ready'),
      kind: z.enum(['image', 'video', 'audio', 'file']),
      contentType: z.string().min(1).max(255),
      detectedType: z.string().min(1).max(255),
      downloadOnly: z.boolean(),
      width: z.number().int().positive().nullable(),
      height: z.number().int().positive().nullable(),
      durationMs: z.number().int().nonnegative().nullable(),
      blobs: z
        .object({ file: blobName, thumbnail: blobName.nullable(), preview: blobName.nullable() })
        .strict(),
    })
    .strict(),
  z
    .object({
      mediaId,
      status: z.literal('failed'),
      failureCode: z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/),
      failureMessage: z.string().max(1_000),
    })
    .strict(),
]);

/**
 * Media that may become a picture (a profile's or a group's): the user's own, uploaded, and an
 * image, or not yet known not to be one (an image still processing). Anything else is not found,
 * or `MEDIA_NOT_AN_IMAGE`.
 */
async function ownImage(store: MediaStore, id: string, userId: string, what: string): Promise<MediaDoc> {
  const doc = await store.media.findOne({ _id: id });
  if (!doc || doc.deleting || doc.ownerId !== userId || doc.status === 'uploading') {
    throw new MediaNotFoundError(id);
  }
  if (doc.status === 'failed' || (doc.kind !== null && doc.kind !== 'image')) {
    throw new MediaStateError('MEDIA_NOT_AN_IMAGE', `${what} must be an image.`, { mediaId: doc._id });
  }
  return doc;
}

/** What other services ask: chat checks an attachment, the worker reports a processing result. */
export function internalRoutes(store: MediaStore, processing: Processing): Router {
  const router = Router();

  /**
   * Chat asks this before it stores a message carrying the media: only the owner may attach it,
   * and media that failed processing cannot be attached. The answer tells its current status.
   */
  router.post('/internal/v1/media/:mediaId/attach', async (req, res) => {
    const params = parse(mediaParams, req.params, 'params');
    const body = parse(claimBody, req.body, 'body');
    const doc = await store.media.findOne({ _id: params.mediaId });
    if (!doc || doc.deleting || doc.ownerId !== body.userId || doc.status === 'uploading') {
      throw new MediaNotFoundError(params.mediaId);
    }
    if (doc.status === 'failed') {
      throw new MediaStateError('MEDIA_FAILED', 'This media failed processing.', { mediaId: doc._id });
    }
    if (body.send) await noteSending(store, doc._id, body.send);
    // Deleted between the read and the note (its last message went): not to be attached.
    const after = await store.media.findOne({ _id: doc._id }, { projection: { deleting: 1 } });
    if (!after || after.deleting) throw new MediaNotFoundError(params.mediaId);
    res.json({ mediaId: doc._id, status: doc.status });
  });

  /**
   * Auth asks this when a user picks a profile picture: only an image of their own that did not
   * fail. It becomes their one avatar (a former one stops being one).
   */
  router.post('/internal/v1/media/:mediaId/avatar', async (req, res) => {
    const params = parse(mediaParams, req.params, 'params');
    const body = parse(attachBody, req.body, 'body');
    const doc = await ownImage(store, params.mediaId, body.userId, 'A profile picture');
    await store.media.updateMany(
      { ownerId: body.userId, avatarOf: body.userId, _id: { $ne: doc._id } },
      { $set: { avatarOf: null } },
    );
    await store.media.updateOne({ _id: doc._id }, { $set: { avatarOf: body.userId } });
    res.json({ mediaId: doc._id, status: doc.status });
  });

  /**
   * Chat asks this when a group's admin picks its picture: only an image of their own that did not
   * fail. Its thumbnail and preview are then visible to every signed-in user, as a profile
   * picture's are, and it is not deleted while it is a group's picture.
   */
  router.post('/internal/v1/media/:mediaId/group-picture', async (req, res) => {
    const params = parse(mediaParams, req.params, 'params');
    const body = parse(groupPictureBody, req.body, 'body');
    const doc = await ownImage(store, params.mediaId, body.userId, 'A group picture');
    await store.media.updateOne({ _id: doc._id }, { $addToSet: { pictureOf: body.conversationId } });
    // Deleted between the read and the write (its last message went): not to be the picture.
    const after = await store.media.findOne({ _id: doc._id }, { projection: { deleting: 1 } });
    if (!after || after.deleting) throw new MediaNotFoundError(params.mediaId);
    res.json({ mediaId: doc._id, status: doc.status });
  });

  /** The media is the group's picture no more. */
  router.delete('/internal/v1/media/:mediaId/group-picture/:conversationId', async (req, res) => {
    const params = parse(groupPictureParams, req.params, 'params');
    await store.media.updateOne({ _id: params.mediaId }, { $pull: { pictureOf: params.conversationId } });
    res.status(204).end();
  });

  /** The user has no profile picture any more. */
  router.delete('/internal/v1/users/:userId/avatar', async (req, res) => {
    const params = parse(z.object({ userId }).strict(), req.params, 'params');
    await store.media.updateMany(
      { ownerId: params.userId, avatarOf: params.userId },
      { $set: { avatarOf: null } },
    );
    res.status(204).end();
  });

  router.post('/internal/v1/media/:mediaId/result', async (req, res) => {
    const params = parse(mediaParams, req.params, 'params');
    const result = parse(processingResult, req.body, 'body');
    if (result.mediaId !== params.mediaId) throw new MediaNotFoundError(params.mediaId);
    const doc = await processing.recordResult(result);
    if (!doc || doc.deleting) throw new MediaNotFoundError(params.mediaId);
    res.json({ mediaId: doc._id, status: doc.status });
  });

  return router;
}
