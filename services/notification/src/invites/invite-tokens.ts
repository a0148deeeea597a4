import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Invite links carry `<invite id><nonce><mac>`: 22 + 22 + 43 base64url characters, nothing else.
 * The MAC (HMAC-SHA256 under the service's secret) proves the service issued the pair; the nonce
 * must still be the invite's; expiry and single use are the invite's state, not the token's.
 */
const ID_LENGTH = 22;
const NONCE_LENGTH = 22;
export const INVITE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{87}$/;

export function newInviteId(): string {
  return randomBytes(16).toString('base64url');
}

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

function mac(secret: string, inviteId: string, nonce: string): string {
  return createHmac('sha256', secret).update(`parley-invite-link\0${inviteId}\0${nonce}`).digest('base64url');
}

export function signInviteToken(secret: string, inviteId: string, nonce: string): string {
  return `${inviteId}${nonce}${mac(secret, inviteId, nonce)}`;
}

/** The invite id and nonce of a token this service signed, or null for anything else. */
export function verifyInviteToken(secret: string, token: string): { inviteId: string; nonce: string } | null {
  if (!INVITE_TOKEN_PATTERN.test(token)) return null;
  const inviteId = token.slice(0, ID_LENGTH);
  const nonce = token.slice(ID_LENGTH, ID_LENGTH + NONCE_LENGTH);
  const given = Buffer.from(token.slice(ID_LENGTH + NONCE_LENGTH));
  const expected = Buffer.from(mac(secret, inviteId, nonce));
  return given.length === expected.length && timingSafeEqual(given, expected) ? { inviteId, nonce } : null;
}

export function sameNonce(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
