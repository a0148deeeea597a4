import { randomUUID } from 'node:crypto';
import { createTokenVerifier } from '@parley/identity';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, type JWK } from 'jose';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { KeyEncryption, type SealedJwk } from '../../services/auth/src/sessions/key-encryption';
import { forgedTokens } from '../support/forged-tokens';
import { connectClient, refusalCode } from '../support/sockets';
import { eventually, startTestStack } from '../support/stack';
import { callJson, registerAndLogin, uniqueUsername } from '../support/users';

// Accounts, logins, tokens and sessions through the gateway, with the real services and sidecars.
t.test('accounts, access tokens and sessions', async (t) => {
  const env = await startTestStack(t, { env: { BCRYPT_COST: '4' } });
  const gateway = () => `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const api = (path: string) => `${gateway()}/api/v1${path}`;
  /** Service invocation through the chat service's sidecar, as the chat service calls auth. */
  const viaChat = (method: string, body?: unknown) =>
    callJson(`http://127.0.0.1:${env.stack.ports.apps.chat.daprHttp}/v1.0/invoke/auth/method/${method}`, {
      headers: { 'dapr-api-token': env.stack.secrets.apps.chat.daprApiToken },
      ...(body === undefined ? {} : { body }),
    });
  const chatVerifier = () =>
    createTokenVerifier({
      daprHttpPort: env.stack.ports.apps.chat.daprHttp,
      daprApiToken: env.stack.secrets.apps.chat.daprApiToken,
    });
  const me = (token: string) => callJson<{ code?: string }>(api('/accounts/me'), { token });

  await t.test('registration answers the public profile and refuses taken names', async (t) => {
    const username = uniqueUsername('Reg_');
    const res = await callJson<{ user: Record<string, unknown> }>(api('/accounts'), {
      body: {
        username,
        email: `${username}@Example.TEST`,
        password: 'correct horse battery',
        displayName: 'Ada Lovelace',
        phone: '+14155550100',
      },
    });
    t.equal(res.status, 201);
    t.match(res.body.user, {
      id: String,
      username: username.toLowerCase(),
      displayName: 'Ada Lovelace',
      email: `${username.toLowerCase()}@example.test`,
      emailVerified: false,
      phone: '+14155550100',
    });
    t.notOk('passwordHash' in res.body.user, 'no hash leaves the service');

    const sameName = await callJson<{ code: string }>(api('/accounts'), {
      body: {
        username: username.toUpperCase(),
        email: 'other@example.test',
        password: 'x'.repeat(10),
        displayName: 'X',
      },
    });
    t.equal(sameName.status, 409);
    t.equal(sameName.body.code, 'ACCOUNT_USERNAME_TAKEN', 'usernames are unique ignoring case');
    const sameEmail = await callJson<{ code: string }>(api('/accounts'), {
      body: {
        username: uniqueUsername(),
        email: `${username.toUpperCase()}@example.test`,
        password: 'x'.repeat(10),
        displayName: 'X',
      },
    });
    t.equal(sameEmail.status, 409);
    t.equal(sameEmail.body.code, 'ACCOUNT_EMAIL_TAKEN', 'emails are unique ignoring case');
  });

  await t.test('login by username or email issues a signed access token and a refresh token', async (t) => {
    const user = await registerAndLogin(gateway(), { deviceName: 'Laptop' });
    const byEmail = await callJson<Record<string, unknown>>(api('/sessions'), {
      body: { login: user.email.toUpperCase(), password: user.password },
    });
    t.equal(byEmail.status, 201);
    t.match(byEmail.body, {
      accessToken: String,
      refreshToken: String,
      expiresIn: 900,
      sessionId: String,
      user: { id: user.userId, username: user.username },
    });

    const header = decodeProtectedHeader(user.accessToken);
    const claims = decodeJwt(user.accessToken);
    t.equal(header.alg, 'EdDSA');
    t.type(header.kid, 'string');
    t.match(claims, { iss: 'parley-auth', aud: 'parley', sub: user.userId, sid: user.sessionId, roles: [] });
    t.ok(Number(claims.exp) - Number(claims.iat) === 900, 'lives 15 minutes');

    const principal = await chatVerifier().verify(user.accessToken);
    t.same(
      principal,
      { userId: user.userId, sessionId: user.sessionId, roles: [] },
      'another service verifies it',
    );

    const wrong = await callJson<{ code: string }>(api('/sessions'), {
      body: { login: user.username, password: `${user.password}!` },
    });
    t.equal(wrong.status, 401);
    t.equal(wrong.body.code, 'AUTH_INVALID_CREDENTIALS');
    const nobody = await callJson<{ code: string }>(api('/sessions'), {
      body: { login: uniqueUsername(), password: user.password },
    });
    t.equal(nobody.body.code, 'AUTH_INVALID_CREDENTIALS', 'an unknown login fails the same way');
  });

  await t.test('every forged access token is refused by auth and by other services', async (t) => {
    const user = await registerAndLogin(gateway());
    const jwks = (await viaChat('.well-known/jwks.json')).body as unknown as { keys: JWK[] };
    t.ok(jwks.keys.length >= 1, 'the key set is served through service invocation');
    t.ok(
      jwks.keys.every((k) => !('d' in k)),
      'the key set holds no private key material',
    );
    const signingKey = await readSigningKey(
      env.stack.ports.mongo,
      String(decodeProtectedHeader(user.accessToken).kid),
      env.stack.secrets.signingKeyEncryptionKey,
    );
    const forged = await forgedTokens(user.accessToken, { jwks, signingKey });
    const verifier = chatVerifier();
    t.equal((await me(user.accessToken)).status, 200, 'the genuine token works');
    for (const [name, token] of Object.entries(forged)) {
      const res = await me(token);
      t.equal(res.status, 401, `auth refuses ${name}`);
      t.match(res.body.code, /^AUTH_TOKEN_(INVALID|EXPIRED)$/, `${name}: a stable code`);
      await t.rejects(
        verifier.verify(token),
        { code: /^AUTH_TOKEN_(INVALID|EXPIRED)$/ },
        `chat refuses ${name}`,
      );
    }
    t.equal((await me('not-a-jwt')).status, 401, 'garbage is refused');
    t.equal((await callJson<{ code: string }>(api('/accounts/me'))).body.code, 'AUTH_TOKEN_MISSING');
  });

  await t.test('refresh tokens rotate, and reusing one revokes the session', async (t) => {
    const user = await registerAndLogin(gateway());
    const first = await callJson<{ accessToken: string; refreshToken: string; sessionId: string }>(
      api('/sessions/refresh'),
      { body: { refreshToken: user.refreshToken } },
    );
    t.equal(first.status, 200);
    t.equal(first.body.sessionId, user.sessionId, 'the same session');
    t.not(first.body.refreshToken, user.refreshToken, 'a new refresh token');
    t.equal((await me(first.body.accessToken)).status, 200, 'the new access token works');

    const second = await callJson(api('/sessions/refresh'), {
      body: { refreshToken: first.body.refreshToken },
    });
    t.equal(second.status, 200, 'the newest token refreshes again');
    const secondTokens = second.body as { refreshToken: string; accessToken: string };

    const reuse = await callJson<{ code: string }>(api('/sessions/refresh'), {
      body: { refreshToken: user.refreshToken },
    });
    t.equal(reuse.status, 401);
    t.equal(reuse.body.code, 'AUTH_REFRESH_TOKEN_REUSED', 'the stolen old token is detected');

    const afterTheft = await callJson<{ code: string }>(api('/sessions/refresh'), {
      body: { refreshToken: secondTokens.refreshToken },
    });
    t.equal(afterTheft.status, 401, 'the whole family is revoked, the newest token included');
    t.equal((await me(secondTokens.accessToken)).body.code, 'AUTH_SESSION_REVOKED');

    const unknown = await callJson<{ code: string }>(api('/sessions/refresh'), {
      body: { refreshToken: 'A'.repeat(43) },
    });
    t.equal(unknown.body.code, 'AUTH_REFRESH_TOKEN_INVALID');
  });

  await t.test('of refreshes racing with one token, exactly one wins', async (t) => {
    const user = await registerAndLogin(gateway());
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        callJson<{ code?: string }>(api('/sessions/refresh'), { body: { refreshToken: user.refreshToken } }),
      ),
    );
    t.equal(answers.filter((a) => a.status === 200).length, 1, 'one new token');
    const others = answers.filter((a) => a.status !== 200);
    t.ok(
      others.every((a) => a.status === 401),
      'the others are refused',
    );
    // The first to arrive after the winner is taken for a stolen token and ends the session; the
    // ones after it find the session ended.
    t.ok(others.some((a) => a.body.code === 'AUTH_REFRESH_TOKEN_REUSED'));
    t.ok(
      others.every((a) => ['AUTH_REFRESH_TOKEN_REUSED', 'AUTH_SESSION_REVOKED'].includes(a.body.code ?? '')),
    );
  });

  await t.test('each device is a session the user can list and revoke; logout ends one', async (t) => {
    const phone = await registerAndLogin(gateway(), { deviceName: 'Phone' });
    const laptop = await callJson<{ accessToken: string; refreshToken: string; sessionId: string }>(
      api('/sessions'),
      { body: { login: phone.username, password: phone.password, deviceName: 'Laptop' } },
    );
    const list = await callJson<{ sessions: { id: string; deviceName: string; current: boolean }[] }>(
      api('/sessions'),
      { token: phone.accessToken },
    );
    t.equal(list.status, 200);
    t.same(list.body.sessions.map((s) => [s.deviceName, s.current]).sort(), [
      ['Laptop', false],
      ['Phone', true],
    ]);

    const revoke = await callJson(api(`/sessions/${laptop.body.sessionId}`), {
      method: 'DELETE',
      token: phone.accessToken,
    });
    t.equal(revoke.status, 204);
    const laptopRefresh = await callJson<{ code: string }>(api('/sessions/refresh'), {
      body: { refreshToken: laptop.body.refreshToken },
    });
    t.equal(laptopRefresh.body.code, 'AUTH_SESSION_REVOKED', 'the revoked device cannot refresh');

    const other = await registerAndLogin(gateway());
    const foreign = await callJson<{ code: string }>(api(`/sessions/${other.sessionId}`), {
      method: 'DELETE',
      token: phone.accessToken,
    });
    t.equal(foreign.status, 404, "another user's session cannot be revoked");
    t.equal((await me(other.accessToken)).status, 200);

    const logout = await callJson(api('/sessions/current'), { method: 'DELETE', token: phone.accessToken });
    t.equal(logout.status, 204);
    t.equal((await me(phone.accessToken)).body.code, 'AUTH_SESSION_REVOKED');
    const refresh = await callJson<{ code: string }>(api('/sessions/refresh'), {
      body: { refreshToken: phone.refreshToken },
    });
    t.equal(refresh.status, 401, 'a logged-out session cannot refresh');
  });

  await t.test('a login repeated with its request id leaves one session', async (t) => {
    const phone = await registerAndLogin(gateway(), { deviceName: 'Phone' });
    const login = (requestId: string) =>
      callJson<{ refreshToken: string; sessionId: string }>(api('/sessions'), {
        headers: { 'x-request-id': requestId },
        body: { login: phone.username, password: phone.password, deviceName: 'Laptop' },
      });
    const requestId = `login-${randomUUID()}`;

    const first = await login(requestId);
    const again = await login(requestId);
    t.same([first.status, again.status], [201, 201]);
    t.equal(again.body.sessionId, first.body.sessionId, 'the repeat names the same session');
    const list = await callJson<{ sessions: { deviceName: string }[] }>(api('/sessions'), {
      token: phone.accessToken,
    });
    t.same(list.body.sessions.map((s) => s.deviceName).sort(), ['Laptop', 'Phone'], 'one session per login');

    const stale = await callJson<{ code: string }>(api('/sessions/refresh'), {
      body: { refreshToken: first.body.refreshToken },
    });
    t.equal(stale.body.code, 'AUTH_REFRESH_TOKEN_INVALID', "the first try's token, never delivered, is void");
    const fresh = await callJson(api('/sessions/refresh'), {
      body: { refreshToken: again.body.refreshToken },
    });
    t.equal(fresh.status, 200, "the repeat's token works");

    const racing = await Promise.all([1, 2, 3].map(() => login(`login-${requestId}`)));
    t.equal(new Set(racing.map((r) => r.body.sessionId)).size, 1, 'racing repeats name one session');
    const after = await callJson<{ sessions: unknown[] }>(api('/sessions'), { token: phone.accessToken });
    t.equal(after.body.sessions.length, 3);
  });

  await t.test('a revoked session is refused at once everywhere, its socket closed', async (t) => {
    const phone = await registerAndLogin(gateway(), { deviceName: 'Phone' });
    const stolen = await callJson<{ accessToken: string; sessionId: string }>(api('/sessions'), {
      body: { login: phone.username, password: phone.password, deviceName: 'Stolen laptop' },
    });
    const conversations = (token: string) => callJson<{ code?: string }>(api('/conversations'), { token });
    t.equal((await conversations(stolen.body.accessToken)).status, 200, 'chat accepts the token before');
    const socket = await connectClient(t, gateway(), { token: stolen.body.accessToken });
    const closed = new Promise<string>((resolve) => socket.socket.once('disconnect', resolve));

    const revoke = await callJson(api(`/sessions/${stolen.body.sessionId}`), {
      method: 'DELETE',
      token: phone.accessToken,
    });
    t.equal(revoke.status, 204);
    const refused = await eventually(async () => {
      const res = await conversations(stolen.body.accessToken);
      return res.status === 401 ? res : undefined;
    }, 20_000);
    t.equal(refused.body.code, 'AUTH_SESSION_REVOKED', "other services' routes refuse it before it expires");
    t.equal(await closed, 'io server disconnect', 'its open socket is closed by the server');
    t.same(socket.events('auth:revoked'), [{ code: 'AUTH_SESSION_REVOKED' }], 'and told why');
    t.equal(
      await refusalCode(gateway(), { token: stolen.body.accessToken }),
      'AUTH_SESSION_REVOKED',
      'a new socket with it is refused',
    );
    t.equal((await conversations(phone.accessToken)).status, 200, "the user's other session is untouched");
  });

  await t.test('the internal endpoints answer other services through service invocation', async (t) => {
    const alice = await registerAndLogin(gateway());
    const bob = await registerAndLogin(gateway());
    const carol = await registerAndLogin(gateway());

    const profile = await viaChat(`internal/v1/users/${alice.userId}`);
    t.equal(profile.status, 200);
    t.same(Object.keys(profile.body).sort(), [
      'avatarMediaId',
      'displayName',
      'id',
      'language',
      'statusText',
      'timeZone',
      'username',
    ]);
    const missing = await viaChat('internal/v1/users/00000000-0000-4000-8000-000000000000');
    t.equal(missing.status, 404);
    t.equal(missing.body.code, 'USER_NOT_FOUND');

    const blocked = await callJson(api(`/contacts/blocked/${alice.userId}`), {
      method: 'PUT',
      token: bob.accessToken,
    });
    t.equal(blocked.status, 204);
    const check = await viaChat('internal/v1/relations/check', {
      userId: alice.userId,
      otherUserIds: [bob.userId, carol.userId],
    });
    t.same(check.body, { blocked: [bob.userId] }, 'a block counts from either side');
    const reverse = await viaChat('internal/v1/relations/check', {
      userId: bob.userId,
      otherUserIds: [alice.userId],
    });
    t.same(reverse.body, { blocked: [alice.userId] });

    const direct = await fetch(
      `http://127.0.0.1:${env.stack.ports.apps.auth.app}/internal/v1/users/${alice.userId}`,
    );
    t.equal(direct.status, 401, 'internal endpoints are reachable only through the sidecar');
  });

  await t.test('rotating the signing key logs nobody out, and keys survive a restart', async (t) => {
    const user = await registerAndLogin(gateway());
    const oldKid = decodeProtectedHeader(user.accessToken).kid;
    const conversations = (token: string) => callJson<{ code?: string }>(api('/conversations'), { token });
    // A token naming a key nobody published makes chat read the key set just before the rotation.
    const stranger = await generateKeyPair('EdDSA');
    const strangerToken = await new SignJWT({ sid: 'x', roles: [] })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'no-such-key' })
      .setIssuer(decodeJwt(user.accessToken).iss ?? '')
      .setAudience(decodeJwt(user.accessToken).aud ?? '')
      .setSubject(user.userId)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(stranger.privateKey);
    const refused = await conversations(strangerToken);
    t.equal(refused.status, 401, 'a token of an unpublished key is refused', { body: refused.body });
    const rotated = await viaChat('internal/v1/signing-keys/rotations', {});
    t.equal(rotated.status, 201);
    const fresh = await registerAndLogin(gateway());
    t.not(decodeProtectedHeader(fresh.accessToken).kid, oldKid, 'new tokens use the new key');
    const served = await conversations(fresh.accessToken);
    t.equal(served.status, 200, 'chat serves the new key at once, though it read the set moments ago', {
      body: served.body,
    });
    const jwks = (await viaChat('.well-known/jwks.json')).body as unknown as { keys: JWK[] };
    t.ok(
      jwks.keys.some((k) => k.kid === oldKid),
      'the old public key stays published',
    );
    t.equal((await me(user.accessToken)).status, 200, 'a token signed before the rotation still works');
    t.ok(await chatVerifier().verify(fresh.accessToken), 'other services pick up the new key');

    await env.stack.restart('auth', 'auth-dapr');
    t.equal((await me(user.accessToken)).status, 200, 'tokens survive a restart of auth');
    t.equal((await me(fresh.accessToken)).status, 200);
  });

  // Last: it takes Redis away.
  await t.test('while Redis is away, requests still pass the revoked-session check', async (t) => {
    const phone = await registerAndLogin(gateway(), { deviceName: 'Phone' });
    const login = (deviceName: string) =>
      callJson<{ accessToken: string; sessionId: string }>(api('/sessions'), {
        body: { login: phone.username, password: phone.password, deviceName },
      });
    const laptop = await login('Laptop');
    const tablet = await login('Tablet');
    const conversations = (token: string) => callJson<{ code?: string }>(api('/conversations'), { token });
    const status = async (sessionId: string) =>
      (await viaChat(`internal/v1/sessions/${sessionId}/status`)).body as { active?: boolean };
    t.same(await status(laptop.body.sessionId), { active: true }, 'auth says whether a session is open');
    t.same(await status('no-such-session'), { active: false });

    // Served before the outage, so that what is checked below is the outage alone.
    for (const token of [phone.accessToken, tablet.body.accessToken]) {
      await eventually(async () => ((await conversations(token)).status === 200 ? true : undefined));
    }
    // SIGKILL: the gateway's copy of revoked sessions cannot be read.
    await env.stack.crash('redis');
    const served = await conversations(phone.accessToken);
    t.equal(served.status, 200, 'an open session is served', { body: served.body });
    const revoke = await callJson(api(`/sessions/${laptop.body.sessionId}`), {
      method: 'DELETE',
      token: phone.accessToken,
    });
    t.equal(revoke.status, 204, 'a session can be revoked meanwhile');
    const refused = await eventually(async () => {
      const res = await conversations(laptop.body.accessToken);
      return res.status === 401 ? res : undefined;
    }, 20_000);
    t.equal(refused.body.code, 'AUTH_SESSION_REVOKED', 'and its tokens are refused, as auth says');
    // Revoked while the broker is away, and not used until Redis is back: only the revocation's
    // event, kept by auth until it could be published, tells the gateway.
    const revokeTablet = await callJson(api(`/sessions/${tablet.body.sessionId}`), {
      method: 'DELETE',
      token: phone.accessToken,
    });
    t.equal(revokeTablet.status, 204);
    await env.stack.restart('redis');
    const tabletRefused = await eventually(async () => {
      const res = await conversations(tablet.body.accessToken);
      return res.status === 401 ? res : undefined;
    }, 60_000);
    t.equal(tabletRefused.body.code, 'AUTH_SESSION_REVOKED', 'its event arrives once the broker is back');
    t.equal((await conversations(phone.accessToken)).status, 200, 'served once Redis is back');
    const still = await conversations(laptop.body.accessToken);
    t.equal(still.body.code, 'AUTH_SESSION_REVOKED', 'the revoked one still refused');
  });
});

/**
 * The real private key, read from the auth database and opened with the key-encryption key, to sign
 * forgeries only claim checks can catch. Also checks that the database holds it only sealed.
 */
async function readSigningKey(mongoPort: number, kid: string, keyEncryptionKey: string): Promise<JWK> {
  const client = new MongoClient(`mongodb://127.0.0.1:${mongoPort}/`);
  try {
    const doc = await client
      .db('parley_auth')
      .collection<{ _id: string; privateJwk?: JWK; sealedPrivateJwk?: SealedJwk }>('signing_keys')
      .findOne({ _id: kid });
    if (!doc?.sealedPrivateJwk) throw new Error(`no sealed signing key ${kid}`);
    if (doc.privateJwk || JSON.stringify(doc).includes('"d":'))
      throw new Error('a private key is stored in the clear');
    return new KeyEncryption(keyEncryptionKey).open(doc.sealedPrivateJwk, kid);
  } finally {
    await client.close();
  }
}
