import { UnauthorizedError } from '@parley/service-kit';
import { type JWTVerifyGetKey, errors, jwtVerify } from 'jose';
import {
  ACCESS_TOKEN_ALGORITHMS,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  JWKS_METHOD,
  type Principal,
} from './claims';
import { RemoteKeySet } from './key-set';

export interface VerifierOptions {
  /** The HTTP port of the calling service's own sidecar; keys are fetched from auth through it. */
  daprHttpPort: number;
  daprApiToken: string;
  /** How long fetched keys are trusted before they are fetched again. */
  cacheMaxAgeMs?: number;
}

export interface TokenVerifier {
  /** Resolves with the bearer, or throws an UnauthorizedError with a stable code. */
  verify(token: string): Promise<Principal>;
}

/**
 * Verifies access tokens locally against the auth service's JWKS, fetched through the sidecar and
 * cached, so the auth service is not on the hot path. A token signed with a key the cache does not
 * know makes it read the set again (at most once a second), so rotated keys are picked up at once.
 * While the set cannot be read, tokens are answered 503 `DEPENDENCY_UNAVAILABLE`, never 401.
 */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const url = new URL(`http://127.0.0.1:${options.daprHttpPort}/v1.0/invoke/auth/method/${JWKS_METHOD}`);
  const keys = new RemoteKeySet({
    url,
    headers: { 'dapr-api-token': options.daprApiToken },
    ...(options.cacheMaxAgeMs === undefined ? {} : { maxAgeMs: options.cacheMaxAgeMs }),
  });
  return createVerifierWithKeys(keys.resolver());
}

/** The same verification with keys from anywhere (tests, or a service that holds the key set). */
export function createVerifierWithKeys(keys: JWTVerifyGetKey): TokenVerifier {
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: ACCESS_TOKEN_ISSUER,
          audience: ACCESS_TOKEN_AUDIENCE,
          algorithms: [...ACCESS_TOKEN_ALGORITHMS],
          requiredClaims: ['sub', 'sid', 'exp', 'iat'],
          clockTolerance: 5,
        });
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string')
          throw new errors.JWTInvalid('bad claims');
        const roles = Array.isArray(payload.roles)
          ? payload.roles.filter((r): r is string => typeof r === 'string')
          : [];
        return { userId: payload.sub, sessionId: payload.sid, roles };
      } catch (err) {
        if (err instanceof errors.JWTExpired) {
          throw new UnauthorizedError('AUTH_TOKEN_EXPIRED', 'The access token has expired; refresh it.');
        }
        if (err instanceof errors.JOSEError || err instanceof TypeError) {
          throw new UnauthorizedError('AUTH_TOKEN_INVALID', 'The access token is not valid.');
        }
        throw err;
      }
    },
  };
}
