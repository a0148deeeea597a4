import type { ErrorRequestHandler } from 'express';
import { UploadRateLimitedError } from '../errors';

/** Adds `Retry-After` to a rate-limit refusal; the problem document itself is written later. */
export function retryAfterHeader(): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (err instanceof UploadRateLimitedError) res.set('retry-after', String(err.retryAfterSeconds));
    next(err);
  };
}
