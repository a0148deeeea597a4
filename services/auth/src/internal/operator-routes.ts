import { noQuery, parse } from '@parley/service-kit';
import { Router } from 'express';
import { z } from 'zod';
import { loginSchema, usernameSchema } from '../accounts/account-schemas';
import { type UserStore, publicUser } from '../accounts/user-store';
import { UserNotFoundError } from '../errors';

/** The roles an operator may grant; `admin` opens the analytics figures and other admin pages. */
export const ROLES = ['admin'] as const;

const loginKeyBody = loginSchema.pick({ login: true }).strict();
const rolesBody = z.object({ roles: z.array(z.enum(ROLES)).max(ROLES.length) }).strict();

/**
 * Routes for the gateway's guards and operator endpoints, reached through service invocation only.
 *
 * `login-keys` names the account a login attempt is for, so that failures are counted per account
 * whichever of its username or email an attacker types: an existing account's id, or the
 * normalised login itself for an unknown one (so guesses at unknown names are counted too). The
 * answer goes to the gateway only, never to the client.
 */
export function operatorRoutes(users: UserStore): Router {
  const router = Router();

  router.post('/internal/v1/login-keys', async (req, res) => {
    parse(noQuery, req.query, 'query');
    const { login } = parse(loginKeyBody, req.body, 'body');
    const user = await users.findByLogin(login);
    res.json({ key: user ? `account:${user._id}` : `login:${login}` });
  });

  router.put('/internal/v1/users/by-username/:username/roles', async (req, res) => {
    const { username } = parse(z.object({ username: usernameSchema }).strict(), req.params, 'params');
    parse(noQuery, req.query, 'query');
    const { roles } = parse(rolesBody, req.body, 'body');
    const user = await users.findByLogin(username);
    if (!user) throw new UserNotFoundError(username);
    const updated = await users.setRoles(user._id, [...new Set(roles)].sort());
    if (!updated) throw new UserNotFoundError(username);
    res.json({ user: publicUser(updated), roles: updated.roles });
  });

  return router;
}
