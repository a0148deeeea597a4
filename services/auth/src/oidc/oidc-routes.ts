import { parse } from '@parley/service-kit';
import { Router } from 'express';
import { z } from 'zod';
import { displayNameSchema } from '../accounts/account-schemas';
import { publicUser } from '../accounts/user-store';
import { OidcFailedError, OidcNotConfiguredError } from '../errors';
import type { SessionService } from '../sessions/session-service';
import type { OidcLogin } from './oidc-login';

const authorizeQuery = z.object({ deviceName: displayNameSchema.optional() }).strict();

/** The provider's redirect: single string values only (`code`, `state`, `iss`, or `error`). */
const callbackQuery = z.record(z.string().max(64), z.string().max(4096));

/**
 * `/v1/sessions/oidc`: third-party login. `authorize` redirects the browser to the provider;
 * the provider redirects back to `callback` (through the gateway), which answers like a login.
 * TODO(oidc-binding): the flow is not bound to the browser that started it (the gateway passes no
 * cookies), so a victim who opens an attacker's callback link is logged into the attacker's
 * account. A cookie set at `authorize` and checked at `callback` would close that.
 */
export function oidcRoutes(login: OidcLogin | undefined, sessions: SessionService): Router {
  const router = Router();

  router.get('/v1/sessions/oidc/authorize', async (req, res) => {
    if (!login) throw new OidcNotConfiguredError();
    const { deviceName } = parse(authorizeQuery, req.query, 'query');
    const url = await login.start(deviceName ?? null);
    res.status(302).location(url.toString()).json({ authorizationUrl: url.toString() });
  });

  router.get('/v1/sessions/oidc/callback', async (req, res) => {
    if (!login) throw new OidcNotConfiguredError();
    const query = parse(callbackQuery, req.query, 'query');
    if (query.error) throw new OidcFailedError(`the provider answered ${query.error.slice(0, 100)}`);
    const resolved = await login.complete(new URLSearchParams(query).toString());
    const session = await sessions.open(resolved.user, resolved.deviceName, 'oidc');
    res.status(201).json({
      ...session,
      user: publicUser(resolved.user),
      created: resolved.created,
      linked: resolved.linked,
    });
  });

  return router;
}
