import { UnauthorizedError, safeEqual } from '@parley/service-kit';
import type { RequestHandler } from 'express';

/** Operator endpoints take `Authorization: Bearer <OPS_TOKEN>`. */
export function requireOpsToken(token: string): RequestHandler {
  return (req, _res, next) => {
    // The scheme in any case, as HTTP defines it; the token is compared as written.
    const presented = /^bearer +(.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
    if (presented && safeEqual(presented, token)) {
      next();
      return;
    }
    next(new UnauthorizedError('OPS_TOKEN_REQUIRED', 'This endpoint requires the operator token.'));
  };
}
