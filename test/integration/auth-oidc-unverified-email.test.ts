import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { freePortPlan } from '@parley/devstack';
import { linkToken, waitForEmail } from '../support/mailbox';
import { authorizeAtProvider, startTestProvider } from '../support/oidc-provider';
import { startTestStack } from '../support/stack';
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
  const ports = await freePortPlan(1);
  const env = await startTestStack(t, {
    ports,
    env: {
      OIDC_REDIRECT_URI: `http://127.0.0.1:${ports.apps.gateway.app}/api/v1/sessions/oidc/callback`,
      BCRYPT_COST: '4',
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: provider.clientId,
      OIDC_CLIENT_SECRET: provider.clientSecret,
      OIDC_ALLOW_INSECURE: 'true',
    },
  });
  const api = (path: string) => `http://127.0.0.1:${env.stack.ports.apps.gateway.app}/api/v1${path}`;
  await provider.configure(api('/sessions/oidc/callback'));

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
});
