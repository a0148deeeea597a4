import { AppError } from '@parley/service-kit';
import type { NextFunction, Request, Response } from 'express';
import { closeAfterEarlyAnswer } from './early-answer';

/**
 * Refuses a streamed upload (`POST /api/v1/media`) whose declared `Content-Length` passes the
 * media service's limit, before any of its body is forwarded. The media service refuses it just
 * as fast, but the sidecars pass an answer on only once the request body has ended: a client
 * that declared 200 MiB and sends slowly, or stops, would wait for its body or a timeout. The
 * code and wording are the media service's own, so the client sees one refusal either way.
 */
export function refuseDeclaredOversize(maxUploadBytes: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const declared = Number(req.get('content-length'));
    // `/media/` reaches the same route (routing is not strict about a trailing slash).
    const path = req.path.replace(/\/+$/, '');
    if (req.method !== 'POST' || path !== '/media' || !(declared > maxUploadBytes)) {
      next();
      return;
    }
    closeAfterEarlyAnswer(req, res);
    throw new AppError(
      'MEDIA_TOO_LARGE',
      413,
      `The file is larger than the ${maxUploadBytes} bytes accepted.`,
      { limitBytes: maxUploadBytes },
    );
  };
}
