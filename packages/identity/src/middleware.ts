import { UnauthorizedError } from '@parley/service-kit';
import type { Request, RequestHandler } from 'express';
import type { Principal } from './claims';
import type { TokenVerifier } from './verifier';

declare module 'express-serve-static-core' {
  interface Request {
    /** The verified bearer, set by `requireUser`. */
    principal?: Principal;
  }
}

/**
 * The bearer token of an `Authorization: Bearer ...` header, if any. The scheme is matched in any
 * case, as HTTP defines it (`bearer` and `BEARER` are the same), and may be followed by more than
 * one space.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header || header.length > 8192) return undefined;
  const match = /^bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
  return match?.[1];
}

/** Refuses a request without a valid access token; on success `req.principal` is the bearer. */
export function requireUser(verifier: TokenVerifier): RequestHandler {
  return (req, _res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (!token) {
      next(new UnauthorizedError('AUTH_TOKEN_MISSING', 'This endpoint requires an access token.'));
      return;
    }
    verifier.verify(token).then(
      (principal) => {
        req.principal = principal;
        next();
      },
      (err: unknown) => next(err),
    );
  };
}

/** The bearer of a request that passed `requireUser`. */
export function principalOf(req: Request): Principal {
  if (!req.principal)
    throw new UnauthorizedError('AUTH_TOKEN_MISSING', 'This endpoint requires an access token.');
  return req.principal;
}
