import { principalOf } from '@parley/identity';
import { noQuery, parse, takesNoInput } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import { conversationParams } from '../conversations/schemas';
import { messageParams, receiptBody } from '../messages/schemas';
import type { Receipts } from './service';

export function receiptRoutes(receipts: Receipts, guard: RequestHandler): Router {
  // Each route checks its token first, then its ids: a malformed id is a 400, not an unknown path.
  const router = Router();

  /** A device acknowledges delivery, or the member moves the read cursor. */
  router.post('/conversations/:conversationId/receipts', guard, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { conversationId } = parse(conversationParams, req.params, 'params');
    const { kind, seq } = parse(receiptBody, req.body, 'body');
    const principal = principalOf(req);
    res.json(await receipts.mark(principal.userId, conversationId, kind, seq, principal.sessionId));
  });

  router.get('/messages/:messageId/receipts', guard, takesNoInput(), async (req, res) => {
    const { messageId } = parse(messageParams, req.params, 'params');
    res.json(await receipts.summary(principalOf(req).userId, messageId));
  });

  return router;
}
