import { randomBytes, randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import t, { type Test } from 'tap';
import { linkToken, waitForEmail } from '../support/mailbox';
import { authorizeAtProvider, startOidcStack, startTestProvider } from '../support/oidc-provider';
import { callJson, uniqueUsername } from '../support/users';

interface OidcAnswer {
  code?: string;
  accessToken: string;
  user: { id: string };
  created: boolean;
  linked: boolean;
}

// An email address a provider has not verified is a claim anyone can make at their own provider.
// Such a claim must never give its maker a way into the account of whoever owns the address.
t.test('a provider email that is not verified claims no account', async (t) => {
  const provider = await startTestProvider(t);
  const { test: env, gateway } = await startOidcStack(t, provider, 'api');
  const api = (path: string) => `${gateway}/api/v1${path}`;
  const mongo = new MongoClient(`mongodb://127.0.0.1:${env.stack.ports.mongo}/`);
  t.teardown(() => mongo.close());
  /** A collection of the auth database, its documents keyed by string ids. */
  const collection = (name: string) =>
    mongo.db('parley_auth').collection<{ _id: string } & Record<string, unknown>>(name);

  const subject = () => `sub-${randomBytes(6).toString('hex')}`;
  const oidcLogin = async (sub: string) => {
    const login = await authorizeAtProvider(api('/sessions/oidc/authorize'), provider.issuer, sub);
    return callJson<OidcAnswer>(login.url, { headers: { cookie: login.cookie } });
  };
  const me = (token: string) =>
    callJson<{ code?: string; user: { id: string; emailVerified: boolean } }>(api('/accounts/me'), {
      token,
    });
  /** The owner of `email` resets the password through the link in their inbox, and logs in. */
  const resetAndLogin = async (t: Test, email: string) => {
    const asked = await callJson(api('/accounts/password-reset-requests'), { body: { email } });
    t.equal(asked.status, 202, 'a reset is requested');
    const mail = await waitForEmail(env.stack.ports.mailWeb, email, /Reset your Parley password/);
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    const reset = await callJson(api('/accounts/password-reset'), {
      body: { token: linkToken(mail), password },
    });
    t.equal(reset.status, 204, 'the owner sets a password through the emailed link');
    const login = await callJson<{ accessToken: string }>(api('/sessions'), {
      body: { login: email, password },
    });
    t.equal(login.status, 201, 'and logs in with it');
    return (await me(login.body.accessToken)).body.user;
  };
  /**
   * An account as an earlier version left it after a provider login whose email was unverified:
   * created with that address, no password, and linked to the provider account without a mark.
   */
  const legacyClaim = async (email: string, sub: string) => {
    const userId = randomUUID();
    const username = uniqueUsername();
    const now = new Date();
    await collection('users').insertOne({
      _id: userId,
      username,
      email,
      emailVerified: false,
      phone: null,
      displayName: username,
      passwordHash: null,
      avatarMediaId: null,
      statusText: null,
      timeZone: null,
      language: null,
      roles: [],
      createdAt: now,
      updatedAt: now,
      registeredBy: null,
    });
    await collection('user_keys').insertMany([
      { _id: `username:${username}`, userId, at: now },
      { _id: `email:${email}`, userId, at: now },
    ]);
    await collection('oidc_identities').insertOne({
      _id: `${provider.issuer} ${sub}`,
      issuer: provider.issuer,
      subject: sub,
      userId,
      createdAt: now,
    });
    return userId;
  };

  await t.test(
    'an attacker claiming the owner email neither takes the address nor the account',
    async (t) => {
      const email = `${uniqueUsername()}@example.test`;
      const attacker = subject();
      provider.accounts.set(attacker, { email, email_verified: false, name: 'Not The Owner' });

      const claim = await oidcLogin(attacker);
      t.equal(claim.status, 409, 'the provider login is refused');
      t.equal(claim.body.code, 'OIDC_EMAIL_UNVERIFIED');

      const username = uniqueUsername();
      const registered = await callJson<{ user: { id: string } }>(api('/accounts'), {
        body: { username, email, password: 'the owner registers', displayName: 'Owner' },
      });
      t.equal(registered.status, 201, 'the owner registers with the address');

      const owner = await resetAndLogin(t, email);
      t.equal(owner.emailVerified, true, 'the reset proved the address');

      const again = await oidcLogin(attacker);
      t.equal(again.status, 409, "the attacker's next provider login is refused too");
      t.not(again.body.user?.id, owner.id, 'and does not land in the owner account');
    },
  );

  await t.test(
    'a provider-verified email still creates an account and keeps it through a reset',
    async (t) => {
      const sub = subject();
      const email = `${sub}@idp.example`;
      provider.accounts.set(sub, { email, email_verified: true });
      const first = await oidcLogin(sub);
      t.equal(first.status, 201);
      t.match(first.body, { created: true, linked: false });

      const owner = await resetAndLogin(t, email);
      t.equal(owner.id, first.body.user.id, 'the reset is of the same account');
      const again = await oidcLogin(sub);
      t.equal(again.status, 201, 'the provider still logs in');
      t.match(again.body, { created: false, linked: false, user: { id: first.body.user.id } });
    },
  );

  await t.test(
    'an account left linked by an unverified claim loses the link at the owner reset',
    async (t) => {
      const email = `${uniqueUsername()}@example.test`;
      const attacker = subject();
      provider.accounts.set(attacker, { email, email_verified: false });
      const userId = await legacyClaim(email, attacker);
      const before = await oidcLogin(attacker);
      t.equal(before.status, 201, 'the old link still logs the attacker in');
      t.equal(before.body.user?.id, userId);

      const owner = await resetAndLogin(t, email);
      t.equal(owner.id, userId, 'the owner takes the account over by its address');
      t.equal(
        (await me(before.body.accessToken)).body.code,
        'AUTH_SESSION_REVOKED',
        "the attacker's session ended",
      );
      const after = await oidcLogin(attacker);
      t.equal(after.status, 409, 'the attacker cannot log in through the provider any more');
      t.not(after.body.user?.id, userId);
      t.equal(
        await collection('oidc_identities').countDocuments({ userId }),
        0,
        'the account has no provider link left',
      );
    },
  );

  await t.test(
    'an account left linked by an unverified claim loses the link when its email is verified',
    async (t) => {
      const email = `${uniqueUsername()}@example.test`;
      const attacker = subject();
      provider.accounts.set(attacker, { email, email_verified: false });
      const userId = await legacyClaim(email, attacker);
      const before = await oidcLogin(attacker);
      t.equal(before.status, 201);
      // The attacker asks for a verification link; it reaches the owner, who follows it.
      const asked = await callJson(api('/accounts/me/email-verification-requests'), {
        method: 'POST',
        token: before.body.accessToken,
      });
      t.equal(asked.status, 202);
      const mail = await waitForEmail(env.stack.ports.mailWeb, email, /Confirm your email/);
      const verified = await callJson(api('/accounts/email-verification'), {
        body: { token: linkToken(mail) },
      });
      t.equal(verified.status, 204);

      t.equal(
        (await me(before.body.accessToken)).body.code,
        'AUTH_SESSION_REVOKED',
        "the attacker's session ended",
      );
      const after = await oidcLogin(attacker);
      t.equal(after.status, 409, 'the provider login is refused');
      t.not(after.body.user?.id, userId);
    },
  );

  await t.test('a link an earlier version made from a verified email survives a reset', async (t) => {
    const sub = subject();
    const email = `${sub}@idp.example`;
    provider.accounts.set(sub, { email, email_verified: true });
    const first = await oidcLogin(sub);
    t.equal(first.status, 201);
    // As an earlier version stored it: with no mark of how it was made.
    await collection('oidc_identities').updateOne(
      { _id: `${provider.issuer} ${sub}` },
      { $unset: { byVerifiedEmail: '' } },
    );

    await resetAndLogin(t, email);
    const again = await oidcLogin(sub);
    t.equal(again.status, 201, 'the provider still logs in');
    t.match(
      again.body,
      { created: false, linked: true, user: { id: first.body.user.id } },
      'into the same account, linked again by its verified email',
    );
  });
});
