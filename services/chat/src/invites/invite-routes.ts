import { parse } from '@parley/service-kit';
import { Router } from 'express';
import { z } from 'zod';
import type { Conversations } from '../conversations/service';
import { conversationId, userId } from '../ids';

const admissionParams = z.object({ conversationId, userId }).strict();
const conversationParams = z.object({ conversationId }).strict();
const invitedMemberBody = z
  .object({
    userId,
    inviteId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    inviterId: userId,
    approverId: userId.nullable(),
  })
  .strict();

/**
 * What the notification service and its invite workflow ask (only sidecars reach `/internal`):
 * a group's join rule with one user's role, and adding the invitee of an accepted invite.
 */
export function inviteRoutes(conversations: Conversations): Router {
  const router = Router();

  router.get('/internal/v1/conversations/:conversationId/admission/:userId', async (req, res) => {
    const params = parse(admissionParams, req.params, 'params');
    res.json(await conversations.admission(params.conversationId, params.userId));
  });

  router.post('/internal/v1/conversations/:conversationId/invited-members', async (req, res) => {
    const params = parse(conversationParams, req.params, 'params');
    const body = parse(invitedMemberBody, req.body, 'body');
    const result = await conversations.addByInvite(params.conversationId, body);
    req.log.info(
      { conversationId: params.conversationId, inviteId: body.inviteId, ...result },
      'invitee joined',
    );
    res.json({ conversationId: params.conversationId, userId: body.userId, ...result });
  });

  return router;
}
