import { parse } from '@parley/service-kit';
import { Router } from 'express';
import { z } from 'zod';
import type { Conversations } from '../conversations/service';
import { userId } from '../ids';

const userParams = z.object({ userId }).strict();
const sessionHeader = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/)
  .optional();

/**
 * `/internal/v1/users/:userId/...`: the same resources as `/v1`, for a caller that already
 * verified the user (the gateway's real-time layer, holding a verified socket). Only sidecars
 * reach `/internal` (the app token), so the user id in the path is trusted; the device is the
 * `x-parley-session` header.
 */
export function actingAs(): Router {
  const router = Router({ mergeParams: true });
  router.use((req, _res, next) => {
    const params = parse(userParams, { userId: req.params.userId }, 'params');
    const sessionId = parse(sessionHeader, req.get('x-parley-session'), 'headers.x-parley-session');
    req.principal = { userId: params.userId, sessionId: sessionId ?? 'internal', roles: [] };
    next();
  });
  return router;
}

/** What only other services ask: a user's conversations and presence audience. */
export function internalRoutes(conversations: Conversations): Router {
  const router = Router();

  router.get('/internal/v1/users/:userId/conversation-ids', async (req, res) => {
    const params = parse(userParams, req.params, 'params');
    const cursors = await conversations.cursorsOf(params.userId);
    // `conversationIds` for callers that need only ids; `conversations` adds each one's last seq.
    res.json({ conversationIds: cursors.map((c) => c.id), conversations: cursors });
  });

  router.get('/internal/v1/users/:userId/audience', async (req, res) => {
    const params = parse(userParams, req.params, 'params');
    res.json(await conversations.audienceOf(params.userId));
  });

  return router;
}
