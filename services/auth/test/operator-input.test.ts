import { createHttpApp, createLogger, finishHttpApp } from '@parley/service-kit';
import t, { type Test } from 'tap';
import type { UserDoc, UserStore } from '../src/accounts/user-store';
import type { ContactStore } from '../src/contacts/contact-store';
import { internalRoutes } from '../src/internal/internal-routes';
import { operatorRoutes } from '../src/internal/operator-routes';
import type { SessionStore } from '../src/sessions/session-store';
import type { SigningKeys } from '../src/sessions/signing-keys';
import { rawCaller } from '../../../test/support/raw-request';

// The routes operators reach through the gateway or a sidecar take only what they document: an
// unknown option is refused before a key rotates or a role changes, rather than ignored.

const APP_TOKEN = 'app-token-of-the-test';

const alice: UserDoc = {
  _id: 'u_alice',
  username: 'alice',
  email: 'alice@example.test',
  emailVerified: true,
  phone: null,
  displayName: 'Alice',
  passwordHash: null,
  avatarMediaId: null,
  statusText: null,
  timeZone: null,
  language: null,
  roles: [],
  createdAt: new Date(0),
  updatedAt: new Date(0),
};

async function auth(t: Test) {
  const done: string[] = [];
  const users = {
    findByLogin: async (login: string) => (login === 'alice' ? alice : null),
    setRoles: async (_id: string, roles: string[]) => {
      done.push(`roles ${roles.join(',')}`);
      return { ...alice, roles };
    },
  } as unknown as UserStore;
  const keys = {
    rotateNow: async () => {
      done.push('rotation');
      return 'k_2';
    },
  } as unknown as SigningKeys;
  const app = createHttpApp({ logger: createLogger('test', 'silent'), appApiToken: APP_TOKEN });
  app.use(internalRoutes(users, {} as ContactStore, keys, {} as Pick<SessionStore, 'isActive'>));
  app.use(operatorRoutes(users));
  finishHttpApp(app);
  const call = await rawCaller(t, app, { 'dapr-api-token': APP_TOKEN });
  return { call, done };
}

const refused = { status: 400, code: 'VALIDATION_FAILED' };

t.test('a key rotation takes no options', async (t) => {
  const { call, done } = await auth(t);
  t.same(await call('POST', '/internal/v1/signing-keys/rotations?keep=1'), refused);
  t.same(await call('POST', '/internal/v1/signing-keys/rotations', { keep: true }), refused);
  t.same(done, [], 'no key rotated');
  t.equal((await call('POST', '/internal/v1/signing-keys/rotations', {})).status, 201);
  t.same(done, ['rotation']);
});

t.test('a roles change takes no query', async (t) => {
  const { call, done } = await auth(t);
  const path = '/internal/v1/users/by-username/alice/roles';
  t.same(await call('PUT', `${path}?x=1`, { roles: ['admin'] }), refused);
  t.same(done, [], 'no role changed');
  t.equal((await call('PUT', path, { roles: ['admin'] })).status, 200);
  t.same(done, ['roles admin']);
});
