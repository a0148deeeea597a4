import { principalOf } from '@parley/identity';
import { noBody, noQuery, parse, takesNoInput } from '@parley/service-kit';
import type { InviteAction } from '@parley/workflows';
import { type RequestHandler, Router } from 'express';
import {
  acceptLinkBody,
  createInviteBody,
  deliveryBody,
  inviteParams,
  inviteStateBody,
  listInvitesQuery,
} from './invite-schemas';
import type { Invites } from './invite-service';

const ACTIONS: readonly InviteAction[] = ['accept', 'decline', 'revoke', 'approve', 'reject'];

/** `/v1/invites`: make, list, read and answer group invites. Every route needs a signed-in user. */
export function inviteRoutes(invites: Invites, auth: RequestHandler): Router {
  const router = Router();

  router.post('/v1/invites', auth, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const body = parse(createInviteBody, req.body, 'body');
    // The request id the gateway passes on stays the same when its sidecar retries the call.
    const { view, created } = await invites.create(principalOf(req).userId, body, String(req.id));
    res
      .status(created ? 201 : 200)
      .location(`/api/v1/invites/${view.id}`)
      .json(view);
  });

  router.get('/v1/invites', auth, async (req, res) => {
    const query = parse(listInvitesQuery, req.query, 'query');
    parse(noBody, req.body, 'body');
    res.json({ items: await invites.list(principalOf(req).userId, query) });
  });

  router.post('/v1/invites/accept-link', auth, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { token } = parse(acceptLinkBody, req.body, 'body');
    res.json(await invites.acceptLink(principalOf(req).userId, token));
  });

  router.get('/v1/invites/:inviteId', auth, takesNoInput(), async (req, res) => {
    const { inviteId } = parse(inviteParams, req.params, 'params');
    res.json(await invites.get(principalOf(req).userId, inviteId));
  });

  for (const action of ACTIONS) {
    router.post(`/v1/invites/:inviteId/${action}`, auth, takesNoInput(), async (req, res) => {
      const { inviteId } = parse(inviteParams, req.params, 'params');
      res.json(await invites.act(principalOf(req).userId, inviteId, action));
    });
  }

  return router;
}

/** What the invite workflow's activities call, through the worker's sidecar. */
export function inviteInternalRoutes(invites: Invites): Router {
  const router = Router();

  router.post('/internal/v1/invites/:inviteId/deliveries', async (req, res) => {
    const { inviteId } = parse(inviteParams, req.params, 'params');
    const { kind } = parse(deliveryBody, req.body, 'body');
    res.json(await invites.delivery(inviteId, kind));
  });

  router.put('/internal/v1/invites/:inviteId/state', async (req, res) => {
    const { inviteId } = parse(inviteParams, req.params, 'params');
    const state = parse(inviteStateBody, req.body, 'body');
    if (state.inviteId !== inviteId) {
      parse(
        inviteStateBody.refine(() => false, 'inviteId must match the path'),
        state,
        'body',
      );
    }
    await invites.record(state);
    res.status(204).end();
  });

  return router;
}
