import { principalOf } from '@parley/identity';
import { AppError, parse, takesNoInput } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { type UserStore, publicUser } from '../accounts/user-store';
import { ContactSelfError, UserNotFoundError } from '../errors';
import type { ContactStore } from './contact-store';

const userParams = z.object({ userId: z.uuid() }).strict();

/** `/v1/contacts`: the user's contacts and the users they blocked. */
export function contactRoutes(contacts: ContactStore, users: UserStore, auth: RequestHandler): Router {
  const router = Router();
  // Every contact route names its user in the path and reads neither a query nor a body.
  const noInput = takesNoInput();

  /** The other user of a contact or block change: must exist and not be the caller. */
  const other = async (ownerId: string, params: unknown): Promise<string> => {
    const { userId } = parse(userParams, params, 'params');
    if (userId === ownerId) throw new ContactSelfError();
    if (!(await users.findById(userId))) throw new UserNotFoundError(userId);
    return userId;
  };

  const profiles = async (ids: string[]) => {
    const found = new Map((await users.findByIds(ids)).map((u) => [u._id, u]));
    return ids.flatMap((id) => {
      const user = found.get(id);
      return user ? [publicUser(user)] : [];
    });
  };

  router.get('/v1/contacts', auth, noInput, async (req, res) => {
    res.json({ contacts: await profiles(await contacts.list(principalOf(req).userId)) });
  });

  router.get('/v1/contacts/blocked', auth, noInput, async (req, res) => {
    res.json({ blocked: await profiles(await contacts.listBlocked(principalOf(req).userId)) });
  });

  router.put('/v1/contacts/blocked/:userId', auth, noInput, async (req, res) => {
    const { userId } = principalOf(req);
    await contacts.block(userId, await other(userId, req.params));
    res.status(204).end();
  });

  router.delete('/v1/contacts/blocked/:userId', auth, noInput, async (req, res) => {
    const { userId } = parse(userParams, req.params, 'params');
    if (!(await contacts.unblock(principalOf(req).userId, userId))) {
      throw new AppError('CONTACT_NOT_BLOCKED', 404, 'That user is not blocked.', { userId });
    }
    res.status(204).end();
  });

  router.put('/v1/contacts/:userId', auth, noInput, async (req, res) => {
    const { userId } = principalOf(req);
    await contacts.add(userId, await other(userId, req.params));
    res.status(204).end();
  });

  router.delete('/v1/contacts/:userId', auth, noInput, async (req, res) => {
    const { userId } = parse(userParams, req.params, 'params');
    if (!(await contacts.remove(principalOf(req).userId, userId))) {
      throw new AppError('CONTACT_NOT_FOUND', 404, 'That user is not a contact.', { userId });
    }
    res.status(204).end();
  });

  return router;
}
