import { UnauthorizedError, safeEqual } from '@parley/service-kit';
import type { RequestHandler } from 'express';

/** Operator endpoints take `Authorization: Bearer <OPS_TOKEN>`. */
export function requireOpsToken(token: string): RequestHandler {
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (presented && safeEqual(presented, token)) {
      next();
      return;
    }
    next(new UnauthorizedError('OPS_TOKEN_REQUIRED', 'This endpoint requires the operator token.'));
  };
}
