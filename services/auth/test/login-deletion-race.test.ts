import { createLogger } from '@parley/service-kit';
import t from 'tap';
import { PasswordHasher } from '../src/accounts/passwords';
import { UserStore } from '../src/accounts/user-store';
import type { AccessTokenIssuer } from '../src/sessions/access-tokens';
import { SessionService } from '../src/sessions/session-service';
import { SessionStore } from '../src/sessions/session-store';
import { privateDb } from './ferretdb';

t.test('a login that an account deletion overtakes opens no session that outlives the account', async (t) => {
  const { db } = await privateDb(t);
  const users = new UserStore(db);
  await users.ensureIndexes();
  const revoked: string[] = [];
  const sessions = new SessionStore(db, 3_600, async (_userId, ids) => void revoked.push(...ids));
  const hasher = new PasswordHasher(4);
  const issued: string[] = [];
  const tokens = {
    issue: async ({ sessionId }: { sessionId: string }) => {
      issued.push(sessionId);
      return { accessToken: `token-${sessionId}`, expiresIn: 900 };
    },
  } as unknown as AccessTokenIssuer;
  const service = new SessionService(users, sessions, tokens, hasher, createLogger('test', 'silent'));
  const ada = await users.create({
    username: 'ada',
    email: 'ada@example.com',
    emailVerified: true,
    displayName: 'Ada',
    passwordHash: await hasher.hash('correct horse battery'),
  });

  // The deletion runs while the login checks the password: the account's sessions are ended and
  // the account deleted after the login found it, before it stored its session.
  const findByLogin = users.findByLogin.bind(users);
  users.findByLogin = async (login) => {
    const found = await findByLogin(login);
    await sessions.deleteAll(ada._id);
    await users.delete(ada._id);
    return found;
  };
  await t.rejects(service.loginWithPassword('ada', 'correct horse battery', null), {
    code: 'AUTH_INVALID_CREDENTIALS',
  });
  t.same(issued, [], 'no token was issued');
  t.same(await sessions.listActive(ada._id), [], 'no session is left open');
  t.equal(revoked.length, 1, 'the session stored meanwhile was ended, and said so');
});
