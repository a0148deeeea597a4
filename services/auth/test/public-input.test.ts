import type { Principal } from '@parley/identity';
import { type Sidecar, createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import type { RequestHandler } from 'express';
import t, { type Test } from 'tap';
import { accountRoutes } from '../src/accounts/account-routes';
import type { AccountService } from '../src/accounts/account-service';
import type { UserEvents } from '../src/accounts/user-events';
import type { UserDoc, UserStore } from '../src/accounts/user-store';
import { oidcRoutes } from '../src/oidc/oidc-routes';
import { contactRoutes } from '../src/contacts/contact-routes';
import type { ContactStore } from '../src/contacts/contact-store';
import { profileRoutes } from '../src/profiles/profile-routes';
import type { SessionService } from '../src/sessions/session-service';
import { sessionRoutes } from '../src/sessions/session-routes';
import type { SessionStore } from '../src/sessions/session-store';
import { rawCaller } from '../../../test/support/raw-request';

// The public routes take only what they read: an unknown query option or a body on a route that
// reads none is refused before anything changes, rather than silently ignored.

const APP_TOKEN = 'app-token-of-the-test';
const ALICE = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const SESSION = '00000000-0000-4000-8000-0000000000c1';

const user = (id: string): UserDoc => ({
  _id: id,
  username: `user_${id.slice(-1)}`,
  email: `${id.slice(-1)}@example.test`,
  emailVerified: true,
  phone: null,
  displayName: 'Someone',
  passwordHash: null,
  avatarMediaId: null,
  statusText: null,
  timeZone: null,
  language: null,
  roles: [],
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

/** A fake whose every method records its name in `done` and answers what `answers` gives. */
function recorder<T>(done: string[], answers: Record<string, unknown> = {}): T {
  return new Proxy(
    {},
    {
      get: (_target, name: string) => async () => {
        done.push(name);
        return answers[name];
      },
    },
  ) as T;
}

async function auth(t: Test) {
  const done: string[] = [];
  const signedIn: RequestHandler = (req, _res, next) => {
    req.principal = { userId: ALICE, sessionId: SESSION, roles: [] } satisfies Principal;
    next();
  };
  const users = recorder<UserStore>(done, {
    findById: user(BOB),
    findByIds: [user(BOB)],
    search: [],
    updateProfile: user(ALICE),
  });
  const contacts = recorder<ContactStore>(done, { list: [], listBlocked: [], unblock: true, remove: true });
  const sessions = recorder<SessionStore>(done, { listActive: [] });
  const logins = recorder<SessionService>(done, {
    loginWithPassword: { user: user(ALICE), session: {} },
    refresh: {},
  });
  const accounts = recorder<AccountService>(done, { register: user(ALICE) });
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  app.use(accountRoutes(accounts, users, signedIn));
  app.use(profileRoutes(users, recorder<UserEvents>(done), recorder<Sidecar>(done), signedIn));
  app.use(contactRoutes(contacts, users, signedIn));
  app.use(sessionRoutes(logins, sessions, signedIn));
  app.use(oidcRoutes(undefined, logins, { secureCookie: false }));
  finishHttpApp(app);
  // node:http rather than fetch, which will not send a body with a GET.
  const call = await rawCaller(t, app, { 'dapr-api-token': APP_TOKEN });
  return { call, done };
}

const refused = { status: 400, code: 'VALIDATION_FAILED' };

/** Routes that read neither a query nor a body, with the status of their normal answer. */
const noInput: [method: string, path: string, status: number][] = [
  ['GET', '/v1/accounts/me', 200],
  ['POST', '/v1/accounts/me/email-verification-requests', 202],
  ['GET', '/v1/users/me', 200],
  ['GET', `/v1/users/${BOB}`, 200],
  ['GET', '/v1/contacts', 200],
  ['GET', '/v1/contacts/blocked', 200],
  ['PUT', `/v1/contacts/blocked/${BOB}`, 204],
  ['DELETE', `/v1/contacts/blocked/${BOB}`, 204],
  ['PUT', `/v1/contacts/${BOB}`, 204],
  ['DELETE', `/v1/contacts/${BOB}`, 204],
  ['GET', '/v1/sessions', 200],
  ['DELETE', '/v1/sessions/current', 204],
  ['DELETE', `/v1/sessions/${SESSION}`, 204],
  ['GET', '/v1/sessions/oidc', 200],
];

for (const [method, path, status] of noInput) {
  t.test(`${method} ${path} takes no query and no body`, async (t) => {
    const { call, done } = await auth(t);
    t.same(await call(method, `${path}?limit=5`), refused, 'a stray query is refused');
    t.same(await call(method, path, { limit: 5 }), refused, 'a stray body is refused');
    t.same(await call(method, path, []), refused, 'a body that is not an object is refused');
    t.same(done, [], 'nothing was read or changed');
    t.equal((await call(method, path)).status, status, 'the plain call works');
    t.same(await call(method, path, {}), { status }, 'an empty JSON object is still accepted');
  });
}

/** Routes that read a body but no query, each with a body it accepts. */
const bodyOnly: [method: string, path: string, body: unknown, status: number][] = [
  [
    'POST',
    '/v1/accounts',
    { username: 'alice', email: 'a@example.test', password: 'long enough', displayName: 'A' },
    201,
  ],
  ['DELETE', '/v1/accounts/me', { password: 'long enough' }, 204],
  ['POST', '/v1/accounts/email-verification', { token: 'a'.repeat(43) }, 204],
  ['POST', '/v1/accounts/password-reset-requests', { email: 'a@example.test' }, 202],
  ['POST', '/v1/accounts/password-reset', { token: 'a'.repeat(43), password: 'long enough' }, 204],
  ['PATCH', '/v1/users/me', { statusText: 'here' }, 200],
  ['POST', '/v1/sessions', { login: 'alice', password: 'secret' }, 201],
  ['POST', '/v1/sessions/refresh', { refreshToken: 'a'.repeat(43) }, 200],
];

for (const [method, path, body, status] of bodyOnly) {
  t.test(`${method} ${path} takes no query`, async (t) => {
    const { call, done } = await auth(t);
    t.same(await call(method, `${path}?dryRun=1`, body), refused, 'a stray query is refused');
    t.same(done, [], 'nothing was read or changed');
    t.equal((await call(method, path, body)).status, status, 'the plain call works');
  });
}

t.test('the directory takes no body', async (t) => {
  const { call, done } = await auth(t);
  t.same(await call('GET', '/v1/users?q=ali', { limit: 5 }), refused);
  t.same(done, []);
  t.equal((await call('GET', '/v1/users?q=ali')).status, 200);
});
