import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { emailsTo, linkToken, waitForEmail } from '../support/mailbox';
import { startTestStack } from '../support/stack';
import { callJson, registerAndLogin, uniqueUsername } from '../support/users';

// Verification and reset emails travel auth -> notification -> a Temporal workflow -> SMTP, and
// the test reads them from the mail catcher, as a user reads their inbox.
t.test('email verification and password reset through real email', async (t) => {
  const env = await startTestStack(t, { env: { BCRYPT_COST: '4' } });
  const gateway = () => `http://127.0.0.1:${env.stack.ports.apps.gateway.app}`;
  const api = (path: string) => `${gateway()}/api/v1${path}`;
  const mailPort = () => env.stack.ports.mailWeb;
  const me = (token: string) =>
    callJson<{ code?: string; user: { emailVerified: boolean } }>(api('/accounts/me'), { token });
  const mongo = new MongoClient(`mongodb://127.0.0.1:${env.stack.ports.mongo}/`);
  t.teardown(() => mongo.close());

  await t.test('a new account gets one verification link, which works once', async (t) => {
    const user = await registerAndLogin(gateway());
    const mail = await waitForEmail(mailPort(), user.email, /Confirm your email/);
    t.match(mail.text, new RegExp(`${gateway()}/verify-email#token=`), 'the link points at the platform');
    t.same(mail.to, [{ address: user.email, name: user.displayName }]);
    t.equal((await me(user.accessToken)).body.user.emailVerified, false, 'unverified before');

    const verified = await callJson(api('/accounts/email-verification'), {
      body: { token: linkToken(mail) },
    });
    t.equal(verified.status, 204);
    t.equal((await me(user.accessToken)).body.user.emailVerified, true, 'verified after');

    const again = await callJson<{ code: string }>(api('/accounts/email-verification'), {
      body: { token: linkToken(mail) },
    });
    t.equal(again.status, 400);
    t.equal(again.body.code, 'AUTH_LINK_INVALID', 'the link is single-use');
    t.equal((await emailsTo(mailPort(), user.email)).length, 1, 'exactly one email was sent');
  });

  await t.test('an expired verification link is refused', async (t) => {
    const user = await registerAndLogin(gateway());
    const mail = await waitForEmail(mailPort(), user.email, /Confirm your email/);
    await mongo
      .db('parley_auth')
      .collection('link_tokens')
      .updateMany({ userId: user.userId }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const res = await callJson<{ code: string }>(api('/accounts/email-verification'), {
      body: { token: linkToken(mail) },
    });
    t.equal(res.body.code, 'AUTH_LINK_INVALID');
    t.equal((await me(user.accessToken)).body.user.emailVerified, false);
  });

  await t.test('a hostile display name cannot add headers or recipients', async (t) => {
    const username = uniqueUsername();
    const injected = await callJson<{ code: string }>(api('/accounts'), {
      body: {
        username,
        email: `${username}@example.test`,
        password: 'long enough password',
        displayName: 'Eve\r\nBcc: victim@example.test',
      },
    });
    t.equal(injected.status, 400, 'a line break in a name is refused');
    t.equal(injected.body.code, 'VALIDATION_FAILED');

    const tricky = await registerAndLogin(gateway(), { displayName: 'Eve "Admin", <boss@example.test>; x' });
    const mail = await waitForEmail(mailPort(), tricky.email, /Confirm your email/);
    t.same(
      mail.to.map((to) => to.address),
      [tricky.email],
      'the only recipient is the account address',
    );
    t.equal((await emailsTo(mailPort(), 'boss@example.test')).length, 0, 'nothing reached the named address');
  });

  await t.test('the same idempotency key sends one email, however often it is handed over', async (t) => {
    const auth = env.stack.ports.apps.auth.daprHttp;
    const name = uniqueUsername();
    const address = `${name}@example.test`;
    const send = () =>
      callJson<{ duplicate: boolean }>(
        `http://127.0.0.1:${auth}/v1.0/invoke/notification/method/internal/v1/emails`,
        {
          headers: { 'dapr-api-token': env.stack.secrets.apps.auth.daprApiToken },
          body: {
            idempotencyKey: `test-${name}`,
            to: { address, name: 'Once' },
            subject: 'Only once',
            text: 'hello',
          },
        },
      );
    const first = await send();
    t.equal(first.status, 202);
    t.equal(first.body.duplicate, false);
    await waitForEmail(mailPort(), address, /Only once/);
    const second = await send();
    t.equal(second.status, 202);
    t.equal(second.body.duplicate, true, 'the second hand-over is recognised');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    t.equal((await emailsTo(mailPort(), address)).length, 1, 'one email arrived');
  });

  await t.test('a link request repeated with its request id sends one email, whose link works', async (t) => {
    const user = await registerAndLogin(gateway());
    await waitForEmail(mailPort(), user.email, /Confirm your email/);
    const ask = (path: string, requestId: string, init: { token?: string; body?: unknown }) =>
      callJson(api(path), { headers: { 'x-request-id': requestId }, body: {}, ...init });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 1500));
    const subjects = async () => (await emailsTo(mailPort(), user.email)).map((mail) => mail.subject).sort();

    const verifyId = `verify-${randomUUID()}`;
    const verifyPath = '/accounts/me/email-verification-requests';
    const verifies = await Promise.all(
      [1, 2, 3].map(() => ask(verifyPath, verifyId, { token: user.accessToken })),
    );
    t.same(
      verifies.map((r) => r.status),
      [202, 202, 202],
    );
    await waitForEmail(mailPort(), user.email, /Confirm your email/);
    await settle();
    t.equal((await subjects()).filter((s) => /Confirm/.test(s)).length, 2, 'one at registration, one asked');

    const resetId = `reset-${randomUUID()}`;
    const reset = () => ask('/accounts/password-reset-requests', resetId, { body: { email: user.email } });
    t.equal((await reset()).status, 202);
    const repeats = await Promise.all([reset(), reset()]);
    t.same(
      repeats.map((r) => r.status),
      [202, 202],
    );
    const mail = await waitForEmail(mailPort(), user.email, /Reset your Parley password/);
    await settle();
    t.equal((await subjects()).filter((s) => /Reset/.test(s)).length, 1, 'one reset email');
    const used = await callJson(api('/accounts/password-reset'), {
      body: { token: linkToken(mail), password: 'the password after a repeat' },
    });
    t.equal(used.status, 204, 'the link that went out works');
  });

  await t.test('a password reset sets the new password and logs out every device', async (t) => {
    const user = await registerAndLogin(gateway(), { deviceName: 'Phone' });
    const laptop = await callJson<{ refreshToken: string; accessToken: string }>(api('/sessions'), {
      body: { login: user.username, password: user.password, deviceName: 'Laptop' },
    });

    const asked = await callJson<{ status: string }>(api('/accounts/password-reset-requests'), {
      body: { email: user.email.toUpperCase() },
    });
    t.equal(asked.status, 202);
    const nobody = await callJson<{ status: string }>(api('/accounts/password-reset-requests'), {
      body: { email: `${uniqueUsername()}@example.test` },
    });
    t.same(
      [nobody.status, nobody.body],
      [asked.status, asked.body],
      'an unknown address gets the same answer',
    );

    const mail = await waitForEmail(mailPort(), user.email, /Reset your Parley password/);
    const token = linkToken(mail);
    const tooLong = await callJson<{ code: string; errors: { message: string }[] }>(
      api('/accounts/password-reset'),
      { body: { token, password: 'é'.repeat(37) } },
    );
    t.equal(tooLong.status, 400, 'a password over 72 bytes is refused, not truncated');
    t.match(tooLong.body.errors[0]?.message, /72 bytes/);

    const reset = await callJson(api('/accounts/password-reset'), {
      body: { token, password: 'a brand new password' },
    });
    t.equal(reset.status, 204);

    for (const refreshToken of [user.refreshToken, laptop.body.refreshToken]) {
      const res = await callJson<{ code: string }>(api('/sessions/refresh'), { body: { refreshToken } });
      t.equal(res.body.code, 'AUTH_SESSION_REVOKED', 'every session is revoked');
    }
    t.equal((await me(laptop.body.accessToken)).body.code, 'AUTH_SESSION_REVOKED');
    const oldPassword = await callJson(api('/sessions'), {
      body: { login: user.username, password: user.password },
    });
    t.equal(oldPassword.status, 401, 'the old password no longer works');
    const newPassword = await callJson(api('/sessions'), {
      body: { login: user.username, password: 'a brand new password' },
    });
    t.equal(newPassword.status, 201, 'the new one does');
    const reused = await callJson<{ code: string }>(api('/accounts/password-reset'), {
      body: { token, password: 'yet another password' },
    });
    t.equal(reused.body.code, 'AUTH_LINK_INVALID', 'the reset link is single-use');
  });
});
