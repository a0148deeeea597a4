import { createLogger } from '@parley/service-kit';
import t, { type Test } from 'tap';
import { PasswordHasher } from '../src/accounts/passwords';
import { UserStore } from '../src/accounts/user-store';
import type { AccessTokenIssuer } from '../src/sessions/access-tokens';
import { SessionService } from '../src/sessions/session-service';
import { SessionStore } from '../src/sessions/session-store';
import { privateDb } from './ferretdb';

const PASSWORD = 'correct horse battery';

/** Password logins over a private store, for the accounts ada and bea. */
async function loginsFor(t: Test) {
  const { db } = await privateDb(t);
  const users = new UserStore(db);
  await users.ensureIndexes();
  const sessions = new SessionStore(db, 3_600);
  await sessions.ensureIndexes();
  const hasher = new PasswordHasher(4);
  const tokens = {
    issue: async ({ sessionId }: { sessionId: string }) => ({
      accessToken: `token-${sessionId}`,
      expiresIn: 900,
    }),
  } as unknown as AccessTokenIssuer;
  const service = new SessionService(users, sessions, tokens, hasher, createLogger('test', 'silent'));
  const create = async (name: string) =>
    users.create({
      username: name,
      email: `${name}@example.test`,
      emailVerified: true,
      displayName: name,
      passwordHash: await hasher.hash(PASSWORD),
    });
  const ada = await create('ada');
  const bea = await create('bea');
  const login = async (name: string, requestId: string, device = 'Laptop') =>
    (await service.loginWithPassword(name, PASSWORD, device, requestId)).session;
  /** Which of these refresh tokens still work (each is tried once). */
  const working = async (refreshTokens: string[]) => {
    const results = await Promise.allSettled(refreshTokens.map((token) => sessions.rotate(token)));
    return results.map((r) => r.status === 'fulfilled');
  };
  return { sessions, ada, bea, login, working };
}

t.test('a repeated login leaves one session, and only the last answer works', async (t) => {
  const { sessions, ada, login, working } = await loginsFor(t);

  const first = await login('ada', 'req-1');
  const again = await login('ada', 'req-1');
  t.equal(again.sessionId, first.sessionId, 'the repeat finds the session of the first try');
  t.equal((await sessions.listActive(ada._id)).length, 1, 'one session in the list');
  t.same(await working([first.refreshToken, again.refreshToken]), [false, true]);
  t.equal((await sessions.listActive(ada._id)).length, 1, 'the unused token ended nothing');
});

t.test('repeats racing each other leave one session, with one working refresh token', async (t) => {
  const { sessions, ada, login, working } = await loginsFor(t);

  const tries = await Promise.all(Array.from({ length: 5 }, () => login('ada', 'req-2')));
  t.equal(new Set(tries.map((s) => s.sessionId)).size, 1, 'every try names the same session');
  t.equal((await sessions.listActive(ada._id)).length, 1, 'one session in the list');
  const works = await working(tries.map((s) => s.refreshToken));
  t.equal(works.filter(Boolean).length, 1, 'one refresh token works');
});

t.test('another device, another user or another request is another session', async (t) => {
  const { sessions, ada, bea, login } = await loginsFor(t);

  const laptop = await login('ada', 'req-3');
  const phone = await login('ada', 'req-3', 'Phone');
  const other = await login('ada', 'req-4');
  const beas = await login('bea', 'req-3');
  t.equal(new Set([laptop, phone, other].map((s) => s.sessionId)).size, 3);
  t.equal((await sessions.listActive(ada._id)).length, 3);
  t.equal((await sessions.listActive(bea._id)).length, 1);
  t.not(beas.sessionId, laptop.sessionId);
});

t.test('a repeat after the session ended opens a new one and revives nothing', async (t) => {
  const { sessions, ada, login, working } = await loginsFor(t);

  const first = await login('ada', 'req-5');
  await sessions.revokeOwn(ada._id, first.sessionId);
  const again = await login('ada', 'req-5');
  t.not(again.sessionId, first.sessionId);
  t.same(
    (await sessions.listActive(ada._id)).map((s) => s._id),
    [again.sessionId],
    'the ended session stays ended',
  );
  t.same(await working([again.refreshToken]), [true]);
});
