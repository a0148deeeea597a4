import { parse } from '@parley/service-kit';
import { Router } from 'express';
import { z } from 'zod';
import { mediaId, userId } from '../ids';
import type { ChatStore } from '../store';
import { memberKey } from '../store';

const viewerParams = z.object({ mediaId, userId }).strict();

/** Conversations looked at per check: media is rarely shared in more. */
const MAX_CONVERSATIONS = 500;

/**
 * `GET /internal/v1/media/:mediaId/viewers/:userId`: whether the user is a member of a
 * conversation where a live (not deleted) message carries the media. The media service asks
 * this before it hands anyone but the owner a link.
 */
export function mediaViewerRoutes(store: ChatStore): Router {
  const router = Router();
  router.get('/internal/v1/media/:mediaId/viewers/:userId', async (req, res) => {
    const params = parse(viewerParams, req.params, 'params');
    const carriers = await store.messages
      .find({ 'attachments.mediaId': params.mediaId, deletedAt: null }, { projection: { conversationId: 1 } })
      .limit(MAX_CONVERSATIONS)
      .toArray();
    const conversationIds = [...new Set(carriers.map((m) => m.conversationId))];
    const memberships =
      conversationIds.length === 0
        ? 0
        : await store.members.countDocuments({
            _id: { $in: conversationIds.map((c) => memberKey(c, params.userId)) },
          });
    res.json({ visible: memberships > 0 });
  });
  return router;
}
