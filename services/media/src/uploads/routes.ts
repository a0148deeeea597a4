import { principalOf } from '@parley/identity';
import { noQuery, parse, takesNoInput } from '@parley/service-kit';
import {
  DECLARED_LENGTH_HEADER,
  DEFAULT_UPLOAD_TYPE,
  declaredLength,
  mediaType,
  streamUploadQuery,
} from '@parley/contracts';
import { type Request, type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { mediaId } from '../ids';
import { mediaView } from '../media/view';
import { completeUploadBody, directUploadBody } from './schemas';
import { lingerThenClose } from './stream-upload';
import type { Uploads } from './uploads';

const mediaParams = z.object({ mediaId }).strict();

/** The path whose body the service reads itself, as a stream, instead of parsing it as JSON. */
export const STREAM_UPLOAD_PATH = '/v1/media';

/** Uploading: streamed through the service, or straight to storage with a write link. */
export function uploadRoutes(uploads: Uploads, guard: RequestHandler): Router {
  const router = Router();

  router.post('/media', guard, async (req, res) => {
    let declaredBytes: number | undefined;
    try {
      declaredBytes = declaredLengthOf(req);
      const { fileName } = parse(streamUploadQuery, req.query, 'query');
      const declared = parse(
        mediaType,
        req.get('content-type') ?? DEFAULT_UPLOAD_TYPE,
        'headers.content-type',
      );
      const doc = await uploads.streamed(req, principalOf(req).userId, {
        fileName,
        declaredType: declared,
        declaredBytes,
      });
      res.status(201).location(`/api/v1/media/${doc._id}`).json(mediaView(doc));
    } catch (err) {
      // Refused before the body was read through (a bad name, the quota): the rest is dropped
      // until the answer is out, as for a body refused halfway.
      lingerThenClose(req, declaredBytes);
      throw err;
    }
  });

  router.post('/media/uploads', guard, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const body = parse(directUploadBody, req.body, 'body');
    const { doc, link } = await uploads.createDirect(principalOf(req).userId, body);
    res
      .status(201)
      .location(`/api/v1/media/${doc._id}`)
      .json({ media: mediaView(doc), upload: uploadInstructions(link) });
  });

  router.post('/media/:mediaId/upload-link', guard, takesNoInput(), async (req, res) => {
    const params = parse(mediaParams, req.params, 'params');
    res.json(uploadInstructions(await uploads.renewLink(principalOf(req).userId, params.mediaId)));
  });

  router.get('/media/:mediaId/blocks', guard, takesNoInput(), async (req, res) => {
    const params = parse(mediaParams, req.params, 'params');
    res.json(await uploads.blocks(principalOf(req).userId, params.mediaId));
  });

  router.post('/media/:mediaId/complete', guard, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const params = parse(mediaParams, req.params, 'params');
    const { blockIds } = parse(completeUploadBody, req.body, 'body');
    const doc = await uploads.complete(principalOf(req).userId, params.mediaId, blockIds);
    res.status(202).json(mediaView(doc));
  });

  return router;
}

/**
 * The length declared for a streamed body: the gateway's header, since the sidecars may forward the
 * body chunked without its `Content-Length` (an empty one always), else `Content-Length`.
 */
function declaredLengthOf(req: Request): number | undefined {
  const forwarded = req.get(DECLARED_LENGTH_HEADER);
  if (forwarded !== undefined) return parse(declaredLength, forwarded, `headers.${DECLARED_LENGTH_HEADER}`);
  const length = req.get('content-length');
  return length === undefined ? undefined : Number(length);
}

/** How a client writes blocks with the link (Azure's Put Block, then `complete` here). */
function uploadInstructions(link: { url: string; expiresAt: string }) {
  return {
    url: link.url,
    expiresAt: link.expiresAt,
    method: 'PUT',
    blockQuery: 'comp=block&blockid=<base64 id>',
    maxBlockBytes: 100 * 1024 * 1024,
  };
}
