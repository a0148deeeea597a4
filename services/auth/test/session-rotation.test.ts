import t from 'tap';
import type { CommandStartedEvent } from 'mongodb';
import { SessionStore } from '../src/sessions/session-store';
import { privateDb } from './ferretdb';

t.test('a refresh names its token by _id alone, and a second presentation is reuse', async (t) => {
  const { db, commands } = await privateDb(t);
  const sessions = new SessionStore(db, 3_600);
  await sessions.ensureIndexes();
  const { refreshToken } = await sessions.open('u_ada', 'Laptop', 'password');

  const from = commands.length;
  const next = await sessions.rotate(refreshToken);
  const filters = commands
    .slice(from)
    .filter((c) => c.command.findAndModify === 'refresh_tokens' || c.command.update === 'refresh_tokens')
    .flatMap((c) =>
      c.commandName === 'update'
        ? (c.command.updates as { q: object }[]).map((u) => u.q)
        : [c.command.query as object],
    );
  t.ok(filters.length > 0);
  t.same(
    filters.filter((f) => Object.keys(f).join() !== '_id'),
    [],
    'the token is claimed by _id alone',
  );
  await t.rejects(sessions.rotate(refreshToken), { code: 'AUTH_REFRESH_TOKEN_REUSED' });
  await t.rejects(sessions.rotate(next.refreshToken), { code: 'AUTH_SESSION_REVOKED' }, 'the family ends');
  await t.rejects(sessions.rotate('A'.repeat(43)), { code: 'AUTH_REFRESH_TOKEN_INVALID' });
});

/** The filters of the commands sent to `collections` since `from`, updates and deletes included. */
function filtersSince(commands: CommandStartedEvent[], from: number, collections: string[]): object[] {
  return commands.slice(from).flatMap((c) => {
    const { command } = c;
    if (collections.includes(command.findAndModify)) return [command.query as object];
    if (collections.includes(command.find)) return [command.filter as object];
    if (collections.includes(command.update)) return (command.updates as { q: object }[]).map((u) => u.q);
    if (collections.includes(command.delete)) return (command.deletes as { q: object }[]).map((d) => d.q);
    return [];
  });
}

t.test('a logout names the session by _id alone and ends its whole chain', async (t) => {
  const { db, commands } = await privateDb(t);
  const told: { userId: string; sessionIds: string[]; reason: string }[] = [];
  const sessions = new SessionStore(db, 3_600, async (userId, sessionIds, reason) => {
    told.push({ userId, sessionIds, reason });
  });
  await sessions.ensureIndexes();
  const first = await sessions.open('u_ada', 'Laptop', 'password');
  const live = await sessions.rotate(first.refreshToken);
  const other = await sessions.open('u_bob', 'Phone', 'password');

  await t.rejects(
    sessions.revokeOwn('u_bob', first.session._id),
    { code: 'SESSION_NOT_FOUND' },
    "another user's session is not found",
  );
  const from = commands.length;
  await sessions.revokeOwn('u_ada', first.session._id);
  const filters = filtersSince(commands, from, ['sessions', 'refresh_tokens']);
  t.ok(filters.length > 0);
  t.same(
    filters.filter((f) => Object.keys(f).join() !== '_id'),
    [],
    'every read and write names _id alone',
  );
  t.same(told, [{ userId: 'u_ada', sessionIds: [first.session._id], reason: 'revoked-by-user' }]);

  await t.rejects(sessions.rotate(live.refreshToken), { code: 'AUTH_SESSION_REVOKED' }, 'the live token');
  await t.rejects(sessions.rotate(first.refreshToken), { code: 'AUTH_SESSION_REVOKED' }, 'a used one');
  await t.rejects(sessions.revokeOwn('u_ada', first.session._id), { code: 'SESSION_NOT_FOUND' });
  await sessions.revoke(first.session._id, 'again');
  t.equal(told.length, 1, 'a session ends once');
  t.equal(await sessions.isActive(other.session._id), true, "the other user's session goes on");
  await sessions.rotate(other.refreshToken);
});

t.test('expired sessions and refresh tokens are deleted, live ones kept', async (t) => {
  const { db } = await privateDb(t);
  const sessions = new SessionStore(db, 3_600);
  await sessions.ensureIndexes();
  const old = await sessions.open('u_ada', 'Old phone', 'password');
  await sessions.rotate(old.refreshToken);
  const current = await sessions.open('u_ada', 'Laptop', 'password');
  await db
    .collection('sessions')
    .updateOne({ _id: old.session._id as never }, { $set: { expiresAt: new Date(Date.now() - 1_000) } });
  await db
    .collection('refresh_tokens')
    .updateMany({ sessionId: old.session._id }, { $set: { expiresAt: new Date(Date.now() - 1_000) } });

  t.same(await sessions.deleteExpired(), { sessions: 1, refreshTokens: 2 });
  t.equal(await db.collection('sessions').countDocuments({ _id: old.session._id as never }), 0);
  t.equal(await db.collection('refresh_tokens').countDocuments({ sessionId: old.session._id }), 0);
  t.same(await sessions.deleteExpired(), { sessions: 0, refreshTokens: 0 }, 'a second sweep finds nothing');
  await t.rejects(sessions.rotate(old.refreshToken), { code: 'AUTH_REFRESH_TOKEN_INVALID' });
  const next = await sessions.rotate(current.refreshToken);
  t.ok(next.refreshToken, 'a live session refreshes as before');
});
