import { JWKS_METHOD } from '@parley/identity';
import { parse } from '@parley/service-kit';
import { Router } from 'express';
import { z } from 'zod';
import { type UserStore, publicUser } from '../accounts/user-store';
import type { ContactStore } from '../contacts/contact-store';
import { UserNotFoundError } from '../errors';
import type { SigningKeys } from '../sessions/signing-keys';

const userId = z.string().min(1).max(64);

const relationsCheckSchema = z.object({ userId, otherUserIds: z.array(userId).max(1000) }).strict();

/**
 * What other services reach through service invocation (the app token guards every route): the
 * key set, public profiles, block checks, and key rotation for operators.
 */
export function internalRoutes(users: UserStore, contacts: ContactStore, keys: SigningKeys): Router {
  const router = Router();

  router.get(`/${JWKS_METHOD}`, async (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(await keys.jwks());
  });

  router.get('/internal/v1/users/:userId', async (req, res) => {
    const params = parse(z.object({ userId }).strict(), req.params, 'params');
    const user = await users.findById(params.userId);
    if (!user) throw new UserNotFoundError(params.userId);
    res.json(publicUser(user));
  });

  router.post('/internal/v1/relations/check', async (req, res) => {
    const input = parse(relationsCheckSchema, req.body, 'body');
    res.json({ blocked: await contacts.blockedAmong(input.userId, input.otherUserIds) });
  });

  router.post('/internal/v1/signing-keys/rotations', async (_req, res) => {
    const kid = await keys.rotateNow();
    res.status(201).json({ kid });
  });

  return router;
}
