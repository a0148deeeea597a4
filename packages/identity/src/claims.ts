/** Who access tokens come from and are for; every verifier checks both. */
export const ACCESS_TOKEN_ISSUER = 'parley-auth';
export const ACCESS_TOKEN_AUDIENCE = 'parley';

/**
 * Asymmetric algorithms the auth service signs with. Verifiers accept only these, so a token
 * with `alg: none` or a symmetric algorithm keyed with the public key is refused.
 */
export const ACCESS_TOKEN_ALGORITHMS = ['EdDSA', 'ES256'] as const;

/** Where the auth service publishes its public keys, as a method name for service invocation. */
export const JWKS_METHOD = '.well-known/jwks.json';

/** What a verified access token says about its bearer. */
export interface Principal {
  /** The user id. */
  userId: string;
  /** The session (one per device) the token was issued to. */
  sessionId: string;
  /** Platform roles, such as `admin`. */
  roles: string[];
}
