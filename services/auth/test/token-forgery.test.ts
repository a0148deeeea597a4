import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, createVerifierWithKeys } from '@parley/identity';
import { type JWK, SignJWT, createLocalJWKSet, exportJWK, generateKeyPair } from 'jose';
import t from 'tap';
import { forgedTokens } from '../../../test/support/forged-tokens';

// The verifier every service uses, against each forgery the test helper makes: the helper must
// make tokens that only a working check refuses, and the verifier must refuse all of them.
t.test('every forged variant of a valid token is refused; the token itself is accepted', async (t) => {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const kid = randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  const jwks = { keys: [publicJwk] };
  const valid = await new SignJWT({ sid: randomUUID(), roles: [] })
    .setProtectedHeader({ alg: 'EdDSA', kid })
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setSubject(randomUUID())
    .setIssuedAt()
    .setExpirationTime('15m')
    .sign(privateKey);
  const verifier = createVerifierWithKeys(createLocalJWKSet(jwks));
  t.ok(await verifier.verify(valid), 'the genuine token passes');

  const signingKey = { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' };
  const forged = await forgedTokens(valid, { jwks, signingKey });
  t.same(Object.keys(forged).sort(), [
    'algNone',
    'expired',
    'foreignKeySameKid',
    'hs256WithPublicKey',
    'tamperedPayload',
    'unknownKid',
    'wrongAudience',
    'wrongIssuer',
  ]);
  for (const [name, token] of Object.entries(forged)) {
    await t.rejects(verifier.verify(token), { code: /^AUTH_TOKEN_(INVALID|EXPIRED)$/ }, name);
  }
});
