import { parse } from '@parley/service-kit';
import { Router } from 'express';
import { z } from 'zod';
import { messageId } from '../ids';
import { messageView } from '../messages/view';
import type { ChatStore } from '../store';

const historyQuery = z
  .object({
    after: messageId.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(500),
  })
  .strict();

/**
 * `GET /internal/v1/messages?after=&limit=`: every stored message (tombstones included), in id
 * order, a page at a time, as events carry them. For the search service's index rebuild; only
 * sidecars reach `/internal`. The first page also tells how many there are.
 */
export function messageHistoryRoutes(store: ChatStore): Router {
  const router = Router();
  router.get('/internal/v1/messages', async (req, res) => {
    const { after, limit } = parse(historyQuery, req.query, 'query');
    const docs = await store.messages
      .find(after ? { _id: { $gt: after } } : {})
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    res.json({
      items: docs.map(messageView),
      next: docs.length === limit ? (docs.at(-1)?._id ?? null) : null,
      ...(after ? {} : { total: await store.messages.countDocuments({}) }),
    });
  });
  return router;
}
