import { randomBytes } from 'node:crypto';
import t from 'tap';
import { linkToken, waitForEmail } from '../support/mailbox';
import { authorizeAtProvider, startOidcStack, startTestProvider } from '../support/oidc-provider';
import { callJson, registerAndLogin } from '../support/users';

interface OidcSession {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  user: { id: string; username: string; displayName: string };
  created: boolean;
  linked: boolean;
  code?: string;
}

// Third-party login against a real OpenID Connect provider on loopback, the browser played by
// fetch: authorization code with PKCE, through the gateway's authorize and callback routes.
t.test('login through an OpenID Connect provider', async (t) => {
  const provider = await startTestProvider(t);
  // An API client (not the web page, the default) receives the provider's redirect itself.
  const { test: env, gateway } = await startOidcStack(t, provider, 'api');
  const api = (path: string) => `${gateway}/api/v1${path}`;

  const subject = () => `sub-${randomBytes(6).toString('hex')}`;
  const toProvider = (sub: string, deviceName = 'Browser') =>
    authorizeAtProvider(
      api(`/sessions/oidc/authorize?deviceName=${encodeURIComponent(deviceName)}`),
      provider.issuer,
      sub,
    );
  /** Opens the callback in the browser that started the login (with its cookie), or in another. */
  const callback = (login: { url: string; cookie: string }) =>
    callJson<OidcSession>(login.url, { headers: { cookie: login.cookie } });
  const me = (token: string) =>
    callJson<{
      code?: string;
      user: { id: string; email: string; emailVerified: boolean; hasPassword: boolean };
    }>(api('/accounts/me'), { token });

  await t.test('whether a provider is configured is public, and starts nothing', async (t) => {
    const res = await callJson<{ configured: boolean }>(api('/sessions/oidc'));
    t.equal(res.status, 200);
    t.same(res.body, { configured: true });
    t.same(res.headers.getSetCookie(), [], 'no login cookie');
  });

  await t.test('the authorize route redirects to the provider with PKCE, state and nonce', async (t) => {
    const res = await fetch(api('/sessions/oidc/authorize'), { redirect: 'manual' });
    t.equal(res.status, 302);
    const location = new URL(res.headers.get('location') ?? '');
    t.equal(location.origin, provider.issuer);
    t.equal(location.searchParams.get('code_challenge_method'), 'S256');
    for (const param of ['code_challenge', 'state', 'nonce']) t.ok(location.searchParams.get(param), param);
    t.equal(location.searchParams.get('redirect_uri'), api('/sessions/oidc/callback'));
  });

  await t.test('a first login creates the account, a second logs into it', async (t) => {
    const sub = subject();
    provider.accounts.set(sub, {
      email: `${sub}@idp.example`,
      email_verified: true,
      name: 'Grace Hopper',
      preferred_username: 'Grace.Hopper',
    });
    const first = await callback(await toProvider(sub));
    t.equal(first.status, 201, 'the round trip completes');
    t.match(first.body, { created: true, linked: false, user: { displayName: 'Grace Hopper' } });
    t.match(first.body.user.username, /^grace\.hopper/);
    const account = await me(first.body.accessToken);
    t.match(account.body.user, { email: `${sub}@idp.example`, emailVerified: true, hasPassword: false });

    const second = await callback(await toProvider(sub));
    t.equal(second.status, 201);
    t.match(second.body, { created: false, linked: false, user: { id: first.body.user.id } });
    t.not(second.body.sessionId, first.body.sessionId, 'each login is its own session');
    const refreshed = await callJson(api('/sessions/refresh'), {
      body: { refreshToken: second.body.refreshToken },
    });
    t.equal(refreshed.status, 200, 'the session refreshes like any other');
  });

  await t.test('a provider-verified email links to the account that has it', async (t) => {
    const user = await registerAndLogin(gateway);
    const mail = await waitForEmail(env.stack.ports.mailWeb, user.email, /Confirm your email/);
    await callJson(api('/accounts/email-verification'), { body: { token: linkToken(mail) } });
    const sub = subject();
    provider.accounts.set(sub, { email: user.email.toUpperCase(), email_verified: true, name: 'Someone' });

    const res = await callback(await toProvider(sub));
    t.equal(res.status, 201);
    t.match(res.body, { created: false, linked: true, user: { id: user.userId, username: user.username } });
    const password = await callJson(api('/sessions'), {
      body: { login: user.username, password: user.password },
    });
    t.equal(password.status, 201, 'the password still works beside the provider');
    t.equal((await me(user.accessToken)).status, 200, 'and existing sessions stay');
  });

  await t.test('linking takes an unverified account away from whoever registered it', async (t) => {
    const squatter = await registerAndLogin(gateway);
    const sub = subject();
    provider.accounts.set(sub, { email: squatter.email, email_verified: true });
    const owner = await callback(await toProvider(sub));
    t.equal(owner.status, 201);
    t.match(owner.body, { linked: true, user: { id: squatter.userId } });
    const password = await callJson(api('/sessions'), {
      body: { login: squatter.username, password: squatter.password },
    });
    t.equal(password.status, 401, "the squatter's password is gone");
    t.equal((await me(squatter.accessToken)).body.code, 'AUTH_SESSION_REVOKED', 'and their sessions');
  });

  await t.test('an email the provider did not verify links to nothing', async (t) => {
    const user = await registerAndLogin(gateway);
    const sub = subject();
    provider.accounts.set(sub, { email: user.email, email_verified: false });
    const res = await callback(await toProvider(sub));
    t.equal(res.status, 409);
    t.equal(res.body.code, 'OIDC_EMAIL_UNVERIFIED');
    t.equal((await me(user.accessToken)).status, 200, 'the account is untouched');
  });

  await t.test('a login completes only in the browser that started it', async (t) => {
    const sub = subject();
    provider.accounts.set(sub, { email: `${sub}@idp.example`, email_verified: true });
    // An attacker logs in at the provider as themselves and sends the callback link to a victim.
    const attackers = await toProvider(sub);
    t.match(attackers.cookie, /^parley_oidc=[\w-]{20,}$/, 'authorize gives the browser a login cookie');
    const start = await fetch(api('/sessions/oidc/authorize'), { redirect: 'manual' });
    const setCookie = start.headers.getSetCookie().join('\n');
    t.match(setCookie, /HttpOnly/i);
    t.match(setCookie, /SameSite=Lax/i);
    t.match(setCookie, /Path=\/api\/v1\/sessions\/oidc/);

    const victimWithout = await callback({ url: attackers.url, cookie: '' });
    t.equal(victimWithout.status, 400, 'a browser without the cookie is refused');
    t.equal(victimWithout.body.code, 'OIDC_LOGIN_FAILED');
    t.notOk(victimWithout.body.accessToken, 'and gets no session');
    const victim = subject();
    provider.accounts.set(victim, { email: `${victim}@idp.example`, email_verified: true });
    const victimOwn = await toProvider(victim);
    const victimWithOwn = await callback({ url: attackers.url, cookie: victimOwn.cookie });
    t.equal(victimWithOwn.status, 400, "a browser with its own login's cookie is refused");
    const unrelated = await callback({
      url: attackers.url,
      cookie: 'parley_oidc=not-the-secret-000000; other=1',
    });
    t.equal(unrelated.status, 400, 'a made-up cookie is refused');

    const done = await callback(attackers);
    t.equal(done.status, 201, 'the browser that started it still completes, the attempts did not use it up');
    t.match(done.headers.getSetCookie().join('\n'), /parley_oidc=;.*Max-Age=0/, 'and its cookie is cleared');
  });

  await t.test('state is single-use, and a code only works with the verifier of its own login', async (t) => {
    const sub = subject();
    provider.accounts.set(sub, { email: `${sub}@idp.example`, email_verified: true });
    const login = await toProvider(sub);
    t.equal((await callback(login)).status, 201);
    const replay = await callback(login);
    t.equal(replay.status, 400, 'replaying the callback fails');
    t.equal(replay.body.code, 'OIDC_LOGIN_FAILED');

    const forged = new URL(login.url);
    forged.searchParams.set('state', randomBytes(32).toString('base64url'));
    t.equal(
      (await callback({ ...login, url: forged.toString() })).body.code,
      'OIDC_LOGIN_FAILED',
      'an unknown state fails',
    );

    // The code of one login presented with the state of another: the PKCE verifier does not match.
    const first = await toProvider(sub);
    const second = await toProvider(sub);
    const swapped = new URL(second.url);
    swapped.searchParams.set('code', new URL(first.url).searchParams.get('code') ?? '');
    const res = await callback({ ...second, url: swapped.toString() });
    t.equal(res.status, 400);
    t.equal(res.body.code, 'OIDC_LOGIN_FAILED');

    const denied = await callback({
      url: `${api('/sessions/oidc/callback')}?error=access_denied&state=x`,
      cookie: '',
    });
    t.equal(denied.body.code, 'OIDC_LOGIN_FAILED', 'a refusal at the provider is reported');
  });
});
