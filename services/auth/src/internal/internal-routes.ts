import { JWKS_METHOD } from '@parley/identity';
import { parse, takesNoInput } from '@parley/service-kit';
import { Router } from 'express';
import { z } from 'zod';
import { emailSchema, phoneSchema, usernameSchema } from '../accounts/account-schemas';
import { type UserStore, publicUser } from '../accounts/user-store';
import type { ContactStore } from '../contacts/contact-store';
import { UserNotFoundError } from '../errors';
import type { SessionStore } from '../sessions/session-store';
import type { SigningKeys } from '../sessions/signing-keys';

const userId = z.string().min(1).max(64);

/** Exactly one of a username, an email address or an E.164 phone number. */
const lookupSchema = z.union([
  z.object({ username: usernameSchema }).strict(),
  z.object({ email: emailSchema }).strict(),
  z.object({ phone: phoneSchema }).strict(),
]);

/** Session ids are UUIDs; any short token is looked up, and one that names no session is not open. */
const sessionParams = z.object({ sessionId: z.string().min(1).max(64) }).strict();

const relationsCheckSchema = z.object({ userId, otherUserIds: z.array(userId).max(1000) }).strict();

/**
 * What other services reach through service invocation (the app token guards every route): the
 * key set, public profiles, block checks, whether a session is open, and key rotation for operators.
 */
export function internalRoutes(
  users: UserStore,
  contacts: ContactStore,
  keys: SigningKeys,
  sessions: Pick<SessionStore, 'isActive'>,
): Router {
  const router = Router();

  router.get(`/${JWKS_METHOD}`, async (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(await keys.jwks());
  });

  /**
   * Whether a session is open (not revoked, not expired, not unknown). The gateway asks while the
   * Redis copy of revoked sessions it checks every request against cannot be read.
   */
  router.get('/internal/v1/sessions/:sessionId/status', async (req, res) => {
    const params = parse(sessionParams, req.params, 'params');
    res.json({ active: await sessions.isActive(params.sessionId) });
  });

  router.get('/internal/v1/users/:userId', async (req, res) => {
    const params = parse(z.object({ userId }).strict(), req.params, 'params');
    const user = await users.findById(params.userId);
    if (!user) throw new UserNotFoundError(params.userId);
    res.json(publicUser(user));
  });

  /**
   * Where the notification service may reach a user: email (with whether it was verified), phone
   * (not verified by this service yet) and the profile's time zone for quiet hours.
   */
  router.get('/internal/v1/users/:userId/contact', async (req, res) => {
    const params = parse(z.object({ userId }).strict(), req.params, 'params');
    const user = await users.findById(params.userId);
    if (!user) throw new UserNotFoundError(params.userId);
    res.json({
      userId: user._id,
      displayName: user.displayName,
      email: user.email,
      emailVerified: user.emailVerified,
      phone: user.phone,
      phoneVerified: false,
      timeZone: user.timeZone,
      language: user.language,
    });
  });

  /**
   * Finds the account a username, email or phone names (the invite flow). `verified` says whether
   * the account proved it holds the address: an email or phone someone merely typed in at
   * registration must not route an invite meant for that address to them.
   */
  router.post('/internal/v1/users/lookup', async (req, res) => {
    const input = parse(lookupSchema, req.body, 'body');
    let user = null;
    let verified = false;
    if ('username' in input) {
      user = await users.findByLogin(input.username);
      verified = user !== null;
    } else if ('email' in input) {
      user = await users.findByEmail(input.email);
      verified = user?.emailVerified ?? false;
    } else {
      // Phone numbers are not verified by this service yet, so a match is never trusted.
      user = await users.findByPhone(input.phone);
    }
    if (!user) throw new UserNotFoundError('lookup');
    res.json({ user: publicUser(user), verified });
  });

  router.post('/internal/v1/relations/check', async (req, res) => {
    const input = parse(relationsCheckSchema, req.body, 'body');
    res.json({ blocked: await contacts.blockedAmong(input.userId, input.otherUserIds) });
  });

  router.post('/internal/v1/signing-keys/rotations', takesNoInput(), async (_req, res) => {
    const kid = await keys.rotateNow();
    res.status(201).json({ kid });
  });

  return router;
}
