import { createHmac, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { type JWK, SignJWT, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';

/** Each way an attacker might bend an access token; every one must be refused. */
export type ForgeryName =
  | 'algNone'
  | 'hs256WithPublicKey'
  | 'wrongIssuer'
  | 'wrongAudience'
  | 'unknownKid'
  | 'expired'
  | 'tamperedPayload'
  | 'foreignKeySameKid';

export interface ForgeryOptions {
  /** The auth service's key set: the HS256 confusion attack keys HMAC with the real public key. */
  jwks?: { keys: JWK[] };
  /**
   * The real private signing key, when a test can read it (from the auth database). With it the
   * issuer, audience and expiry forgeries carry a valid signature, so only the claim checks can
   * refuse them. Without it they are signed by a key of the forger's own.
   */
  signingKey?: JWK;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Forged variants of a valid access token, by name. */
export async function forgedTokens(
  validToken: string,
  options: ForgeryOptions = {},
): Promise<Record<ForgeryName, string>> {
  const header = decodeProtectedHeader(validToken);
  const claims = decodeJwt(validToken);
  const kid = String(header.kid);
  const [encodedHeader, , signature] = validToken.split('.') as [string, string, string];
  const now = Math.floor(Date.now() / 1000);

  const own = generateKeyPairSync('ed25519');
  const ownKey = await importJWK(own.privateKey.export({ format: 'jwk' }) as JWK, 'EdDSA');
  const claimKey = options.signingKey ? await importJWK(options.signingKey, 'EdDSA') : ownKey;
  const sign = (key: typeof ownKey, payload: Record<string, unknown>, keyId = kid) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid: keyId, typ: 'JWT' }).sign(key);

  const realPublic = options.jwks?.keys.find((k) => k.kid === kid);
  const hmacSecret = realPublic
    ? createPublicKey({ key: realPublic as import('node:crypto').JsonWebKey, format: 'jwk' }).export({
        type: 'spki',
        format: 'pem',
      })
    : kid;
  const hsHeader = b64({ alg: 'HS256', kid, typ: 'JWT' });
  const hsPayload = b64({ ...claims, exp: now + 600 });
  const hsSignature = createHmac('sha256', hmacSecret).update(`${hsHeader}.${hsPayload}`).digest('base64url');

  return {
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, exp: now + 600 })}.`,
    hs256WithPublicKey: `${hsHeader}.${hsPayload}.${hsSignature}`,
    wrongIssuer: await sign(claimKey, { ...claims, iss: 'evil-auth' }),
    wrongAudience: await sign(claimKey, { ...claims, aud: 'someone-else' }),
    unknownKid: await sign(ownKey, { ...claims, exp: now + 600 }, randomUUID()),
    expired: await sign(claimKey, { ...claims, iat: now - 7200, exp: now - 3600 }),
    tamperedPayload: `${encodedHeader}.${b64({ ...claims, sub: randomUUID(), roles: ['admin'] })}.${signature}`,
    foreignKeySameKid: await sign(ownKey, { ...claims, exp: now + 600 }),
  };
}
