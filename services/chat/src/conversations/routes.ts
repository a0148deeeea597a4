import { principalOf } from '@parley/identity';
import { noBody, noQuery, parse, takesNoInput } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import {
  addMembersBody,
  conversationParams,
  createConversationBody,
  listConversationsQuery,
  memberParams,
  ownerBody,
  roleBody,
  settingsBody,
  updateConversationBody,
} from './schemas';
import type { Conversations } from './service';

/** `/conversations`: create, list, read, change, and manage members. The caller is `req.principal`. */
export function conversationRoutes(conversations: Conversations, guard: RequestHandler): Router {
  // Each route checks its token first, then its ids: a malformed id is a 400, not an unknown path.
  const router = Router();

  router.post('/conversations', guard, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { userId } = principalOf(req);
    const body = parse(createConversationBody, req.body, 'body');
    if (body.type === 'direct') {
      const { view, created } = await conversations.openDirect(userId, body.userId);
      res.status(created ? 201 : 200).json(view);
      return;
    }
    res.status(201).json(await conversations.createGroup(userId, body, String(req.id)));
  });

  router.get('/conversations', guard, async (req, res) => {
    parse(noBody, req.body, 'body');
    const query = parse(listConversationsQuery, req.query, 'query');
    const archived = query.archived === undefined ? undefined : query.archived === 'true';
    const page = await conversations.list(principalOf(req).userId, {
      limit: query.limit,
      before: query.before,
      ...(archived === undefined ? {} : { archived }),
    });
    res.json(page);
  });

  router.get('/conversations/:conversationId', guard, takesNoInput(), async (req, res) => {
    const { conversationId } = parse(conversationParams, req.params, 'params');
    res.json(await conversations.get(principalOf(req).userId, conversationId));
  });

  router.patch('/conversations/:conversationId', guard, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { conversationId } = parse(conversationParams, req.params, 'params');
    const body = parse(updateConversationBody, req.body, 'body');
    res.json(await conversations.update(principalOf(req).userId, conversationId, body));
  });

  router.put('/conversations/:conversationId/settings', guard, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { conversationId } = parse(conversationParams, req.params, 'params');
    const body = parse(settingsBody, req.body, 'body');
    res.json(await conversations.setSettings(principalOf(req).userId, conversationId, body));
  });

  router.post('/conversations/:conversationId/members', guard, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { conversationId } = parse(conversationParams, req.params, 'params');
    const { userIds } = parse(addMembersBody, req.body, 'body');
    res.json(
      await conversations.addMembers(principalOf(req).userId, conversationId, userIds, String(req.id)),
    );
  });

  router.delete('/conversations/:conversationId/members/:userId', guard, takesNoInput(), async (req, res) => {
    const { conversationId, userId } = parse(memberParams, req.params, 'params');
    await conversations.removeMember(principalOf(req).userId, conversationId, userId);
    res.status(204).end();
  });

  router.patch('/conversations/:conversationId/members/:userId', guard, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { conversationId, userId } = parse(memberParams, req.params, 'params');
    const { role } = parse(roleBody, req.body, 'body');
    await conversations.setRole(principalOf(req).userId, conversationId, userId, role);
    res.json(await conversations.get(principalOf(req).userId, conversationId));
  });

  router.put('/conversations/:conversationId/owner', guard, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { conversationId } = parse(conversationParams, req.params, 'params');
    const { userId } = parse(ownerBody, req.body, 'body');
    await conversations.transferOwnership(principalOf(req).userId, conversationId, userId);
    res.json(await conversations.get(principalOf(req).userId, conversationId));
  });

  return router;
}
