import { principalOf } from '@parley/identity';
import { parse, takesNoInput } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { contentDisposition } from '@parley/workflows';
import { mediaId } from '../ids';
import type { Library, Rendition } from './library';
import { mediaView } from './view';

const mediaParams = z.object({ mediaId }).strict();
const RENDITIONS: readonly Rendition[] = ['download', 'thumbnail', 'preview'];

/** Reading media: status for the uploader and viewers, links, and the file served through. */
export function mediaRoutes(library: Library, guard: RequestHandler): Router {
  const router = Router();

  router.get('/media/:mediaId', guard, takesNoInput(), async (req, res) => {
    const params = parse(mediaParams, req.params, 'params');
    res.json(mediaView(await library.requireVisible(principalOf(req).userId, params.mediaId)));
  });

  for (const rendition of RENDITIONS) {
    router.get(`/media/:mediaId/${rendition}`, guard, takesNoInput(), async (req, res) => {
      const params = parse(mediaParams, req.params, 'params');
      const link = await library.link(principalOf(req).userId, params.mediaId, rendition);
      res.set('cache-control', 'no-store').json(link);
    });
  }

  router.get('/media/:mediaId/content', guard, takesNoInput(), async (req, res) => {
    const params = parse(mediaParams, req.params, 'params');
    const { doc, body, length } = await library.content(principalOf(req).userId, params.mediaId);
    res.status(200).set({
      'content-type': doc.downloadOnly ? 'application/octet-stream' : doc.contentType!,
      ...(length === undefined ? {} : { 'content-length': String(length) }),
      'content-disposition': contentDisposition(false, doc.fileName),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, no-store',
    });
    body.once('error', (err) => {
      req.log.warn({ err, mediaId: doc._id }, 'media content stream failed');
      res.destroy(err);
    });
    body.pipe(res);
  });

  return router;
}
