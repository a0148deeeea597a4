import { parse, takesNoInput } from '@parley/service-kit';
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

/** The cookie binding a login to the browser that started it; the gateway passes only this one. */
export const OIDC_BROWSER_COOKIE = 'parley_oidc';
/** Public path of these routes; the cookie goes nowhere else. */
const COOKIE_PATH = '/api/v1/sessions/oidc';
/** As long as a started login lasts (see oidc-flows.ts). */
const COOKIE_MAX_AGE_SECONDS = 10 * 60;

export interface OidcRouteOptions {
  /** Mark the cookie Secure: the platform is served over https. */
  secureCookie: boolean;
}

/**
 * `/v1/sessions/oidc`: third-party login. `authorize` redirects the browser to the provider and
 * gives it a login cookie; the provider redirects back to `callback` (through the gateway), which
 * answers like a login only in the browser holding that cookie. So a callback link made by someone
 * else (login CSRF: logging a victim into the attacker's account) fails in the victim's browser.
 */
export function oidcRoutes(
  login: OidcLogin | undefined,
  sessions: SessionService,
  options: OidcRouteOptions,
): Router {
  const router = Router();
  const cookieAttributes = [
    `Path=${COOKIE_PATH}`,
    'HttpOnly',
    // Lax: the provider's redirect back is a top-level navigation, which still carries it.
    'SameSite=Lax',
    ...(options.secureCookie ? ['Secure'] : []),
  ];

  // Whether "log in with" can be offered, without starting a login.
  router.get('/v1/sessions/oidc', takesNoInput(), (_req, res) => {
    res.json({ configured: login !== undefined });
  });

  router.get('/v1/sessions/oidc/authorize', async (req, res) => {
    if (!login) throw new OidcNotConfiguredError();
    const { deviceName } = parse(authorizeQuery, req.query, 'query');
    const { url, browserSecret } = await login.start(deviceName ?? null);
    res.setHeader(
      'set-cookie',
      [
        `${OIDC_BROWSER_COOKIE}=${browserSecret}`,
        `Max-Age=${COOKIE_MAX_AGE_SECONDS}`,
        ...cookieAttributes,
      ].join('; '),
    );
    res.status(302).location(url.toString()).json({ authorizationUrl: url.toString() });
  });

  router.get('/v1/sessions/oidc/callback', async (req, res) => {
    if (!login) throw new OidcNotConfiguredError();
    const query = parse(callbackQuery, req.query, 'query');
    if (query.error) throw new OidcFailedError(`the provider answered ${query.error.slice(0, 100)}`);
    const browserSecret = cookieValue(req.headers.cookie, OIDC_BROWSER_COOKIE);
    const resolved = await login.complete(new URLSearchParams(query).toString(), browserSecret);
    res.setHeader('set-cookie', [`${OIDC_BROWSER_COOKIE}=`, 'Max-Age=0', ...cookieAttributes].join('; '));
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

/** One cookie's value from a Cookie header; undefined when absent or not of the expected form. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const [key, value] = pair.trim().split('=', 2);
    if (key === name && value && /^[A-Za-z0-9_-]{16,128}$/.test(value)) return value;
  }
  return undefined;
}
