import t from 'tap';
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
