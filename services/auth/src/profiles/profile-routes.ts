import { principalOf } from '@parley/identity';
import { type Sidecar, noBody, noQuery, parse, takesNoInput } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { UserEvents } from '../accounts/user-events';
import { type UserStore, ownAccount, publicUser } from '../accounts/user-store';
import { UserNotFoundError } from '../errors';
import { avatarCheck, recheckAvatar } from './avatar-events';
import { directoryQuerySchema, profileChangeSchema } from './profile-schemas';

const userParams = z.object({ userId: z.uuid() }).strict();

/** `/v1/users`: the own profile, the directory and other users' public profiles. */
export function profileRoutes(
  users: UserStore,
  events: UserEvents,
  sidecar: Sidecar,
  auth: RequestHandler,
): Router {
  const router = Router();

  router.get('/v1/users/me', auth, takesNoInput(), async (req, res) => {
    const { userId } = principalOf(req);
    const user = await users.findById(userId);
    if (!user) throw new UserNotFoundError(userId);
    res.json({ user: ownAccount(user) });
  });

  router.patch('/v1/users/me', auth, async (req, res) => {
    parse(noQuery, req.query, 'query');
    const changes = parse(profileChangeSchema, req.body, 'body');
    const { userId } = principalOf(req);
    // The media service checks a new profile picture (the user's own image) and lets every user
    // see it; a refusal (MEDIA_NOT_FOUND, MEDIA_NOT_AN_IMAGE) reaches the client as it is.
    const { avatarMediaId } = changes;
    let avatarStatus: unknown;
    if (avatarMediaId) {
      avatarStatus = await avatarCheck(sidecar, userId, avatarMediaId);
    } else if (avatarMediaId === null) {
      await sidecar.invokeOk('media', `internal/v1/users/${encodeURIComponent(userId)}/avatar`, {
        method: 'DELETE',
        signal: AbortSignal.timeout(5_000),
      });
    }
    let user = await users.updateProfile(userId, changes);
    if (!user) throw new UserNotFoundError(userId);
    await events.updated(user);
    if (avatarMediaId && avatarStatus !== 'ready') {
      if (await recheckAvatar(sidecar, users, events, userId, avatarMediaId)) {
        user = (await users.findById(userId)) ?? user;
      }
    }
    res.json({ user: ownAccount(user) });
  });

  /**
   * The directory: prefix search over usernames and display names; an email address is found
   * only when the query is the whole address, so addresses cannot be guessed one letter at a time.
   */
  router.get('/v1/users', auth, async (req, res) => {
    const { q, limit } = parse(directoryQuerySchema, req.query, 'query');
    parse(noBody, req.body, 'body');
    const found = await users.search(q, limit);
    res.json({ users: found.map(publicUser) });
  });

  router.get('/v1/users/:userId', auth, takesNoInput(), async (req, res) => {
    const { userId } = parse(userParams, req.params, 'params');
    const user = await users.findById(userId);
    if (!user) throw new UserNotFoundError(userId);
    res.json({ user: publicUser(user) });
  });

  return router;
}
