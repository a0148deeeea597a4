import { DEFAULT_UPLOAD_TYPE, mediaType, streamUploadQuery } from '@parley/contracts';
import { type TokenVerifier, bearerToken } from '@parley/identity';
import { UnauthorizedError, parse } from '@parley/service-kit';
import type { NextFunction, Request, Response } from 'express';
import { closeAfterEarlyAnswer } from './early-answer';

/**
 * Applies to a streamed upload (`POST /api/v1/media`) what the media service checks before it
 * reads the body: the access token, the file name and the declared type, with media's own
 * schemas, codes and wording. The sidecars relay media's refusal only once the body has ended, so
 * without this a client that sent part of a body and stopped waited for a timeout, and one without
 * a token had its body carried through the gateway. A refused upload is answered at once; what the
 * client still sends is read and dropped, never held, and the connection is closed after the answer.
 */
export function refuseUnfitUpload(verifier: TokenVerifier) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // Mounted under `/api/v1`, where `/media/` reaches the same route as `/media`.
    if (req.method !== 'POST' || req.path.replace(/\/+$/, '') !== '/media') {
      next();
      return;
    }
    checkUpload(req, verifier).then(
      () => next(),
      (err: unknown) => {
        // The connection ends after the answer, with the linger that lets a client still
        // sending read the refusal before the socket closes (see closeAfterEarlyAnswer).
        closeAfterEarlyAnswer(req, res);
        next(err);
      },
    );
  };
}

async function checkUpload(req: Request, verifier: TokenVerifier): Promise<void> {
  const token = bearerToken(req.get('authorization'));
  if (!token) throw new UnauthorizedError('AUTH_TOKEN_MISSING', 'This endpoint requires an access token.');
  await verifier.verify(token);
  parse(streamUploadQuery, req.query, 'query');
  parse(mediaType, req.get('content-type') ?? DEFAULT_UPLOAD_TYPE, 'headers.content-type');
}
