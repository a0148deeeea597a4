import { principalOf } from '@parley/identity';
import { noBody, parse } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import type { SearchBackend } from '../engine/types';
import type { MembershipSource } from '../membership/member-conversations';
import { messageSearchQuery } from './search-schemas';

/**
 * `GET /v1/search/messages`: full-text search over the caller's conversations. The set of
 * conversations comes from chat at query time and is handed to the backend as part of the query;
 * a conversation filter can only narrow it.
 */
export function messageSearchRoutes(
  backend: SearchBackend,
  membership: MembershipSource,
  guard: RequestHandler,
): Router {
  const router = Router();

  router.get('/v1/search/messages', guard, async (req, res) => {
    const query = parse(messageSearchQuery, req.query, 'query');
    parse(noBody, req.body, 'body');
    const mine = await membership.conversationIdsOf(principalOf(req).userId);
    const asked = query.conversationId ? new Set(query.conversationId) : undefined;
    const conversationIds = asked ? mine.filter((id) => asked.has(id)) : mine;
    const sort = query.sort ?? (query.q.trim() ? 'relevance' : 'date');
    const page =
      conversationIds.length === 0
        ? { found: 0, hits: [] }
        : await backend.searchMessages({
            text: query.q,
            conversationIds,
            senderIds: query.senderId,
            from: query.from ? new Date(query.from) : undefined,
            to: query.to ? new Date(query.to) : undefined,
            hasAttachment: query.hasAttachment === undefined ? undefined : query.hasAttachment === 'true',
            sort,
            page: query.page,
            perPage: query.perPage,
          });
    res.json({
      found: page.found,
      page: query.page,
      perPage: query.perPage,
      sort,
      hits: page.hits.map(({ message, snippet }) => ({
        id: message.id,
        conversationId: message.conversationId,
        senderId: message.senderId,
        createdAt: message.createdAt,
        editedAt: message.editedAt,
        hasAttachment: message.hasAttachment,
        text: message.text,
        snippet,
      })),
    });
  });

  return router;
}
