import { createHmac } from 'node:crypto';
import { safeEqual } from '@parley/service-kit';

/** What an unsubscribe link turns off. */
export interface UnsubscribeClaim {
  userId: string;
  channel: 'email';
}

const sign = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(`unsubscribe\n${payload}`).digest('base64url');

/**
 * A token for a one-click unsubscribe link: the claim and an HMAC of it. It does not expire: the
 * link in an old email must keep working (RFC 8058), and all it can do is turn email off.
 */
export function unsubscribeToken(secret: string, claim: UnsubscribeClaim): string {
  const payload = Buffer.from(JSON.stringify({ u: claim.userId, c: claim.channel })).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

/** The claim of a token this service signed, or null for anything else. */
export function verifyUnsubscribeToken(secret: string, token: string): UnsubscribeClaim | null {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return null;
  if (!safeEqual(signature, sign(secret, payload))) return null;
  try {
    const claim = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      u?: unknown;
      c?: unknown;
    };
    if (typeof claim.u !== 'string' || claim.c !== 'email') return null;
    return { userId: claim.u, channel: 'email' };
  } catch {
    return null;
  }
}
