import { type RequestHandler, Router } from 'express';
import { conversationId, messageId } from './ids';

/**
 * A router for the user-facing resources. `guard` establishes `req.principal` on each matched
 * route (token check publicly, the trusted path internally), so an unknown path is a 404 rather
 * than a 401. A path whose id is malformed matches no route either.
 */
export function resourceRouter(guard: RequestHandler): { router: Router; guard: RequestHandler } {
  const router = Router();
  router.param('conversationId', (_req, _res, next, value) => {
    next(conversationId.safeParse(value).success ? undefined : 'route');
  });
  router.param('messageId', (_req, _res, next, value) => {
    next(messageId.safeParse(value).success ? undefined : 'route');
  });
  return { router, guard };
}
