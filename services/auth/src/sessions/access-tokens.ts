import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '@parley/identity';
import { SignJWT } from 'jose';
import { SIGNING_ALGORITHM, type SigningKeys } from './signing-keys';

export interface AccessToken {
  accessToken: string;
  /** Seconds until it expires. */
  expiresIn: number;
}

/** Signs access tokens with the current key; claims as in `@parley/identity`. */
export class AccessTokenIssuer {
  constructor(
    private readonly keys: SigningKeys,
    private readonly ttlSeconds: number,
  ) {}

  async issue(subject: { userId: string; sessionId: string; roles: string[] }): Promise<AccessToken> {
    const key = await this.keys.current();
    const accessToken = await new SignJWT({ sid: subject.sessionId, roles: subject.roles })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.doc._id, typ: 'JWT' })
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setSubject(subject.userId)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(key.privateKey);
    return { accessToken, expiresIn: this.ttlSeconds };
  }
}
