import { principalOf } from '@parley/identity';
import { abandonedSignal, noBody, noQuery, parse, takesNoInput } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import { conversationParams } from '../conversations/schemas';
import { editMessageBody, historyQuery, messageParams, reactionParams, sendMessageBody } from './schemas';
import type { Messages } from './service';

/** Sending and reading messages of a conversation, and changing one message. */
export function messageRoutes(messages: Messages, guard: RequestHandler): Router {
  // Each route checks its token first, then its ids: a malformed id is a 400, not an unknown path.
  const router = Router();

  router.post('/conversations/:conversationId/messages', guard, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { conversationId } = parse(conversationParams, req.params, 'params');
    const body = parse(sendMessageBody, req.body, 'body');
    const { message, duplicate } = await messages.send(
      principalOf(req).userId,
      conversationId,
      body,
      abandonedSignal(res),
    );
    res.status(duplicate ? 200 : 201).json(message);
  });

  router.get('/conversations/:conversationId/messages', guard, async (req, res) => {
    parse(noBody, req.body, 'body');
    const { conversationId } = parse(conversationParams, req.params, 'params');
    const query = parse(historyQuery, req.query, 'query');
    res.json(await messages.history(principalOf(req).userId, conversationId, query));
  });

  router.get('/messages/:messageId', guard, takesNoInput(), async (req, res) => {
    const { messageId } = parse(messageParams, req.params, 'params');
    res.json(await messages.get(principalOf(req).userId, messageId));
  });

  router.patch('/messages/:messageId', guard, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { messageId } = parse(messageParams, req.params, 'params');
    const body = parse(editMessageBody, req.body, 'body');
    res.json(await messages.edit(principalOf(req).userId, messageId, body));
  });

  router.delete('/messages/:messageId', guard, takesNoInput(), async (req, res) => {
    const { messageId } = parse(messageParams, req.params, 'params');
    res.json(await messages.remove(principalOf(req).userId, messageId));
  });

  router.put('/messages/:messageId/reactions/:emoji', guard, takesNoInput(), async (req, res) => {
    const { messageId, emoji } = parse(reactionParams, req.params, 'params');
    res.json(await messages.react(principalOf(req).userId, messageId, emoji, true));
  });

  router.delete('/messages/:messageId/reactions/:emoji', guard, takesNoInput(), async (req, res) => {
    const { messageId, emoji } = parse(reactionParams, req.params, 'params');
    res.json(await messages.react(principalOf(req).userId, messageId, emoji, false));
  });

  return router;
}
