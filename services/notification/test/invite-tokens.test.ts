import t from 'tap';
import { newInviteId, newNonce, signInviteToken, verifyInviteToken } from '../src/invites/invite-tokens';

const secret = 'a'.repeat(40);

t.test('a signed token names its invite and nonce, and nothing else verifies', async (t) => {
  const inviteId = newInviteId();
  const nonce = newNonce();
  const token = signInviteToken(secret, inviteId, nonce);
  t.match(token, /^[A-Za-z0-9_-]{87}$/, 'URL-safe, fixed length');
  t.same(verifyInviteToken(secret, token), { inviteId, nonce });

  t.equal(verifyInviteToken('b'.repeat(40), token), null, 'another secret');
  const flipped = `${token.slice(0, 30)}${token[30] === 'A' ? 'B' : 'A'}${token.slice(31)}`;
  t.equal(verifyInviteToken(secret, flipped), null, 'a changed nonce');
  const swapped = signInviteToken(secret, newInviteId(), nonce).slice(0, 22) + token.slice(22);
  t.equal(verifyInviteToken(secret, swapped), null, 'another invite id with this MAC');
  for (const junk of ['', token.slice(1), `${token}A`, `${token.slice(0, 86)}=`, token.replace(/./, '.')]) {
    t.equal(verifyInviteToken(secret, junk), null, JSON.stringify(junk));
  }
});
