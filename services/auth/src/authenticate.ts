import { type TokenVerifier, bearerToken } from '@parley/identity';
import { UnauthorizedError } from '@parley/service-kit';
import type { RequestHandler } from 'express';
import { SessionRevokedError } from './errors';
import type { SessionStore } from './sessions/session-store';

/**
 * Guards the auth service's own user routes. Beyond the signature check every service does, it
 * checks that the session is still open, since the sessions live here and account changes
 * should not wait for an access token to expire.
 */
export function authenticate(verifier: TokenVerifier, sessions: SessionStore): RequestHandler {
  return (req, _res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (!token) {
      next(new UnauthorizedError('AUTH_TOKEN_MISSING', 'This endpoint requires an access token.'));
      return;
    }
    verifier
      .verify(token)
      .then(async (principal) => {
        if (!(await sessions.isActive(principal.sessionId))) throw new SessionRevokedError();
        req.principal = principal;
        next();
      })
      .catch(next);
  };
}
